// Listeners on every node.
import { get, perNode } from '../lib/api.js';
import { num } from '../lib/format.js';
import { useLoad } from '../lib/hooks.js';
import { ErrorBox, Page, Table } from '../components.jsx';

export function Listeners() {
  const list = useLoad(() => get('/listeners').then((d) => perNode(d, 'listeners')));
  return (
    <Page title="Listeners" actions={<button class="btn small" onClick={list.reload}>Refresh</button>}>
      <ErrorBox error={list.error} />
      <Table
        rowKey={(l) => `${l.node} ${l.identifier || l.listen_on}`}
        rows={list.data}
        loading={list.loading}
        columns={[
          { key: 'protocol', label: 'Protocol' },
          { key: 'identifier', label: 'Name' },
          { key: 'listen_on', label: 'Listen on' },
          { key: 'node', label: 'Node' },
          { key: 'current_conns', label: 'Connections', class: 'num', render: (l) => `${num(l.current_conns)} / ${num(l.max_conns)}` },
          { key: 'acceptors', label: 'Acceptors', class: 'num' },
        ]}
      />
    </Page>
  );
}
