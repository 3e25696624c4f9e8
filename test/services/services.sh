#!/usr/bin/env bash
# Throwaway external services for the integration tests: real Debian servers on 127.0.0.1, each
# instance's files in a directory the caller owns, processes tracked by PID (no systemd, no init).
#
#   services.sh install NAME...        install the Debian packages NAME needs (root), build helpers
#   services.sh check NAME...          exit 1 with the apt-get line if a package is missing
#   services.sh start NAME DIR PORT    start an instance, wait until it is ready, print KEY=VALUE lines
#                                      (also written to DIR/NAME.env)
#   services.sh stop NAME DIR          TERM (postgres: INT), wait STOP_TIMEOUT, then KILL
#   services.sh packages NAME...       print the Debian packages NAME needs
#
# NAME: mariadb mosquitto kafka postgres redis redis-sentinel redis-cluster slapd rabbitmq mongo chromium
# chromium: the browser the dashboard's e2e test drives (install only; there is nothing to start).
# redis-sentinel: a master (PORT), a replica (PORT+1) and three sentinels (PORT+2..PORT+4), master name mymaster.
# redis-cluster: three masters (PORT..PORT+2, cluster bus PORT+3..PORT+5), no replicas.
# kafka is librdkafka's mock cluster (test/services/kafka-mock.c), not a real Kafka.
# mongo is CongoDB from @push.rocks/smartmongo@2.2.0 (npm, into the cache), not a real mongod: no auth.
#
# Environment: SVC_USER/SVC_PASSWORD/SVC_DB (default test/test/test), START_TIMEOUT (90 s),
# STOP_TIMEOUT (15 s), KAFKA_TOPICS ("t1:3,t2": topics the kafka mock creates at start),
# SLAPD_SCHEMAS (space-separated extra slapd .schema files slapd includes),
# SERVICES_CACHE (where built helpers go, default <repo>/.cache/services).
#
# start exits 75 when PORT (or the next ports of rabbitmq, redis-sentinel, redis-cluster) is taken by another process, so a caller
# can retry on another port. A stopped instance can be started again in the same DIR: data is kept.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
HERE=$(dirname "$SELF")
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${SERVICES_CACHE:-$REPO/.cache/services}
SVC_USER=${SVC_USER:-test}
SVC_PASSWORD=${SVC_PASSWORD:-test}
SVC_DB=${SVC_DB:-test}
START_TIMEOUT=${START_TIMEOUT:-90}
STOP_TIMEOUT=${STOP_TIMEOUT:-15}
NAMES="mariadb mosquitto kafka postgres redis redis-sentinel redis-cluster slapd rabbitmq mongo chromium"
EX_PORT_TAKEN=75

log() { echo "services.sh: $*" >&2; }
die() { log "$*"; exit 1; }
now() { echo "${EPOCHREALTIME/[.,]/}"; }                    # microseconds
since() { local us=$(( $(now) - $1 )); printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000)); }

known() { case " $NAMES " in *" $1 "*) return 0 ;; esac; die "unknown service '$1' (known: $NAMES)"; }

packages_for() {
  case $1 in
    mariadb) echo mariadb-server mariadb-client ;;
    mosquitto) echo mosquitto mosquitto-clients ;;
    kafka) echo librdkafka-dev gcc libc6-dev ;;
    postgres) echo postgresql postgresql-client ;;
    redis|redis-sentinel|redis-cluster) echo redis-server redis-tools ;;
    slapd) echo slapd ldap-utils ;;
    rabbitmq) echo rabbitmq-server ;;
    mongo) ;;                                                 # npm packages only (install_congodb)
    chromium) echo chromium ;;
  esac
}

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

