// Overview: live charts polled every 2 s from /stats, /metrics and /nodes. Message rates are
// metric deltas over the poll interval; history stays while the app is open.
import { useState } from 'preact/hooks';
import { get } from '../lib/api.js';
import { bytes, num, toBytes } from '../lib/format.js';
import { usePoll } from '../lib/hooks.js';
import { Badge, Chart, ErrorBox, Page, Stat, Table } from '../components.jsx';

const POLL_MS = 2000;
const KEEP = 180;

/** [{node, stats: {...}}] or [{node, ...}] → { node: {...} } */
function byNode(rows, key) {
  const out = {};
  for (const r of Array.isArray(rows) ? rows : []) out[r.node ?? 'node'] = r[key] && typeof r[key] === 'object' ? r[key] : r;
  return out;
}

const sum = (nodes, k) => Object.values(nodes).reduce((n, s) => n + (Number(s[k]) || 0), 0);
const max = (nodes, k) => Object.values(nodes).reduce((n, s) => Math.max(n, Number(s[k]) || 0), 0);

// module state: survives page switches
const hist = { t: [], conns: [], subs: [], topics: [], in: [], out: [], dropped: [], cpu: {}, mem: {}, last: undefined };

function push(arr, v) {
  arr.push(v);
  if (arr.length > KEEP) arr.shift();
}

function record(stats, metrics, nodes) {
  const now = Date.now() / 1000;
  const m = { recv: sum(metrics, 'messages.received'), sent: sum(metrics, 'messages.sent'), dropped: sum(metrics, 'messages.dropped') };
  const prev = hist.last;
  hist.last = { t: now, ...m };
  const rate = (k) => (prev && now > prev.t ? Math.max(0, (m[k] - prev[k]) / (now - prev.t)) : null);
  push(hist.t, now);
  push(hist.conns, sum(stats, 'connections.count'));
  push(hist.subs, sum(stats, 'subscriptions.count'));
  // topics are a cluster-wide count every node reports: the largest, not the sum
  push(hist.topics, max(stats, 'topics.count'));
  push(hist.in, rate('recv'));
  push(hist.out, rate('sent'));
  push(hist.dropped, rate('dropped'));
  for (const n of nodes) {
    const name = n.node || n.name;
    if (!name) continue;
    for (const [k, v] of [['cpu', Number(n.cpu_use)], ['mem', toBytes(n.memory_used)]]) {
      if (!hist[k][name]) hist[k][name] = hist.t.slice(0, -1).map(() => null);
      hist[k][name].push(Number.isFinite(v) ? v : null);
    }
  }
  const len = hist.t.length;
  for (const k of ['cpu', 'mem']) {
    for (const name of Object.keys(hist[k])) {
      const a = hist[k][name];
      while (a.length < len) a.push(null);
      while (a.length > len) a.shift();
    }
  }
}

export function Overview() {
  const [view, setView] = useState({ stats: {}, nodes: [], error: undefined, tick: 0 });
  usePoll(async () => {
    try {
      const [stats, metrics, nodes] = await Promise.all([get('/stats'), get('/metrics'), get('/nodes')]);
      const s = byNode(stats, 'stats');
      record(s, byNode(metrics, 'metrics'), Array.isArray(nodes) ? nodes : []);
      setView((v) => ({ stats: s, nodes: Array.isArray(nodes) ? nodes : [], error: undefined, tick: v.tick + 1 }));
    } catch (error) {
      setView((v) => ({ ...v, error }));
    }
  }, POLL_MS);

  const last = (a) => (a.length ? a[a.length - 1] : null);
  const names = Object.keys(hist.cpu);
  const t = [...hist.t];
  return (
    <Page title="Overview" actions={<span class="muted live">● live, every {POLL_MS / 1000} s</span>}>
      <ErrorBox error={view.error} />
      <div class="stats">
        <Stat label="Connections" value={num(last(hist.conns))} />
        <Stat label="Subscriptions" value={num(last(hist.subs))} />
        <Stat label="Topics" value={num(last(hist.topics))} />
        <Stat label="Retained" value={num(max(view.stats, 'retained.count'))} />
        <Stat label="Messages in /s" value={num(last(hist.in))} />
        <Stat label="Messages out /s" value={num(last(hist.out))} />
        <Stat label="Dropped /s" value={num(last(hist.dropped))} />
      </div>
      <div class="charts">
        <Chart id="chart-clients" title="Connections, subscriptions, topics" series={[{ label: 'connections' }, { label: 'subscriptions' }, { label: 'topics', dash: [6, 4] }]} data={[t, [...hist.conns], [...hist.subs], [...hist.topics]]} fmt={num} />
        <Chart id="chart-messages" title="Messages per second" series={[{ label: 'in' }, { label: 'out', dash: [6, 4] }, { label: 'dropped' }]} data={[t, [...hist.in], [...hist.out], [...hist.dropped]]} fmt={num} />
        <Chart id="chart-cpu" title="Node CPU (% of one core)" series={names.map((n) => ({ label: n }))} data={[t, ...names.map((n) => [...hist.cpu[n]])]} fmt={(v) => `${num(v)}%`} />
        <Chart id="chart-memory" title="Node memory used" series={names.map((n) => ({ label: n }))} data={[t, ...names.map((n) => [...hist.mem[n]])]} fmt={bytes} axis={80} />
      </div>
      <h2>Nodes</h2>
      <Table
        rowKey={(n) => n.node || n.name}
        rows={view.nodes}
        loading={view.tick === 0}
        columns={[
          { key: 'node', label: 'Node', render: (n) => n.node || n.name },
          { key: 'node_status', label: 'Status', render: (n) => <Badge ok={n.node_status === 'Running'}>{n.node_status}</Badge> },
          { key: 'version', label: 'Version' },
          { key: 'uptime', label: 'Uptime' },
          { key: 'connections', label: 'Connections', class: 'num', render: (n) => num(n.connections) },
          { key: 'cpu_use', label: 'CPU', class: 'num', render: (n) => (n.cpu_use === undefined ? '-' : `${num(n.cpu_use)}%`) },
          { key: 'memory_used', label: 'Memory', render: (n) => `${bytes(n.memory_used)} / ${bytes(n.memory_total)}` },
          { key: 'load1', label: 'Load 1/5/15', render: (n) => [n.load1, n.load5, n.load15].map((x) => (x === undefined ? '-' : x)).join(' / ') },
          { key: 'max_fds', label: 'Max fds', class: 'num' },
        ]}
      />
    </Page>
  );
}
