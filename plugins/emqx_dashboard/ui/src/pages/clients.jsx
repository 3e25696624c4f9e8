// Clients: search by client id (`_like_clientid`), pages, kick; the detail view shows one client
// and its subscriptions, and can subscribe it to a topic or unsubscribe it.
import { useState } from 'preact/hooks';
import { del, enc, get, post, qs, request } from '../lib/api.js';
import { num, time } from '../lib/format.js';
import { useLoad } from '../lib/hooks.js';
import { Badge, ConfirmButton, ErrorBox, Page, Pager, Table } from '../components.jsx';

export function Clients() {
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(20);
  const [note, setNote] = useState(undefined);
  const list = useLoad(() => request('GET', '/clients' + qs({ _page: page, _limit: limit, _like_clientid: search })), [page, limit, search]);
  const kick = async (id) => {
    try {
      await del(`/clients/${enc(id)}`);
      setNote({ message: `Kicked ${id}` });
      list.reload();
    } catch (err) {
      setNote(err);
    }
  };
  return (
    <Page title="Clients" actions={<button class="btn small" onClick={list.reload}>Refresh</button>}>
      <form class="toolbar" onSubmit={(e) => { e.preventDefault(); setPage(1); setSearch(q.trim()); }}>
        <input name="clientid" placeholder="Search client ID" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button class="btn" type="submit">Search</button>
        {search && <button class="btn ghost" type="button" onClick={() => { setQ(''); setSearch(''); setPage(1); }}>Clear</button>}
      </form>
      <ErrorBox error={list.error} />
      {note && <div class={note instanceof Error ? 'error' : 'note'} role="status">{note.message}</div>}
      <Table
        rowKey={(c) => c.clientid}
        rows={list.data?.data}
        loading={list.loading}
        empty={search ? `No client ID contains "${search}".` : 'No clients connected.'}
        columns={[
          { key: 'clientid', label: 'Client ID', render: (c) => <a href={`#/clients/${enc(c.clientid)}`}>{c.clientid}</a> },
          { key: 'username', label: 'Username' },
          { key: 'ip_address', label: 'IP address', render: (c) => `${c.ip_address ?? '-'}:${c.port ?? ''}` },
          { key: 'proto_ver', label: 'Protocol', render: (c) => `${c.proto_name ?? 'MQTT'} v${c.proto_ver ?? '?'}` },
          { key: 'keepalive', label: 'Keepalive', class: 'num' },
          { key: 'connected', label: 'State', render: (c) => <Badge ok={c.connected}>{c.connected ? 'connected' : 'disconnected'}</Badge> },
          { key: 'subscriptions_cnt', label: 'Subs', class: 'num' },
          { key: 'connected_at', label: 'Connected at', render: (c) => time(c.connected_at) },
          { key: 'kick', label: '', render: (c) => <ConfirmButton label="Kick" confirm="Kick?" onConfirm={() => kick(c.clientid)} /> },
        ]}
      />
      <Pager meta={list.data?.meta} page={page} limit={limit} onPage={setPage} onLimit={(n) => { setLimit(n); setPage(1); }} />
    </Page>
  );
}

const FIELDS = [
  ['node', 'Node'], ['username', 'Username'], ['proto_name', 'Protocol'], ['proto_ver', 'Version'], ['ip_address', 'IP address'],
  ['port', 'Port'], ['keepalive', 'Keepalive'], ['clean_start', 'Clean start'], ['expiry_interval', 'Session expiry'],
  ['connected_at', 'Connected at'], ['created_at', 'Session created'], ['zone', 'Zone'], ['is_bridge', 'Bridge'],
  ['inflight', 'Inflight'], ['max_inflight', 'Max inflight'], ['mqueue_len', 'Queue length'], ['max_mqueue', 'Max queue'],
  ['mqueue_dropped', 'Queue dropped'], ['awaiting_rel', 'Awaiting PUBREL'], ['recv_msg', 'Messages in'], ['send_msg', 'Messages out'],
  ['recv_oct', 'Bytes in'], ['send_oct', 'Bytes out'],
];

export function ClientDetail({ arg: id }) {
  const client = useLoad(() => get(`/clients/${enc(id)}`), [id]);
  const subs = useLoad(() => get(`/subscriptions/${enc(id)}`), [id]);
  const [topic, setTopic] = useState('');
  const [qos, setQos] = useState(0);
  const [note, setNote] = useState(undefined);
  const c = Array.isArray(client.data) ? client.data[0] : client.data;
  const act = async (fn, ok) => {
    try {
      await fn();
      setNote({ message: ok });
      subs.reload();
      client.reload();
    } catch (err) {
      setNote(err);
    }
  };
  return (
    <Page title={`Client ${id}`} actions={<>
      <a class="btn small ghost" href="#/clients">‹ All clients</a>
      {c && <ConfirmButton label="Kick" confirm="Kick?" onConfirm={() => act(() => del(`/clients/${enc(id)}`), `Kicked ${id}`)} />}
    </>}>
      <ErrorBox error={client.error} />
      {note && <div class={note instanceof Error ? 'error' : 'note'} role="status">{note.message}</div>}
      {!client.loading && !c && !client.error && <p class="empty">This client is not connected (and has no session).</p>}
      {c && (
        <div class="card">
          <div class="status-line"><Badge ok={c.connected}>{c.connected ? 'connected' : 'disconnected'}</Badge></div>
          <dl class="fields">
            {FIELDS.filter(([k]) => c[k] !== undefined).map(([k, label]) => (
              <div><dt>{label}</dt><dd>{k.endsWith('_at') ? time(c[k]) : typeof c[k] === 'number' ? num(c[k]) : String(c[k] ?? '-')}</dd></div>
            ))}
          </dl>
        </div>
      )}
      <h2>Subscriptions</h2>
      <ErrorBox error={subs.error} />
      <form class="toolbar" onSubmit={(e) => { e.preventDefault(); if (topic) act(() => post('/mqtt/subscribe', { clientid: id, topic, qos }), `Subscribed to ${topic}`); }}>
        <input name="topic" placeholder="Topic filter" value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
        <select value={qos} onChange={(e) => setQos(Number(e.currentTarget.value))} aria-label="QoS">{[0, 1, 2].map((n) => <option value={n}>QoS {n}</option>)}</select>
        <button class="btn" type="submit">Subscribe</button>
      </form>
      <Table
        rowKey={(s) => s.topic}
        rows={subs.data}
        loading={subs.loading}
        empty="No subscriptions."
        columns={[
          { key: 'topic', label: 'Topic' },
          { key: 'qos', label: 'QoS', class: 'num' },
          { key: 'node', label: 'Node' },
          { key: 'x', label: '', render: (s) => <ConfirmButton label="Unsubscribe" onConfirm={() => act(() => post('/mqtt/unsubscribe', { clientid: id, topic: s.topic }), `Unsubscribed from ${s.topic}`)} /> },
        ]}
      />
    </Page>
  );
}
