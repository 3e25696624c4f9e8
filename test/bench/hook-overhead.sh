#!/usr/bin/env bash
# Fan-in and QoS 1 throughput with 10 no-op message.publish taps against none, alternating
# A B A B … for ROUNDS rounds on fresh nodes. Usage: bash test/bench/hook-overhead.sh [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
bench="node $root/packages/bench/dist/cli.js"
tmp=$(mktemp -d)
trap 'kill $(cat $tmp/pid 2>/dev/null) 2>/dev/null || true; rm -rf $tmp' EXIT

start_node() { # $1 = with|without
  local d=$tmp/$1 port=$((24000 + RANDOM % 4000))
  rm -rf "$d"; mkdir -p "$d/data"
  if [ "$1" = with ]; then echo '{fx_noop_taps, true}.' >"$d/data/loaded_plugins"; else : >"$d/data/loaded_plugins"; fi
  EMQX_LISTENER__TCP__EXTERNAL=127.0.0.1:$port EMQX_LISTENER__TCP__INTERNAL= EMQX_LISTENER__SSL__EXTERNAL= \
  EMQX_LISTENER__WS__EXTERNAL= EMQX_LISTENER__WSS__EXTERNAL= EMQX_NODE__DATA_DIR=$d/data EMQX_LOG__LEVEL=error \
  EMQX_PLUGINS__EXPAND_PLUGINS_DIR=$root/test/fixtures/bench-plugins EMQX_PLUGINS__LOADED_FILE=$d/data/loaded_plugins \
    node "$root/bin/emqx" foreground >"$d/log" 2>&1 &
  echo $! >$tmp/pid
  for _ in $(seq 50); do grep -q 'running now' "$d/log" 2>/dev/null && break; sleep 0.1; done
  echo $port
}

echo "| round | scenario | no taps (msg/s) | 10 no-op taps (msg/s) | change |"
echo "|---:|---|---:|---:|---:|"
: >$tmp/results
for r in $(seq "$rounds"); do
  for s in fan-in qos1; do
    declare -A v=()
    for mode in without with; do
      port=$(start_node $mode)
      v[$mode]=$($bench scenario $s -h 127.0.0.1 -p "$port" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(Math.round(JSON.parse(s).metrics[0].value)))')
      kill "$(cat $tmp/pid)"; wait "$(cat $tmp/pid)" 2>/dev/null || true
    done
    echo "| $r | $s | ${v[without]} | ${v[with]} | $(node -e "console.log(((${v[with]}/${v[without]}-1)*100).toFixed(1)+' %')") |"
    echo "$s ${v[without]} ${v[with]}" >>$tmp/results
  done
done
# medians over the rounds
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
const med = (a) => { a = a.slice().sort((x, y) => x - y); const m = a.length >> 1; return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2; };
for (const s of [...new Set(rows.map((r) => r[0]))]) {
  const w = med(rows.filter((r) => r[0] === s).map((r) => +r[1])), t = med(rows.filter((r) => r[0] === s).map((r) => +r[2]));
  console.log(`| median | ${s} | ${Math.round(w)} | ${Math.round(t)} | ${((t / w - 1) * 100).toFixed(1)} % |`);
}' $tmp/results
