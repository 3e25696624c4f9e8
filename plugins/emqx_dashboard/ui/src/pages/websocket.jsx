// An MQTT-over-WebSocket client in the browser (mqtt.js's browser build, bundled): connect to the
// node's ws listener, subscribe, publish, watch messages. The connection stays while the app is open.
import mqtt from 'mqtt';
import { useState } from 'preact/hooks';
import { signal, useSignal } from '../lib/signal.js';
import { Badge, Page, Table } from '../components.jsx';

const state = signal({ status: 'disconnected', error: '' });
const messages = signal([]);
const subs = signal([]);
let client = null;
const KEEP = 200;

function connect(o) {
  disconnect();
  state.value = { status: 'connecting', error: '' };
  const url = `${o.tls ? 'wss' : 'ws'}://${o.host}:${o.port}${o.path}`;
  const c = mqtt.connect(url, {
    clientId: o.clientid, username: o.username || undefined, password: o.password || undefined,
    keepalive: Number(o.keepalive) || 60, clean: o.clean, protocolVersion: Number(o.version), reconnectPeriod: 0, connectTimeout: 10000,
  });
  client = c;
  c.on('connect', () => c === client && (state.value = { status: 'connected', error: '', url }));
  c.on('error', (err) => c === client && (state.value = { ...state.value, error: err.message }));
  c.on('close', () => {
    if (c !== client) return;
    state.value = { ...state.value, status: 'disconnected' };
  });
  c.on('message', (topic, payload, packet) => {
    const m = { topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, at: new Date().toLocaleTimeString(), n: Math.random() };
    messages.value = [m, ...messages.value].slice(0, KEEP);
  });
}

function disconnect() {
  if (client) {
    const c = client;
    client = null;
    c.end(true);
  }
  subs.value = [];
  state.value = { ...state.value, status: 'disconnected' };
}

const rand = () => `dashboard_${Math.random().toString(16).slice(2, 10)}`;

export function WebSocketClient() {
  const st = useSignal(state);
  const got = useSignal(messages);
  const mySubs = useSignal(subs);
  const [o, setO] = useState({ host: location.hostname || '127.0.0.1', port: 8083, path: '/mqtt', clientid: rand(), username: '', password: '', keepalive: 60, clean: true, version: 4, tls: false });
  const [sub, setSub] = useState({ topic: 'testtopic/#', qos: 0 });
  const [pub, setPub] = useState({ topic: 'testtopic/1', payload: '{ "msg": "Hello, World!" }', qos: 0, retain: false });
  const [note, setNote] = useState('');
  const on = st.status === 'connected';
  const field = (k, label, type = 'text') => (
    <label>{label}<input name={k} type={type} value={o[k]} onInput={(e) => setO({ ...o, [k]: type === 'number' ? Number(e.currentTarget.value) : e.currentTarget.value })} /></label>
  );
  const subscribe = (e) => {
    e.preventDefault();
    if (!client) return;
    client.subscribe(sub.topic, { qos: Number(sub.qos) }, (err, granted) => {
      if (err) return setNote(err.message);
      const g = granted?.[0];
      if (g && g.qos === 128) return setNote(`Subscribing to ${sub.topic} was refused`);
      subs.value = [...subs.value.filter((s) => s.topic !== sub.topic), { topic: sub.topic, qos: g ? g.qos : sub.qos }];
      setNote('');
    });
  };
  const unsubscribe = (topic) => client && client.unsubscribe(topic, () => (subs.value = subs.value.filter((s) => s.topic !== topic)));
  const publish = (e) => {
    e.preventDefault();
    if (!client) return;
    client.publish(pub.topic, pub.payload, { qos: Number(pub.qos), retain: pub.retain }, (err) => setNote(err ? err.message : ''));
  };
  return (
    <Page title="WebSocket client" actions={<Badge ok={on}>{st.status}</Badge>}>
      <form class="card form grid" id="ws-connect" onSubmit={(e) => { e.preventDefault(); on ? disconnect() : connect(o); }}>
        {field('host', 'Host')}
        {field('port', 'Port', 'number')}
        {field('path', 'Path')}
        {field('clientid', 'Client ID')}
        {field('username', 'Username')}
        {field('password', 'Password', 'password')}
        {field('keepalive', 'Keepalive (s)', 'number')}
        <label>MQTT version<select value={o.version} onChange={(e) => setO({ ...o, version: Number(e.currentTarget.value) })}><option value={4}>3.1.1</option><option value={5}>5.0</option><option value={3}>3.1</option></select></label>
        <label class="check"><input type="checkbox" checked={o.clean} onChange={(e) => setO({ ...o, clean: e.currentTarget.checked })} /> Clean session</label>
        <label class="check"><input type="checkbox" checked={o.tls} onChange={(e) => setO({ ...o, tls: e.currentTarget.checked })} /> TLS (wss)</label>
        <div class="row-end">
          <button class={`btn ${on ? 'danger' : 'primary'}`} type="submit" name="connect">{on ? 'Disconnect' : st.status === 'connecting' ? 'Connecting…' : 'Connect'}</button>
        </div>
      </form>
      {st.error && <div class="error" role="alert">{st.error}</div>}
      {note && <div class="error" role="alert">{note}</div>}
      <div class="two">
        <div class="card form">
          <h3>Subscribe</h3>
          <form class="toolbar" id="ws-subscribe" onSubmit={subscribe}>
            <input name="topic" value={sub.topic} onInput={(e) => setSub({ ...sub, topic: e.currentTarget.value })} />
            <select value={sub.qos} onChange={(e) => setSub({ ...sub, qos: Number(e.currentTarget.value) })} aria-label="QoS">{[0, 1, 2].map((n) => <option value={n}>QoS {n}</option>)}</select>
            <button class="btn" type="submit" disabled={!on}>Subscribe</button>
          </form>
          <Table rowKey={(s) => s.topic} rows={mySubs} empty="No subscriptions." columns={[
            { key: 'topic', label: 'Topic' }, { key: 'qos', label: 'QoS', class: 'num' },
            { key: 'x', label: '', render: (s) => <button class="btn small" onClick={() => unsubscribe(s.topic)}>Unsubscribe</button> },
          ]} />
        </div>
        <form class="card form" id="ws-publish" onSubmit={publish}>
          <h3>Publish</h3>
          <label>Topic<input name="topic" value={pub.topic} onInput={(e) => setPub({ ...pub, topic: e.currentTarget.value })} /></label>
          <label>Payload<textarea name="payload" rows={3} value={pub.payload} onInput={(e) => setPub({ ...pub, payload: e.currentTarget.value })} /></label>
          <div class="toolbar">
            <select value={pub.qos} onChange={(e) => setPub({ ...pub, qos: Number(e.currentTarget.value) })} aria-label="QoS">{[0, 1, 2].map((n) => <option value={n}>QoS {n}</option>)}</select>
            <label class="check"><input type="checkbox" checked={pub.retain} onChange={(e) => setPub({ ...pub, retain: e.currentTarget.checked })} /> Retain</label>
            <button class="btn primary" type="submit" disabled={!on}>Publish</button>
          </div>
        </form>
      </div>
      <h2>Messages received <button class="btn small ghost" onClick={() => (messages.value = [])}>Clear</button></h2>
      <Table rowKey={(m) => m.n} rows={got} empty="No messages yet." columns={[
        { key: 'at', label: 'Time' }, { key: 'topic', label: 'Topic' }, { key: 'payload', label: 'Payload', class: 'payload' },
        { key: 'qos', label: 'QoS', class: 'num' }, { key: 'retain', label: 'Retained' },
      ]} />
    </Page>
  );
}
