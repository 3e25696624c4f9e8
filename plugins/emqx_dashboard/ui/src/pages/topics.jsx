// Topics: the route table (topic filter → node), in pages.
import { useState } from 'preact/hooks';
import { qs, request } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { ErrorBox, Page, Pager, Table } from '../components.jsx';

export function Topics() {
  const [page, setPage] = useState(1);
  const [limit, setLimit] = useState(20);
  const list = useLoad(() => request('GET', '/routes' + qs({ _page: page, _limit: limit })), [page, limit]);
  return (
    <Page title="Topics" actions={<button class="btn small" onClick={list.reload}>Refresh</button>}>
      <ErrorBox error={list.error} />
      <Table rowKey={(r) => `${r.topic} ${r.node}`} rows={list.data?.data} loading={list.loading} empty="No routes." columns={[{ key: 'topic', label: 'Topic' }, { key: 'node', label: 'Node' }]} />
      <Pager meta={list.data?.meta} page={page} limit={limit} onPage={setPage} onLimit={(n) => { setLimit(n); setPage(1); }} />
    </Page>
  );
}
