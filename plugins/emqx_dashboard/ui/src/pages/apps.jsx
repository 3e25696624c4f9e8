// Applications: the app id / secret pairs that authenticate HTTP API callers (on the management listener).
import { useState } from 'preact/hooks';
import { del, enc, get, post } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { Badge, ConfirmButton, ErrorBox, Page, Table } from '../components.jsx';

export function Apps() {
  const list = useLoad(() => get('/apps'));
  const [form, setForm] = useState({ app_id: '', name: '', desc: '' });
  const [note, setNote] = useState(undefined);
  const add = async (e) => {
    e.preventDefault();
    try {
      const r = await post('/apps', { ...form, status: true });
      const secret = r.data?.secret;
      setNote({ message: secret ? `Created ${form.app_id}; its secret is ${secret} (shown once, copy it now)` : `Created ${form.app_id}` });
      setForm({ app_id: '', name: '', desc: '' });
    } catch (err) {
      setNote(err);
    }
    list.reload();
  };
  const remove = async (id) => {
    try {
      await del(`/apps/${enc(id)}`);
      setNote({ message: `Deleted ${id}` });
    } catch (err) {
      setNote(err);
    }
    list.reload();
  };
  return (
    <Page title="Applications">
      <form class="toolbar" onSubmit={add}>
        <input placeholder="App ID" required value={form.app_id} onInput={(e) => setForm({ ...form, app_id: e.currentTarget.value })} />
        <input placeholder="Name" required value={form.name} onInput={(e) => setForm({ ...form, name: e.currentTarget.value })} />
        <input placeholder="Description" value={form.desc} onInput={(e) => setForm({ ...form, desc: e.currentTarget.value })} />
        <button class="btn primary" type="submit">Add</button>
      </form>
      <ErrorBox error={list.error} />
      {note && <div class={note instanceof Error ? 'error' : 'note'} role="status">{note.message}</div>}
      <Table
        rowKey={(a) => a.app_id}
        rows={list.data}
        loading={list.loading}
        empty="No applications."
        columns={[
          { key: 'app_id', label: 'App ID' },
          { key: 'name', label: 'Name' },
          { key: 'desc', label: 'Description' },
          { key: 'status', label: 'Status', render: (a) => <Badge ok={a.status}>{a.status ? 'allowed' : 'denied'}</Badge> },
          { key: 'expired', label: 'Expires', render: (a) => (a.expired === 'undefined' || !a.expired ? 'never' : String(a.expired)) },
          { key: 'x', label: '', render: (a) => <ConfirmButton label="Delete" confirm="Delete?" onConfirm={() => remove(a.app_id)} /> },
        ]}
      />
    </Page>
  );
}
