-- The tables emqx_backend_pgsql reads and writes (EMQX Enterprise's documented schema).
-- Load with: psql -d mqtt -f etc/sql/emqx_backend_pgsql.sql

DROP TABLE IF EXISTS mqtt_client;
CREATE TABLE mqtt_client(
  id SERIAL primary key,
  clientid character varying(100),
  state integer,
  node character varying(100),
  online_at timestamp,
  offline_at timestamp,
  created timestamp without time zone,
  UNIQUE (clientid)
);

DROP TABLE IF EXISTS mqtt_sub;
CREATE TABLE mqtt_sub(
  id SERIAL primary key,
  clientid character varying(100),
  topic character varying(200),
  qos integer,
  created timestamp without time zone,
  UNIQUE (clientid, topic)
);

DROP TABLE IF EXISTS mqtt_msg;
CREATE TABLE mqtt_msg (
  id SERIAL primary key,
  msgid character varying(60),
  sender character varying(100),
  topic character varying(200),
  qos integer,
  retain integer,
  payload text,
  arrived timestamp without time zone
);
CREATE INDEX mqtt_msg_msgid ON mqtt_msg (msgid);
CREATE INDEX mqtt_msg_topic ON mqtt_msg (topic, id);

DROP TABLE IF EXISTS mqtt_retain;
CREATE TABLE mqtt_retain(
  id SERIAL primary key,
  topic character varying(200),
  msgid character varying(60),
  sender character varying(100),
  qos integer,
  payload text,
  arrived timestamp without time zone,
  UNIQUE (topic)
);

DROP TABLE IF EXISTS mqtt_acked;
CREATE TABLE mqtt_acked (
  id SERIAL primary key,
  clientid character varying(100),
  topic character varying(100),
  mid integer,
  created timestamp without time zone,
  UNIQUE (clientid, topic)
);
