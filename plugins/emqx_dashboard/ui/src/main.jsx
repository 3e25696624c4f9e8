// The dashboard app: hash routes, a sidebar, and a login gate (401 anywhere → login).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { defaultPassword, logout, session } from './lib/api.js';
import { useSignal } from './lib/signal.js';
import { Login } from './pages/login.jsx';
import { Overview } from './pages/overview.jsx';
import { Clients, ClientDetail } from './pages/clients.jsx';
import { Subscriptions } from './pages/subscriptions.jsx';
import { Topics } from './pages/topics.jsx';
import { Plugins } from './pages/plugins.jsx';
import { Listeners } from './pages/listeners.jsx';
import { Apps } from './pages/apps.jsx';
import { Alarms } from './pages/alarms.jsx';
import { Users } from './pages/users.jsx';

const MENU = [
  ['Monitor', [['overview', 'Overview'], ['clients', 'Clients'], ['subscriptions', 'Subscriptions'], ['topics', 'Topics']]],
  ['Manage', [['plugins', 'Plugins'], ['listeners', 'Listeners'], ['alarms', 'Alarms']]],
  ['Tools', [['websocket', 'WebSocket']]],
  ['General', [['apps', 'Applications'], ['users', 'Users']]],
];

/** the WebSocket page brings the MQTT client library: loaded only when opened */
function WebSocketClient() {
  const [Page, set] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    import('./pages/websocket.jsx').then((m) => set(() => m.WebSocketClient), (e) => setError(e.message));
  }, []);
  if (error) return <div class="error">Cannot load the WebSocket client: {error}</div>;
  return Page ? <Page /> : <p class="empty">Loading…</p>;
}

const PAGES = {
  overview: Overview, clients: Clients, subscriptions: Subscriptions, topics: Topics, plugins: Plugins,
  listeners: Listeners, alarms: Alarms, websocket: WebSocketClient, apps: Apps, users: Users,
};

/** `#/clients/abc` → ['clients', 'abc'] */
function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  return [parts[0] || 'overview', parts.slice(1).map(decodeURIComponent).join('/')];
}

function useRoute() {
  const [r, set] = useState(route());
  useEffect(() => {
    const on = () => set(route());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return r;
}

function Banner() {
  const on = useSignal(defaultPassword);
  if (!on) return null;
  return (
    <div class="banner" role="alert">
      The default user still has the shipped password "public". <a href="#/users">Change it now</a>.
    </div>
  );
}

function App() {
  const user = useSignal(session);
  const [page, arg] = useRoute();
  if (!user) return <Login />;
  const View = page === 'clients' && arg ? ClientDetail : PAGES[page] || Overview;
  return (
    <div class="layout">
      <nav class="side">
        <div class="brand"><span class="dot" /> nemq <small>Dashboard</small></div>
        {MENU.map(([group, items]) => (
          <div class="group">
            <div class="group-title">{group}</div>
            {items.map(([id, label]) => (
              <a href={`#/${id}`} class={page === id ? 'active' : ''} data-nav={id}>{label}</a>
            ))}
          </div>
        ))}
        <div class="side-foot">
          <span class="muted">{user.username}</span>
          <button class="btn small ghost" onClick={logout}>Log out</button>
        </div>
      </nav>
      <main class="main">
        <Banner />
        <View arg={arg} key={page + '/' + arg} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app'));
