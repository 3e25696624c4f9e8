// Alarms: current ones first, then the history; the history can be cleared.
import { useState } from 'preact/hooks';
import { del, get, perNode } from '../lib/api.js';
import { time } from '../lib/format.js';
import { useLoad } from '../lib/hooks.js';
import { Badge, ConfirmButton, ErrorBox, Page, Table } from '../components.jsx';

export function Alarms() {
  const list = useLoad(() => get('/alarms').then((d) => perNode(d, 'alarms')));
  const [note, setNote] = useState(undefined);
  const rows = (list.data || []).slice().sort((a, b) => Number(b.activated) - Number(a.activated));
  const clear = async () => {
    try {
      await del('/alarms/deactivated');
      setNote({ message: 'History cleared' });
    } catch (err) {
      setNote(err);
    }
    list.reload();
  };
  return (
    <Page title="Alarms" actions={<>
      <ConfirmButton label="Clear history" confirm="Clear?" onConfirm={clear} />
      <button class="btn small" onClick={list.reload}>Refresh</button>
    </>}>
      <ErrorBox error={list.error} />
      {note && <div class={note instanceof Error ? 'error' : 'note'} role="status">{note.message}</div>}
      <Table
        rowKey={(a) => `${a.node} ${a.name} ${a.activate_at}`}
        rows={list.data ? rows : undefined}
        loading={list.loading}
        empty="No alarms. All is well."
        columns={[
          { key: 'activated', label: 'State', render: (a) => <Badge ok={!a.activated}>{a.activated ? 'active' : 'cleared'}</Badge> },
          { key: 'name', label: 'Name' },
          { key: 'message', label: 'Message', class: 'wrap' },
          { key: 'node', label: 'Node' },
          { key: 'activate_at', label: 'Raised', render: (a) => time(a.activate_at) },
          { key: 'deactivate_at', label: 'Cleared', render: (a) => (a.activated ? '-' : time(a.deactivate_at)) },
        ]}
      />
    </Page>
  );
}