# The packages NAME... need that are not installed, deduplicated, on one line.
missing_packages() {
  local n p out=" "
  for n; do
    known "$n"
    for p in $(packages_for "$n"); do
      [[ $out == *" $p "* ]] || installed "$p" || out+="$p "
    done
  done
  out=${out# }; echo "${out% }"
}

apt_line() { echo "apt-get install -y --no-install-recommends $*"; }

cmd_packages() { local n; for n; do known "$n"; packages_for "$n"; done; }

cmd_check() {
  local n missing; for n; do known "$n"; done
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  log "missing Debian packages for $*: $missing"
  log "install them as root with:"
  echo "  $(apt_line "$missing")" >&2
  exit 1
}

cmd_install() {
  [ $# -gt 0 ] || die "usage: services.sh install NAME..."
  local n t0 missing; t0=$(now)
  for n; do known "$n"; done
  missing=$(missing_packages "$@")
  if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
      log "missing Debian packages for $*: $missing"
      log "not root, so not installing them; as root run:"
      echo "  $(apt_line "$missing")" >&2
      exit 1
    fi
    # Package postinsts must not start daemons (there is no init system to stop them again).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    fi
    export DEBIAN_FRONTEND=noninteractive
    local opts=(-o DPkg::Lock::Timeout=600) pkgs
    read -ra pkgs <<<"$missing"
    log "installing: $missing"
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
      apt-get "${opts[@]}" update >&2
    fi
    if ! apt-get "${opts[@]}" install -y --no-install-recommends "${pkgs[@]}" >&2; then
      log "install failed; running apt-get update and trying again"
      apt-get "${opts[@]}" update >&2
      apt-get "${opts[@]}" install -y --no-install-recommends "${pkgs[@]}" >&2
    fi
  fi
  for n; do [ "$n" != kafka ] || build_kafka_mock; done
  for n; do [ "$n" != mongo ] || install_congodb; done
  log "install $*: done in $(since "$t0") s${missing:+ (installed $missing)}"
}

# ---------------------------------------------------------------------------------------------------
# The kafka mock daemon, built once per source version into the cache dir.

kafka_mock_bin() { echo "$CACHE/kafka-mock-$(sha256sum "$HERE/kafka-mock.c" | cut -c1-16)"; }

build_kafka_mock() {
  local bin; bin=$(kafka_mock_bin)
  [ -x "$bin" ] && return 0
  cmd_check kafka
  mkdir -p "$CACHE"
  local tmp="$bin.tmp.$$"
  gcc -O2 -Wall -o "$tmp" "$HERE/kafka-mock.c" -lrdkafka -lpthread || { rm -f "$tmp"; die "building kafka-mock failed"; }
  mv -f "$tmp" "$bin"                                        # atomic: parallel builds are harmless
  log "built $bin"
}

# ---------------------------------------------------------------------------------------------------
# The MongoDB stand-in: CongoDB, the wire-protocol server inside @push.rocks/smartmongo@2.2.0 (its
# full dependency tree does not install from this registry), with only the 6 packages it imports.

CONGODB_VERSION=2.2.0
congodb_dir() { echo "$CACHE/congodb-$CONGODB_VERSION"; }

install_congodb() {
  local dir; dir=$(congodb_dir)
  [ -f "$dir/server.mjs" ] && return 0
  command -v npm >/dev/null || die "mongo: npm not found"
  mkdir -p "$CACHE"
  local tmp="$dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo '{"private":true,"type":"module"}' >"$tmp/package.json"
  ( cd "$tmp" && npm install --no-audit --no-fund --ignore-scripts --no-package-lock \
      @push.rocks/smartfs@^1.3.1 @push.rocks/smartpath@^5.0.11 @push.rocks/smartpromise@^4.0.3 \
      @push.rocks/smartrx@^3.0.0 bson@^6.10.0 mingo@^7.2.0 >&2 \
    && npm pack --silent --pack-destination "$tmp" "@push.rocks/smartmongo@$CONGODB_VERSION" >/dev/null \
    && tar -xzf push.rocks-smartmongo-$CONGODB_VERSION.tgz package/dist_ts/congodb \
    && mv package/dist_ts/congodb congodb && rm -rf package ./*.tgz ) || { rm -rf "$tmp"; die "installing CongoDB failed"; }
  cat >"$tmp/server.mjs" <<'EOF'
// services.sh mongo: CongoDB on 127.0.0.1:PORT, documents kept as JSON files in DIR (kept across restarts).
import { CongoServer } from './congodb/index.js';
const [port, dir] = process.argv.slice(2);
const server = new CongoServer({ port: Number(port), host: '127.0.0.1', storage: 'file', storagePath: dir });
await server.start();
console.log(`congodb: ready on 127.0.0.1:${port}`);
const stop = () => { server.stop().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
EOF
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"                # parallel installs: the first one wins
  log "installed CongoDB $CONGODB_VERSION in $dir"
}

# ---------------------------------------------------------------------------------------------------
# Processes. Each spawned process has DIR/TAG.pid and DIR/TAG.pid.start (its start time in clock ticks
# since boot, field 22 of /proc/PID/stat), so a PID that now belongs to another process is never touched.

stat_fields() {  # PID -> "STATE STARTTIME" (fails if there is no such process)
  local line; { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  local rest=${line##*) }; local f; read -ra f <<<"$rest"
  echo "${f[0]} ${f[19]}"
}

starttime() { local s; s=$(stat_fields "$1") || return 1; echo "${s#* }"; }

# alive TAG: the recorded process exists, is the same process (start time) and has not exited. A zombie
# counts as exited (PID 1 may be slow to reap it), but only once all its threads are gone: the main
# thread of an exiting multi-threaded process is a zombie while other threads still hold its sockets.
alive() {
  local pf="$D/$1.pid" pid start s t
  [ -f "$pf" ] || return 1
  pid=$(<"$pf"); start=$(cat "$pf.start" 2>/dev/null || true)
  s=$(stat_fields "$pid") || return 1
  [ "${s#* }" = "$start" ] || return 1
  [ "${s%% *}" = Z ] || return 0
  for t in /proc/"$pid"/task/*; do
    [ "$t" = "/proc/$pid/task/$pid" ] && continue
    s=$(stat_fields "$pid/task/${t##*/}") || continue
    [[ ${s%% *} == [ZX] ]] || return 0
  done
  return 1
}

record_pid() {  # TAG PID
  echo "$2" >"$D/$1.pid"
  starttime "$2" >"$D/$1.pid.start" || : >"$D/$1.pid.start"
}

spawn() {  # TAG CMD...: run CMD in the background in DIR, output to DIR/TAG.log
  local tag=$1; shift
  [ -n "$(type -P "$1")" ] || die "$1 not found (services.sh install ${NAME})"
  ( cd "$D" && exec nohup "$@" >"$D/$tag.log" 2>&1 </dev/null ) &
  record_pid "$tag" $!
  SPAWNED+=("$tag")
}

# Stop one recorded process: SIG, wait up to STOP_TIMEOUT, then KILL.
stop_tag() {
  local tag=$1 sig=$2 pf="$D/$1.pid" pid deadline
  [ -f "$pf" ] || return 0
  pid=$(<"$pf")
  if alive "$tag"; then
    kill -"$sig" "$pid" 2>/dev/null || true
    deadline=$(( $(now) + STOP_TIMEOUT * 1000000 ))
    while alive "$tag" && (( $(now) < deadline )); do sleep 0.05; done
    if alive "$tag"; then
      log "$tag (pid $pid) still running after ${STOP_TIMEOUT}s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$(( $(now) + 5000000 ))
      while alive "$tag" && (( $(now) < deadline )); do sleep 0.05; done
      alive "$tag" && { log "$tag (pid $pid) survived KILL"; return 1; }
    fi
  fi
  rm -f "$pf" "$pf.start"
}

# All processes of instance NAME in DIR, main one first (rabbitmq: sh wrapper, Erlang VM, epmd).
stop_instance() {
  local name=$1 sig=TERM rc=0 tag pf
  [ "$name" = postgres ] && sig=INT                          # fast shutdown; TERM waits for clients
  for tag in "$name" "$name-vm" "$name-epmd"; do
    stop_tag "$tag" "$sig" || rc=1
  done
  # redis-sentinel / redis-cluster: one pid file per instance (NAME-<role>.pid)
  case $name in
    redis-sentinel|redis-cluster)
      for pf in "$D/$name"-*.pid; do
        [ -f "$pf" ] || continue
        tag=${pf##*/}; stop_tag "${tag%.pid}" "$sig" || rc=1
      done ;;
  esac
  release_sockdir
  return $rc
}

# ---------------------------------------------------------------------------------------------------
# Ports and readiness.

port_accepts() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

listen_inodes() {  # PORT -> inodes of the TCP sockets listening on it
  local hex; printf -v hex '%04X' "$1"
  awk -v h=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { print $10 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

port_taken() { [ -n "$(listen_inodes "$1")" ] || port_accepts "$1"; }

process_tree() {  # PID -> PID and its descendants
  local f line rest pids=("$1") parents=() all i changed=1
  all=$(for f in /proc/[0-9]*/stat; do
          { read -r line <"$f"; } 2>/dev/null || continue
          rest=${line##*) }; read -ra parents <<<"$rest"
          echo "${f//[^0-9]/} ${parents[1]}"
        done)
  while [ $changed = 1 ]; do
    changed=0
    while read -r f i; do
      [[ " ${pids[*]} " == *" $i "* && " ${pids[*]} " != *" $f "* ]] && { pids+=("$f"); changed=1; }
    done <<<"$all"
  done
  echo "${pids[@]}"
}

# owns_port TAG PORT: a process of TAG's tree holds the socket listening on PORT.
owns_port() {
  local inodes pid fd
  inodes=$(listen_inodes "$2"); [ -n "$inodes" ] || return 1
  for pid in $(process_tree "$(<"$D/$1.pid")"); do
    for fd in /proc/"$pid"/fd/*; do
      [[ $(readlink "$fd" 2>/dev/null) =~ ^socket:\[([0-9]+)\]$ ]] || continue
      grep -qx "${BASH_REMATCH[1]}" <<<"$inodes" && return 0
    done
  done
  return 1
}

# wait_ready TAG WHAT CMD...: run CMD until it succeeds; fail if TAG's process ends or on timeout.
wait_ready() {
  local tag=$1 what=$2; shift 2
  local deadline=$(( $(now) + START_TIMEOUT * 1000000 ))
  until "$@" >/dev/null 2>&1; do
    alive "$tag" || { log "$NAME: $tag exited before $what"; return 1; }
    (( $(now) < deadline )) || { log "$NAME: no $what after ${START_TIMEOUT}s"; return 1; }
    sleep 0.1
  done
}

# The instance must be the one listening on PORT (not another process that took the port meanwhile).
check_port_owner() {
  local tag=$1 port=$2
  owns_port "$tag" "$port" && return 0
  log "$NAME: 127.0.0.1:$port is answered by another process, not $tag"
  PORT_TAKEN=1
  return 1
}

# Unix sockets paths are limited to 107 bytes: a long DIR gets a short symlink /tmp/svc.XXXXXXXX.
sockdir() {
  if [ ${#D} -le 60 ]; then echo "$D"; return; fi
  local link
  if [ -f "$D/.sockdir" ] && [ "$(readlink "$(<"$D/.sockdir")" 2>/dev/null)" = "$D" ]; then
    cat "$D/.sockdir"; return
  fi
  link=$(mktemp -u /tmp/svc.XXXXXXXX)
  ln -s "$D" "$link" && echo "$link" >"$D/.sockdir"
  echo "$link"
}

release_sockdir() {
  [ -f "$D/.sockdir" ] || return 0
  compgen -G "$D/*.pid" >/dev/null && return 0               # another instance still uses DIR
  local link; link=$(<"$D/.sockdir")
  [ "$(readlink "$link" 2>/dev/null)" = "$D" ] && rm -f "$link"
  rm -f "$D/.sockdir"
}

ENV_LINES=()
emit() { ENV_LINES+=("$@"); }

tail_logs() {
  local f
  for f in "$D/$NAME"*.log "$D/$NAME"/*.log; do
    [ -s "$f" ] || continue
    log "--- last lines of $f"
    tail -n 15 "$f" >&2
  done
}

# ---------------------------------------------------------------------------------------------------
# Services. Each start_NAME runs with D (absolute DIR), P (port), NAME set, and calls emit.

start_mariadb() {
  local S u; S=$(sockdir)/mariadb; u=$(id -un)
  mkdir -p "$D/mariadb/data" "$D/mariadb/tmp"
  if [ ! -d "$D/mariadb/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$D/mariadb/data" --user="$u" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      >"$D/mariadb-install.log" 2>&1 || { tail -n 20 "$D/mariadb-install.log" >&2; return 1; }
  fi
  spawn mariadb /usr/sbin/mariadbd --no-defaults --user="$u" --datadir="$D/mariadb/data" \
    --socket="$S/mysqld.sock" --pid-file="$D/mariadb/mysqld.pid" --tmpdir="$D/mariadb/tmp" \
    --port="$P" --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin \
    --innodb-buffer-pool-size=32M --innodb-flush-log-at-trx-commit=0 --performance-schema=OFF \
    --log-error="$D/mariadb/error.log"
  wait_ready mariadb "answer to mariadb-admin ping" \
    mariadb-admin --no-defaults --socket="$S/mysqld.sock" -uroot --connect-timeout=2 ping
  mariadb --no-defaults --socket="$S/mysqld.sock" -uroot -e "
    CREATE DATABASE IF NOT EXISTS \`$SVC_DB\`;
    CREATE USER IF NOT EXISTS '$SVC_USER'@'%' IDENTIFIED BY '$SVC_PASSWORD';
    GRANT ALL ON \`$SVC_DB\`.* TO '$SVC_USER'@'%';"
  check_port_owner mariadb "$P"
  emit "MYSQL_URL=mysql://$SVC_USER:$SVC_PASSWORD@127.0.0.1:$P/$SVC_DB" MYSQL_HOST=127.0.0.1 "MYSQL_PORT=$P" \
    "MYSQL_USER=$SVC_USER" "MYSQL_PASSWORD=$SVC_PASSWORD" "MYSQL_DATABASE=$SVC_DB" "MYSQL_SOCKET=$S/mysqld.sock"
}

start_mosquitto() {
  mkdir -p "$D/mosquitto"
  : >"$D/mosquitto/passwd"; chmod 600 "$D/mosquitto/passwd"
  mosquitto_passwd -b "$D/mosquitto/passwd" "$SVC_USER" "$SVC_PASSWORD"
  # `user` = ourselves: otherwise mosquitto drops to the mosquitto user, who cannot read DIR.
  printf '%s\n' "user $(id -un)" 'persistence false' 'log_dest stderr' 'log_type all' \
    "listener $P 127.0.0.1" 'allow_anonymous true' "password_file $D/mosquitto/passwd" \
    >"$D/mosquitto/mosquitto.conf"
  spawn mosquitto /usr/sbin/mosquitto -c "$D/mosquitto/mosquitto.conf"
  wait_ready mosquitto "listener on port $P" owns_port mosquitto "$P"
  emit "MQTT_URL=mqtt://127.0.0.1:$P" MQTT_HOST=127.0.0.1 "MQTT_PORT=$P" \
    "MQTT_USER=$SVC_USER" "MQTT_PASSWORD=$SVC_PASSWORD"
}

start_kafka() {
  local bin; bin=$(kafka_mock_bin)
  [ -x "$bin" ] || build_kafka_mock
  spawn kafka "$bin" "$P" "${KAFKA_TOPICS:-}"
  wait_ready kafka "listener on port $P" owns_port kafka "$P"
  local mock; mock=$(sed -n 's/^kafka-mock: ready on .*, mock brokers //p' "$D/kafka.log" | tail -n 1)
  emit "KAFKA_BROKERS=127.0.0.1:$P" KAFKA_HOST=127.0.0.1 "KAFKA_PORT=$P" "KAFKA_TOPICS=${KAFKA_TOPICS:-}" \
    KAFKA_MOCK=librdkafka "KAFKA_MOCK_BROKERS=$mock"
}

start_postgres() {
  local B S pg=(); B=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$B" ] || die "postgres: no /usr/lib/postgresql/*/bin (services.sh install postgres)"
  S=$(sockdir)/pg
  mkdir -p "$D/pg"
  if [ "$(id -u)" = 0 ]; then                                 # initdb and postgres refuse to run as root
    pg=(setpriv --reuid=postgres --regid=postgres --init-groups)
    chown postgres: "$D/pg"; chmod o+x "$D"
  fi
  if [ ! -f "$D/pg/data/PG_VERSION" ]; then
    echo postgres >"$D/pg/.pw"; [ ${#pg[@]} = 0 ] || chown postgres "$D/pg/.pw"
    "${pg[@]}" "$B/initdb" -D "$D/pg/data" -U postgres --pwfile="$D/pg/.pw" --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync >"$D/postgres-initdb.log" 2>&1 \
      || { tail -n 20 "$D/postgres-initdb.log" >&2; return 1; }
  fi
  spawn postgres "${pg[@]}" "$B/postgres" -D "$D/pg/data" -p "$P" -k "$S" -c listen_addresses=127.0.0.1 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off
  wait_ready postgres "answer to pg_isready" "$B/pg_isready" -q -h 127.0.0.1 -p "$P"
  local psql=("${pg[@]}" "$B/psql" -h "$S" -p "$P" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = '$SVC_USER'")" ]; then
    "${psql[@]}" -c "CREATE ROLE \"$SVC_USER\" LOGIN PASSWORD '$SVC_PASSWORD'"
  fi
  if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$SVC_DB'")" ]; then
    "${psql[@]}" -c "CREATE DATABASE \"$SVC_DB\" OWNER \"$SVC_USER\""
  fi
  check_port_owner postgres "$P"
  emit "POSTGRES_URL=postgres://$SVC_USER:$SVC_PASSWORD@127.0.0.1:$P/$SVC_DB" POSTGRES_HOST=127.0.0.1 \
    "POSTGRES_PORT=$P" "POSTGRES_USER=$SVC_USER" "POSTGRES_PASSWORD=$SVC_PASSWORD" "POSTGRES_DB=$SVC_DB"
}

start_redis() {
  spawn redis redis-server --port "$P" --bind 127.0.0.1 --dir "$D" --save '' --appendonly no --daemonize no
  wait_ready redis "PONG" bash -c "redis-cli -p $P ping | grep -q PONG"
  redis-cli -p "$P" ACL SETUSER "$SVC_USER" on ">$SVC_PASSWORD" '~*' '&*' '+@all' >/dev/null
  check_port_owner redis "$P"
  emit "REDIS_URL=redis://127.0.0.1:$P" REDIS_HOST=127.0.0.1 "REDIS_PORT=$P" \
    "REDIS_USER=$SVC_USER" "REDIS_PASSWORD=$SVC_PASSWORD"
}

# A master on P, its replica on P+1, three sentinels on P+2..P+4 (quorum 2, master down after 1 s).
# Each start writes fresh configs: the roles are the original ones again even after a failover.
start_redis-sentinel() {
  local R="$D/redis-sentinel" i sp sentinels=""
  mkdir -p "$R"
  rm -f "$R"/sentinel-*.conf
  spawn redis-sentinel redis-server --port "$P" --bind 127.0.0.1 --dir "$R" --save '' --appendonly no --daemonize no \
    --dbfilename master.rdb
  spawn redis-sentinel-replica redis-server --port $((P + 1)) --bind 127.0.0.1 --dir "$R" --save '' --appendonly no \
    --daemonize no --dbfilename replica.rdb --replicaof 127.0.0.1 "$P"
  wait_ready redis-sentinel "PONG from the master" bash -c "redis-cli -p $P ping | grep -q PONG"
  wait_ready redis-sentinel-replica "replication link up" \
    bash -c "redis-cli -p $((P + 1)) info replication | grep -q master_link_status:up"
  for i in 1 2 3; do
    sp=$((P + 1 + i))
    printf '%s\n' "port $sp" 'bind 127.0.0.1' "dir $R" "sentinel monitor mymaster 127.0.0.1 $P 2" \
      'sentinel down-after-milliseconds mymaster 1000' 'sentinel failover-timeout mymaster 5000' \
      'sentinel parallel-syncs mymaster 1' >"$R/sentinel-$i.conf"
    spawn "redis-sentinel-s$i" redis-server "$R/sentinel-$i.conf" --sentinel
    sentinels+="${sentinels:+,}127.0.0.1:$sp"
  done
  for i in 1 2 3; do
    sp=$((P + 1 + i))
    wait_ready "redis-sentinel-s$i" "sentinel $i seeing the replica and the other sentinels" \
      bash -c "redis-cli -p $sp sentinel ckquorum mymaster | grep -q 'OK 3 usable' && redis-cli -p $sp sentinel replicas mymaster | grep -q $((P + 1))"
  done
  check_port_owner redis-sentinel "$P"
  emit "REDIS_SENTINELS=$sentinels" REDIS_MASTER_NAME=mymaster REDIS_HOST=127.0.0.1 "REDIS_MASTER_PORT=$P" \
    "REDIS_REPLICA_PORT=$((P + 1))"
}

# Three cluster masters on P..P+2 (cluster bus on P+3..P+5), slots split by redis-cli --cluster create.
start_redis-cluster() {
  local R="$D/redis-cluster" i p nodes="" addrs=()
  mkdir -p "$R"
  for i in 0 1 2; do
    p=$((P + i))
    local tag=redis-cluster-n$i; [ $i = 0 ] && tag=redis-cluster
    spawn "$tag" redis-server --port "$p" --bind 127.0.0.1 --dir "$R" --save '' --appendonly no --daemonize no \
      --cluster-enabled yes --cluster-config-file "$R/nodes-$i.conf" --cluster-port $((P + 3 + i)) \
      --cluster-node-timeout 2000 --dbfilename "dump-$i.rdb"
    addrs+=("127.0.0.1:$p"); nodes+="${nodes:+,}127.0.0.1:$p"
  done
  for i in 0 1 2; do
    local tag=redis-cluster-n$i; [ $i = 0 ] && tag=redis-cluster
    wait_ready "$tag" "PONG from node $i" bash -c "redis-cli -p $((P + i)) ping | grep -q PONG"
  done
  # a restart in the same DIR keeps nodes-*.conf: the nodes find each other again
  if ! redis-cli -p "$P" cluster info | grep -q 'cluster_known_nodes:3'; then
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >"$R/create.log" 2>&1 \
      || { tail -n 20 "$R/create.log" >&2; return 1; }
  fi
  for i in 0 1 2; do
    local tag=redis-cluster-n$i; [ $i = 0 ] && tag=redis-cluster
    wait_ready "$tag" "cluster_state:ok on node $i" bash -c "redis-cli -p $((P + i)) cluster info | grep -q cluster_state:ok"
  done
  check_port_owner redis-cluster "$P"
  emit "REDIS_CLUSTER_NODES=$nodes" REDIS_HOST=127.0.0.1 "REDIS_PORT=$P"
}

start_mongo() {
  local dir; dir=$(congodb_dir)
  [ -f "$dir/server.mjs" ] || install_congodb
  mkdir -p "$D/mongo"
  spawn mongo node "$dir/server.mjs" "$P" "$D/mongo"
  wait_ready mongo "listener on port $P" owns_port mongo "$P"
  emit "MONGO_URL=mongodb://127.0.0.1:$P/$SVC_DB" MONGO_HOST=127.0.0.1 "MONGO_PORT=$P" "MONGO_DB=$SVC_DB" \
    MONGO_STANDIN=congodb
}

LDAP_BASE=dc=example,dc=com
start_slapd() {
  mkdir -p "$D/slapd/data"
  cat >"$D/slapd/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
$(for f in ${SLAPD_SCHEMAS:-}; do echo "include $f"; done)
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $D/slapd/slapd.pid
database mdb
maxsize 67108864
suffix "$LDAP_BASE"
rootdn "cn=admin,$LDAP_BASE"
rootpw admin
directory $D/slapd/data
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
EOF
  spawn slapd /usr/sbin/slapd -d 0 -f "$D/slapd/slapd.conf" -h "ldap://127.0.0.1:$P/"
  local url="ldap://127.0.0.1:$P"
  wait_ready slapd "answer to ldapsearch" ldapsearch -x -H "$url" -b '' -s base
  local user_dn="uid=$SVC_USER,ou=users,$LDAP_BASE" hash
  if ! ldapsearch -x -H "$url" -b "$LDAP_BASE" -s base >/dev/null 2>&1; then
    hash=$(slappasswd -h '{SSHA}' -s "$SVC_PASSWORD")
    ldapadd -x -H "$url" -D "cn=admin,$LDAP_BASE" -w admin >/dev/null <<EOF
dn: $LDAP_BASE
objectClass: dcObject
objectClass: organization
dc: example
o: Test

dn: ou=users,$LDAP_BASE
objectClass: organizationalUnit
ou: users

dn: $user_dn
objectClass: inetOrgPerson
uid: $SVC_USER
cn: $SVC_USER
sn: $SVC_USER
userPassword: $hash
EOF
  fi
  check_port_owner slapd "$P"
  emit "LDAP_URL=$url" LDAP_HOST=127.0.0.1 "LDAP_PORT=$P" "LDAP_BASE_DN=$LDAP_BASE" \
    "LDAP_ADMIN_DN=cn=admin,$LDAP_BASE" LDAP_ADMIN_PASSWORD=admin "LDAP_USER_DN=$user_dn" \
    "LDAP_USER=$SVC_USER" "LDAP_PASSWORD=$SVC_PASSWORD"
}

start_rabbitmq() {
  local R="$D/rabbitmq"
  mkdir -p "$R"
  # Everything private to this instance: node name, cookie (HOME), ports, epmd, files.
  export HOME=$R RABBITMQ_NODENAME="rabbit$P@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$P RABBITMQ_DIST_PORT=$((P + 1)) ERL_EPMD_PORT=$((P + 2)) ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_CONF_ENV_FILE=$R/env.conf RABBITMQ_CONFIG_FILE=$R/rabbitmq.conf \
    RABBITMQ_ADVANCED_CONFIG_FILE=$R/advanced.config RABBITMQ_ENABLED_PLUGINS_FILE=$R/enabled_plugins \
    RABBITMQ_MNESIA_BASE=$R/mnesia RABBITMQ_LOG_BASE=$R/log RABBITMQ_PID_FILE=$R/rabbit.pid \
    RABBITMQ_LOGS=- ERL_CRASH_DUMP=$R/erl_crash.dump \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  : >"$R/env.conf"; echo '[].' >"$R/enabled_plugins"; echo '[].' >"$R/advanced.config"
  printf '%s\n' "default_user = $SVC_USER" "default_pass = $SVC_PASSWORD" 'default_user_tags.administrator = true' \
    'default_permissions.configure = .*' 'default_permissions.read = .*' 'default_permissions.write = .*' \
    'disk_free_limit.absolute = 1MB' 'log.file = false' 'log.console = true' >"$R/rabbitmq.conf"
  if [ ! -s "$R/.erlang.cookie" ]; then
    head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$R/.erlang.cookie"; chmod 400 "$R/.erlang.cookie"
  fi
  rm -f "$R/rabbit.pid"
  spawn rabbitmq-epmd epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1
  # /usr/lib/rabbitmq/bin, not /usr/sbin: as root the latter does su rabbitmq and cd /var/lib/rabbitmq.
  spawn rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_ready rabbitmq "AMQP listener on port $P" port_accepts "$P"
  wait_ready rabbitmq "answer to rabbitmqctl await_startup" /usr/lib/rabbitmq/bin/rabbitmqctl -q await_startup
  # The recorded PID is a /bin/sh wrapper; keep the Erlang VM's own PID too, for stop.
  [ -s "$R/rabbit.pid" ] && record_pid rabbitmq-vm "$(<"$R/rabbit.pid")"
  check_port_owner rabbitmq "$P"
  emit "AMQP_URL=amqp://$SVC_USER:$SVC_PASSWORD@127.0.0.1:$P" AMQP_HOST=127.0.0.1 "AMQP_PORT=$P" \
    "AMQP_USER=$SVC_USER" "AMQP_PASSWORD=$SVC_PASSWORD" "RABBITMQ_NODENAME=$RABBITMQ_NODENAME"
}

# ---------------------------------------------------------------------------------------------------

STARTED=0 PORT_TAKEN=0 SPAWNED=() PORTS=()

on_start_exit() {
  local rc=$?
  [ "$STARTED" = 1 ] && return 0
  [ "$rc" = 0 ] && rc=1
  tail_logs
  if [ ${#SPAWNED[@]} -gt 0 ]; then log "start failed: stopping $NAME"; stop_instance "$NAME" || true; fi
  # Whatever still listens on our ports now is another process: tell the caller to try other ports.
  local p
  for p in "${PORTS[@]}"; do port_taken "$p" && PORT_TAKEN=1; done
  if [ "$PORT_TAKEN" = 1 ]; then log "a port was taken by another process"; rc=$EX_PORT_TAKEN; fi
  exit "$rc"
}

cmd_start() {
  [ $# = 3 ] || die "usage: services.sh start NAME DIR PORT"
  NAME=$1; known "$NAME"
  [ "$NAME" != chromium ] || die "chromium is only installed, not started"
  P=$3
  [[ $P =~ ^[0-9]+$ ]] && (( P >= 1 && P <= 65533 )) || die "bad port '$P'"
  mkdir -p "$2"; D=$(cd "$2" && pwd)
  local t0; t0=$(now)
  cmd_check "$NAME"
  alive "$NAME" && die "$NAME is already running in $D (pid $(<"$D/$NAME.pid"))"
  PORTS=("$P")
  [ "$NAME" = rabbitmq ] && PORTS+=($((P + 1)) $((P + 2)))
  [ "$NAME" = redis-sentinel ] && PORTS+=($((P + 1)) $((P + 2)) $((P + 3)) $((P + 4)))
  [ "$NAME" = redis-cluster ] && PORTS+=($((P + 1)) $((P + 2)) $((P + 3)) $((P + 4)) $((P + 5)))
  local p
  for p in "${PORTS[@]}"; do
    port_taken "$p" && { log "$NAME: port $p is in use"; exit $EX_PORT_TAKEN; }
  done
  trap on_start_exit EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT
  "start_$NAME"
  local f="$D/$NAME.env"
  printf '%s\n' "${ENV_LINES[@]}" >"$f.tmp" && mv -f "$f.tmp" "$f"
  STARTED=1
  log "$NAME ready on 127.0.0.1:$P in $(since "$t0") s (pid $(<"$D/$NAME.pid"), dir $D)"
  printf '%s\n' "${ENV_LINES[@]}"
}

cmd_stop() {
  [ $# = 2 ] || die "usage: services.sh stop NAME DIR"
  NAME=$1; known "$NAME"
  [ -d "$2" ] || return 0
  D=$(cd "$2" && pwd)
  local t0; t0=$(now)
  stop_instance "$NAME"
  log "$NAME stopped in $(since "$t0") s"
}

main() {
  local cmd=${1:-}; shift || true
  case $cmd in
    install) cmd_install "$@" ;;
    check) [ $# -gt 0 ] || die "usage: services.sh check NAME..."; cmd_check "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    packages) cmd_packages "$@" ;;
    *) sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
