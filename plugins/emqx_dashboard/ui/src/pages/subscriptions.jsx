// Subscriptions: every subscription, filtered by client id or topic, in pages.
import { useState } from 'preact/hooks';
import { enc, qs, request } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { ErrorBox, Page, Pager, Table } from '../components.jsx';

export function Subscriptions() {
  const [form, setForm] = useState({ clientid: '', topic: '' });
  const [filter, setFilter] = useState({});
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(20);
  const list = useLoad(() => request('GET', '/subscriptions' + qs({ _page: page, _limit: limit, ...filter })), [page, limit, filter]);
  return (
    <Page title="Subscriptions" actions={<button class="btn small" onClick={list.reload}>Refresh</button>}>
      <form class="toolbar" onSubmit={(e) => { e.preventDefault(); setPage(1); setFilter({ clientid: form.clientid.trim(), topic: form.topic.trim() }); }}>
        <input placeholder="Client ID" value={form.clientid} onInput={(e) => setForm({ ...form, clientid: e.currentTarget.value })} />
        <input placeholder="Topic" value={form.topic} onInput={(e) => setForm({ ...form, topic: e.currentTarget.value })} />
        <button class="btn" type="submit">Filter</button>
      </form>
      <ErrorBox error={list.error} />
      <Table
        rowKey={(s) => `${s.clientid} ${s.topic}`}
        rows={list.data?.data}
        loading={list.loading}
        empty="No subscriptions."
        columns={[
          { key: 'clientid', label: 'Client ID', render: (s) => <a href={`#/clients/${enc(s.clientid)}`}>{s.clientid}</a> },
          { key: 'topic', label: 'Topic' },
          { key: 'qos', label: 'QoS', class: 'num' },
          { key: 'node', label: 'Node' },
        ]}
      />
      <Pager meta={list.data?.meta} page={page} limit={limit} onPage={setPage} onLimit={(n) => { setLimit(n); setPage(1); }} />
    </Page>
  );
}
