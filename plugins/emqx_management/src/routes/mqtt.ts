// /mqtt/publish, /mqtt/subscribe, /mqtt/unsubscribe and their _batch forms (emqx_mgmt_api_pubsub).
import { ApiCode, fail, ok, parseShare, validTopicFilter, validTopicName, type QoS } from '@nemq/sdk';
import { bodyObject, call, type Env } from '../env.js';

type Reply = Record<string, unknown>;

/** `topic` or the comma list `topics` */
function topicsOf(p: Record<string, unknown>): string[] | Reply {
  const t = p.topics ?? p.topic;
  if (t === undefined) return fail(ApiCode.MISSING_PARAMETER, 'missing topic');
  if (typeof t !== 'string') return fail(ApiCode.PARAMETER_TYPE_ERROR, 'bad topic: must be string');
  const list = t.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return list.length ? list : fail(ApiCode.BAD_TOPIC, 'bad topic');
}

function qosOf(p: Record<string, unknown>): QoS | Reply {
  const q = p.qos ?? 0;
  return q === 0 || q === 1 || q === 2 ? q : fail(ApiCode.BAD_QOS, 'bad QoS');
}

function clientidOf(p: Record<string, unknown>, required: boolean): string | Reply {
  const c = p.clientid;
  if (c === undefined) return required ? fail(ApiCode.MISSING_PARAMETER, 'missing clientid') : 'http_api';
  return typeof c === 'string' ? c : fail(ApiCode.PARAMETER_TYPE_ERROR, 'bad clientid: must be string');
}

const isErr = (v: unknown): v is Reply => typeof v === 'object' && v !== null && !Array.isArray(v) && 'code' in v;

export function mqttRoutes(env: Env): void {
  const r = env.route;
  const publish = (p: Record<string, unknown>): Reply => {
    const topics = topicsOf(p);
    if (isErr(topics)) return topics;
    if (!topics.every((t) => validTopicName(t))) return fail(ApiCode.BAD_TOPIC, 'bad topic');
    const qos = qosOf(p);
    if (isErr(qos)) return qos;
    const from = clientidOf(p, false);
    if (isErr(from)) return from;
    const enc = p.encoding ?? 'plain';
    if (enc !== 'plain' && enc !== 'base64') return fail(ApiCode.PARAMETER_TYPE_ERROR, 'encoding must be plain or base64');
    const text = p.payload ?? '';
    if (typeof text !== 'string') return fail(ApiCode.PARAMETER_TYPE_ERROR, 'payload must be string');
    const payload = enc === 'base64' ? Buffer.from(text, 'base64') : Buffer.from(text);
    for (const t of topics) env.ctx.broker.publish(t, payload, { qos, retain: p.retain === true, from });
    return ok();
  };
  /** the node holding the client's channel takes it; none → 112 */
  const subscribe = async (p: Record<string, unknown>, un: boolean): Promise<Reply> => {
    const topics = topicsOf(p);
    if (isErr(topics)) return topics;
    if (!topics.every((t) => { const s = parseShare(t); return s !== undefined && validTopicFilter(s.filter); })) return fail(ApiCode.BAD_TOPIC, 'bad topic');
    const qos = qosOf(p);
    if (isErr(qos)) return qos;
    const clientid = clientidOf(p, true);
    if (isErr(clientid)) return clientid;
    for (const n of env.ctx.admin.nodes().running) {
      let done = false;
      for (const topic of topics) {
        done = un ? await call(env, n, 'unsubscribe', { clientid, topic }) : await call(env, n, 'subscribe', { clientid, topic, qos });
        if (!done) break;
      }
      if (done) return ok();
    }
    return fail(ApiCode.CLIENT_OFFLINE, 'channel_not_found');
  };
  const one = (fn: (p: Record<string, unknown>) => Reply | Promise<Reply>) => async (q: { body: unknown }): Promise<Reply> => {
    const p = bodyObject(q.body);
    return p ? fn(p) : fail(ApiCode.NOT_JSON, 'body must be a JSON object');
  };
  const batch = (fn: (p: Record<string, unknown>) => Reply | Promise<Reply>) => async (q: { body: unknown }): Promise<Reply> => {
    if (!Array.isArray(q.body)) return fail(ApiCode.NOT_JSON, 'body must be a JSON array');
    const out = [];
    for (const item of q.body) {
      const p = bodyObject(item);
      const res = p ? await fn(p) : fail(ApiCode.NOT_JSON, 'item must be a JSON object');
      out.push({ topic: p?.topic ?? p?.topics, clientid: p?.clientid, code: res.code, ...(res.message ? { message: res.message } : {}) });
    }
    return ok(out);
  };
  r({ name: 'mqtt_publish', method: 'POST', path: '/mqtt/publish', descr: 'Publish a MQTT message' }, one(publish));
  r({ name: 'mqtt_subscribe', method: 'POST', path: '/mqtt/subscribe', descr: 'Subscribe a topic' }, one((p) => subscribe(p, false)));
  r({ name: 'mqtt_unsubscribe', method: 'POST', path: '/mqtt/unsubscribe', descr: 'Unsubscribe a topic' }, one((p) => subscribe(p, true)));
  r({ name: 'mqtt_publish_batch', method: 'POST', path: '/mqtt/publish_batch', descr: 'Batch publish MQTT messages' }, batch(publish));
  r({ name: 'mqtt_subscribe_batch', method: 'POST', path: '/mqtt/subscribe_batch', descr: 'Batch subscribes topics' }, batch((p) => subscribe(p, false)));
  r({ name: 'mqtt_unsubscribe_batch', method: 'POST', path: '/mqtt/unsubscribe_batch', descr: 'Batch unsubscribes topics' }, batch((p) => subscribe(p, true)));
}
