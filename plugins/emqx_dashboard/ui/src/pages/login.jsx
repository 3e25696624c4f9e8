// Login: POST /auth (no credentials needed), then every request carries Basic auth.
import { useState } from 'preact/hooks';
import { defaultPassword, login, request } from '../lib/api.js';

export function Login() {
  const [username, setUser] = useState('admin');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const r = await request('POST', '/auth', { username, password }, { auth: false });
      login(username, password, remember);
      defaultPassword.value = r.default_password === true;
    } catch (err) {
      setError(err.code === 103 ? 'Wrong username or password.' : err.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form class="card login-card" onSubmit={submit}>
        <div class="brand big"><span class="dot" /> nemq</div>
        <p class="muted">Sign in to the dashboard</p>
        <label>Username<input name="username" value={username} onInput={(e) => setUser(e.currentTarget.value)} autocomplete="username" required /></label>
        <label>Password<input name="password" type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} autocomplete="current-password" required /></label>
        <label class="check"><input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} /> Remember me on this browser</label>
        {error && <div class="error" role="alert">{error}</div>}
        <button class="btn primary" type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </div>
  );
}
