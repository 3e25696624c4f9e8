// Plugins on every node: version, state, and load / unload / reload.
import { useState } from 'preact/hooks';
import { enc, get, perNode, put } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { Badge, ErrorBox, Page, Table } from '../components.jsx';

export function Plugins() {
  const list = useLoad(() => get('/plugins').then((d) => perNode(d, 'plugins')));
  const [note, setNote] = useState(undefined);
  const [busy, setBusy] = useState('');
  const [filter, setFilter] = useState('');
  const act = async (p, action) => {
    setBusy(`${p.node} ${p.name}`);
    try {
      await put(p.node ? `/nodes/${enc(p.node)}/plugins/${enc(p.name)}/${action}` : `/plugins/${enc(p.name)}/${action}`);
      setNote({ message: `${p.name}: ${action} done` });
    } catch (err) {
      setNote(err);
    } finally {
      setBusy('');
      list.reload();
    }
  };
  const rows = (list.data || []).filter((p) => !filter || p.name.includes(filter));
  return (
    <Page title="Plugins" actions={<>
      <input class="small" placeholder="Filter" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      <button class="btn small" onClick={list.reload}>Refresh</button>
    </>}>
      <ErrorBox error={list.error} />
      {note && <div class={note instanceof Error ? 'error' : 'note'} role="status">{note.message}</div>}
      <Table
        rowKey={(p) => `${p.node} ${p.name}`}
        rows={list.data ? rows : undefined}
        loading={list.loading}
        columns={[
          { key: 'name', label: 'Name', render: (p) => <strong>{p.name}</strong> },
          { key: 'version', label: 'Version' },
          { key: 'description', label: 'Description', class: 'wrap' },
          { key: 'type', label: 'Type' },
          { key: 'node', label: 'Node' },
          { key: 'active', label: 'State', render: (p) => <Badge ok={p.active}>{p.active ? 'running' : 'stopped'}</Badge> },
          {
            key: 'x', label: '', render: (p) => {
              const b = busy === `${p.node} ${p.name}`;
              return p.active
                ? <span class="btns"><button class="btn small" disabled={b} onClick={() => act(p, 'reload')}>Reload</button><button class="btn small danger" disabled={b} onClick={() => act(p, 'unload')}>Unload</button></span>
                : <button class="btn small primary" disabled={b} onClick={() => act(p, 'load')}>Load</button>;
            },
          },
        ]}
      />
    </Page>
  );
}
