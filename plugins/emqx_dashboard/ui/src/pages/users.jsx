// Users: dashboard users, adding and deleting them, and changing your own password.
import { useState } from 'preact/hooks';
import { del, enc, get, login, post, put, session } from '../lib/api.js';
import { useLoad } from '../lib/hooks.js';
import { useSignal } from '../lib/signal.js';
import { ConfirmButton, ErrorBox, Page, Table } from '../components.jsx';

export function Users() {
  const me = useSignal(session);
  const list = useLoad(() => get('/users'));
  const [note, setNote] = useState(undefined);
  const [pwd, setPwd] = useState({ old_pwd: '', new_pwd: '', again: '' });
  const [form, setForm] = useState({ username: '', password: '', tags: '' });
  const change = async (e) => {
    e.preventDefault();
    if (pwd.new_pwd !== pwd.again) return setNote(new Error('The new passwords differ.'));
    try {
      await put(`/change_pwd/${enc(me.username)}`, { old_pwd: pwd.old_pwd, new_pwd: pwd.new_pwd });
      login(me.username, pwd.new_pwd, !!localStorage.getItem('nemq.dashboard.user'));
      setPwd({ old_pwd: '', new_pwd: '', again: '' });
      setNote({ message: 'Password changed.' });
    } catch (err) {
      setNote(err.code === 114 ? new Error('The current password is wrong.') : err);
    }
    list.reload();
  };
  const add = async (e) => {
    e.preventDefault();
    try {
      await post('/users', form);
      setNote({ message: `Added ${form.username}` });
      setForm({ username: '', password: '', tags: '' });
    } catch (err) {
      setNote(err);
    }
    list.reload();
  };
  const remove = async (name) => {
    try {
      await del(`/users/${enc(name)}`);
      setNote({ message: `Deleted ${name}` });
    } catch (err) {
      setNote(err);
    }
    list.reload();
  };
  return (
    <Page title="Users">
      {note && <div class={note instanceof Error ? 'error' : 'note'} role="status">{note.message}</div>}
      <div class="two">
        <form class="card form" onSubmit={change} id="change-password">
          <h3>Change my password ({me.username})</h3>
          <label>Current password<input type="password" name="old_pwd" required value={pwd.old_pwd} onInput={(e) => setPwd({ ...pwd, old_pwd: e.currentTarget.value })} /></label>
          <label>New password<input type="password" name="new_pwd" required value={pwd.new_pwd} onInput={(e) => setPwd({ ...pwd, new_pwd: e.currentTarget.value })} /></label>
          <label>New password again<input type="password" name="again" required value={pwd.again} onInput={(e) => setPwd({ ...pwd, again: e.currentTarget.value })} /></label>
          <button class="btn primary" type="submit">Change password</button>
        </form>
        <form class="card form" onSubmit={add}>
          <h3>Add a user</h3>
          <label>Username<input required value={form.username} onInput={(e) => setForm({ ...form, username: e.currentTarget.value })} /></label>
          <label>Password<input type="password" required value={form.password} onInput={(e) => setForm({ ...form, password: e.currentTarget.value })} /></label>
          <label>Tags<input value={form.tags} placeholder="e.g. viewer" onInput={(e) => setForm({ ...form, tags: e.currentTarget.value })} /></label>
          <button class="btn" type="submit">Add user</button>
        </form>
      </div>
      <ErrorBox error={list.error} />
      <Table
        rowKey={(u) => u.username}
        rows={list.data}
        loading={list.loading}
        columns={[
          { key: 'username', label: 'Username' },
          { key: 'tags', label: 'Tags' },
          { key: 'x', label: '', render: (u) => (u.username === 'admin' || u.username === me.username ? null : <ConfirmButton label="Delete" confirm="Delete?" onConfirm={() => remove(u.username)} />) },
        ]}
      />
    </Page>
  );
}
