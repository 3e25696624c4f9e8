// The dashboard in a real browser (Debian's chromium driven by playwright-core): log in, watch the
// overview charts move under a load of real MQTT clients, find and kick a client, unload and
// load a plugin, and receive a message in the WebSocket client. Saves dashboard-*.png (to docs/img with NEMQ_SCREENSHOTS=1).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createBroker, createLogger, type BrokerNode } from '@nemq/kernel';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '../../..');
// NEMQ_SCREENSHOTS=1 refreshes docs/img; otherwise they go to .cache so a test run leaves the tree clean
const IMG = process.env.NEMQ_SCREENSHOTS ? join(ROOT, 'docs/img') : join(ROOT, '.cache/screenshots');
const LOAD_CLIENTS = 24;

const have = existsSync(CHROMIUM);
if (!have) console.warn(`browser e2e skipped: ${CHROMIUM} is missing (install it with: apt-get install -y chromium)`);
const maybe = have ? describe : describe.skip;

let node: BrokerNode;
let dir: string;
let browser: Browser;
let page: Page;
let base: string;
let mqttUrl: string;
let wsPort: number;
const log: string[] = [];
const clients: MqttClient[] = [];
let loadTimer: NodeJS.Timeout | undefined;

function connect(clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(mqttUrl, { clientId, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const shot = (name: string) => page.screenshot({ path: join(IMG, `dashboard-${name}.png`), fullPage: false });

jest.setTimeout(120_000);

maybe('dashboard in chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nemq-dash-e2e-'));
    writeFileSync(join(dir, 'emqx_dashboard.conf'), 'dashboard.listener.http = 127.0.0.1:0\n');
    writeFileSync(join(dir, 'emqx_management.conf'), 'management.listener.http = 127.0.0.1:0\n');
    writeFileSync(join(dir, 'emqx_retainer.conf'), '');
    node = await createBroker({
      nodeName: 'emqx@127.0.0.1',
      logger: createLogger('info', (l) => void log.push(l)), sysInterval: 0, sysHeartbeat: 0,
      listeners: [
        { proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 1000 },
        { proto: 'ws', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100, mqttPath: '/mqtt' },
      ],
      plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
    });
    for (const p of ['emqx_management', 'emqx_dashboard', 'emqx_retainer']) await node.plugins!.load(p, { persist: false });
    const m = /Start http:dashboard listener on [^\s]*:(\d+) successfully/.exec(log.join(''));
    if (!m) throw new Error(`no dashboard port in the log:\n${log.join('')}`);
    base = `http://127.0.0.1:${m[1]}`;
    mqttUrl = `mqtt://127.0.0.1:${node.listeners.find((l) => l.spec.proto === 'tcp')!.port}`;
    wsPort = node.listeners.find((l) => l.spec.proto === 'ws')!.port;
    mkdirSync(IMG, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  });

  afterAll(async () => {
    if (loadTimer) clearInterval(loadTimer);
    await browser?.close();
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await node?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('log in with the default user: the default-password banner shows', async () => {
    await page.goto(base + '/');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'wrong');
    await page.click('button[type=submit]');
    await page.getByText('Wrong username or password.').waitFor();
    await page.fill('input[name=password]', 'public');
    await page.click('button[type=submit]');
    await page.locator('h1', { hasText: 'Overview' }).waitFor();
    await page.locator('.banner', { hasText: 'shipped password' }).waitFor();
  });

  test('the overview charts move while a load of MQTT clients runs', async () => {
    const sub = await connect('e2e-subscriber');
    await sub.subscribeAsync('load/#', { qos: 0 });
    const pubs = await Promise.all(Array.from({ length: LOAD_CLIENTS }, (_, i) => connect(`load-${String(i).padStart(2, '0')}`)));
    await Promise.all(pubs.slice(0, 6).map((c, i) => c.subscribeAsync(`sensors/${i}/#`)));
    let n = 0;
    // bounded: stopped in afterAll, and at most 2000 rounds
    loadTimer = setInterval(() => {
      if (++n > 2000) return clearInterval(loadTimer);
      for (const [i, c] of pubs.entries()) c.publish(`load/${i}`, `m${n}`);
    }, 50);
    const points = () => page.locator('#chart-messages .chart-box').getAttribute('data-points').then(Number);
    const start = await points();
    await until(async () => (await points()) >= start + 3, 'three more overview polls');
    // connections and message rates are shown from /stats and /metrics deltas
    await until(async () => Number((await page.locator('.stat', { hasText: 'Connections' }).locator('.stat-value').innerText()).replace(/,/g, '')) >= LOAD_CLIENTS + 1, 'connections stat');
    await until(async () => Number((await page.locator('.stat', { hasText: 'Messages in /s' }).locator('.stat-value').innerText()).replace(/,/g, '')) > 0, 'a message rate');
    expect(Number((await page.locator('.stat', { hasText: 'Messages out /s' }).locator('.stat-value').innerText()).replace(/,/g, ''))).toBeGreaterThan(0);
    // uPlot drew lines
    expect(await page.locator('#chart-messages canvas').count()).toBe(1);
    await until(async () => (await points()) >= start + 8, 'a longer history for the screenshot', 30000);
    await page.locator('table td', { hasText: 'emqx@127.0.0.1' }).first().waitFor();
    await shot('overview');
  });

  test('find a client and kick it', async () => {
    const target = await connect('e2e-target-1');
    const closed = new Promise<void>((r) => target.once('close', () => r()));
    await page.click('a[data-nav=clients]');
    await page.locator('tr[data-key="load-00"]').waitFor();
    await shot('clients');
    // pages of 10 (_page/_limit)
    await page.selectOption('select[aria-label="Rows per page"]', '10');
    await until(async () => (await page.locator('tbody tr').count()) === 10, 'a page of 10 clients');
    await page.getByText(/Page 1 of 3 · 2[5-9] total/).waitFor();
    await page.click('button:has-text("Next")');
    await page.getByText(/Page 2 of 3/).waitFor();
    await page.locator('tr[data-key="load-09"]').waitFor();
    await page.fill('input[name=clientid]', 'e2e-target');
    await page.click('form.toolbar button[type=submit]');
    await page.locator('tr[data-key="e2e-target-1"]').waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    // the detail view with its subscriptions
    await target.subscribeAsync('e2e/detail/+', { qos: 1 });
    await page.click('tr[data-key="e2e-target-1"] a');
    await page.locator('h1', { hasText: 'Client e2e-target-1' }).waitFor();
    await page.locator('tr[data-key="e2e/detail/+"]').waitFor();
    // subscribe it from the page (POST /mqtt/subscribe), then unsubscribe it
    await page.fill('input[name=topic]', 'e2e/from/ui');
    await page.click('form.toolbar button[type=submit]');
    await page.locator('tr[data-key="e2e/from/ui"]').waitFor();
    const sawIt = new Promise<string>((r) => target.on('message', (t, m) => t === 'e2e/from/ui' && r(m.toString())));
    (await connect('e2e-detail-pub')).publish('e2e/from/ui', 'via the dashboard subscription', { qos: 1 });
    expect(await sawIt).toBe('via the dashboard subscription');
    await page.locator('tr[data-key="e2e/from/ui"] button').click();
    await page.locator('tr[data-key="e2e/from/ui"] button', { hasText: 'Sure?' }).click();
    await page.locator('tr[data-key="e2e/from/ui"]').waitFor({ state: 'detached' });
    await page.click('a.btn:has-text("All clients")');
    await page.fill('input[name=clientid]', 'e2e-target');
    await page.click('form.toolbar button[type=submit]');
    const kick = page.locator('tr[data-key="e2e-target-1"] button');
    await kick.click();
    await page.locator('tr[data-key="e2e-target-1"] button', { hasText: 'Kick?' }).click();
    await closed;
    await page.getByText('Kicked e2e-target-1').waitFor();
    await page.locator('tr[data-key="e2e-target-1"]').waitFor({ state: 'detached' });
  });

  test('unload and load a plugin', async () => {
    await page.click('a[data-nav=plugins]');
    const row = page.locator('tr[data-key="emqx@127.0.0.1 emqx_retainer"]');
    await row.locator('.badge', { hasText: 'running' }).waitFor();
    expect(await row.locator('td').nth(1).innerText()).toMatch(/^\d+\.\d+\.\d+/);
    await row.locator('button', { hasText: 'Unload' }).click();
    await row.locator('.badge', { hasText: 'stopped' }).waitFor();
    expect(node.plugins!.isLoaded('emqx_retainer')).toBe(false);
    await row.locator('button', { hasText: 'Load' }).click();
    await row.locator('.badge', { hasText: 'running' }).waitFor();
    expect(node.plugins!.isLoaded('emqx_retainer')).toBe(true);
    await page.evaluate(() => {
      window.scrollTo(0, 0);
      for (const e of document.querySelectorAll('.table-wrap')) e.scrollLeft = 0;
    });
    await shot('plugins');
  });

  test('the WebSocket client subscribes and receives a message published by an MQTT client', async () => {
    await page.click('a[data-nav=websocket]');
    const form = page.locator('#ws-connect');
    await form.waitFor();
    await form.locator('input[name=host]').fill('127.0.0.1');
    await form.locator('input[name=port]').fill(String(wsPort));
    await form.locator('input[name=clientid]').fill('dashboard-ws-e2e');
    await form.locator('button[name=connect]').click();
    await page.locator('.page-head .badge', { hasText: 'connected' }).waitFor();
    await page.locator('#ws-subscribe input[name=topic]').fill('e2e/ws/#');
    await page.click('#ws-subscribe button[type=submit]');
    await page.locator('tr[data-key="e2e/ws/#"]').waitFor();
    const p = await connect('e2e-ws-publisher');
    await p.publishAsync('e2e/ws/hello', 'hello from mqtt.js', { qos: 1 });
    await page.locator('td.payload', { hasText: 'hello from mqtt.js' }).waitFor();
    // and the other way round: publish from the page, received by the MQTT client
    const got = new Promise<string>((r) => p.on('message', (t, m) => t === 'e2e/ws/back' && r(m.toString())));
    await p.subscribeAsync('e2e/ws/back', { qos: 1 });
    await page.locator('#ws-publish input[name=topic]').fill('e2e/ws/back');
    await page.locator('#ws-publish textarea[name=payload]').fill('hello from the browser');
    await page.click('#ws-publish button[type=submit]');
    expect(await got).toBe('hello from the browser');
    await shot('websocket');
  });
  test('subscriptions, topics, listeners and alarms pages show the node\'s data', async () => {
    await page.click('a[data-nav=subscriptions]');
    await page.locator('tr[data-key="e2e-subscriber load/#"]').waitFor();
    await page.click('a[data-nav=topics]');
    await page.locator('tr[data-key="load/# emqx@127.0.0.1"]').waitFor();
    await page.click('a[data-nav=listeners]');
    await page.getByRole('cell', { name: `127.0.0.1:${wsPort}`, exact: true }).waitFor();
    await page.click('a[data-nav=alarms]');
    await page.locator('h1', { hasText: 'Alarms' }).waitFor();
    await page.locator('.table-wrap').waitFor();
    expect(await page.locator('.error').count()).toBe(0);
  });

  test('applications: add one (its secret is shown) and delete it', async () => {
    await page.click('a[data-nav=apps]');
    await page.fill('input[placeholder="App ID"]', 'e2e_app');
    await page.fill('input[placeholder="Name"]', 'E2E app');
    await page.click('form.toolbar button[type=submit]');
    await page.getByText(/Created e2e_app; its secret is \S+/).waitFor();
    await page.locator('tr[data-key="e2e_app"]').waitFor();
    await page.locator('tr[data-key="e2e_app"] button').click();
    await page.locator('tr[data-key="e2e_app"] button', { hasText: 'Delete?' }).click();
    await page.locator('tr[data-key="e2e_app"]').waitFor({ state: 'detached' });
  });

  test('users: changing the default password removes the banner; the new one logs in', async () => {
    await page.click('a[data-nav=users]');
    const f = page.locator('#change-password');
    await f.locator('input[name=old_pwd]').fill('wrong');
    await f.locator('input[name=new_pwd]').fill('s3cret-e2e');
    await f.locator('input[name=again]').fill('s3cret-e2e');
    await f.locator('button[type=submit]').click();
    await page.getByText('The current password is wrong.').waitFor();
    await f.locator('input[name=old_pwd]').fill('public');
    await f.locator('button[type=submit]').click();
    await page.getByText('Password changed.').waitFor();
    await page.locator('.banner').waitFor({ state: 'detached' });
    await page.click('button:has-text("Log out")');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 's3cret-e2e');
    await page.click('button[type=submit]');
    // back on the page it was on
    await page.locator('h1', { hasText: 'Users' }).waitFor();
    expect(await page.locator('.banner').count()).toBe(0);
  });
  test('without emqx_management the pages say which API is missing', async () => {
    await node.plugins!.unload('emqx_management', { force: true, persist: false });
    try {
      await page.click('a[data-nav=clients]');
      await page.locator('.error', { hasText: 'Not found: /clients' }).waitFor();
      await page.click('a[data-nav=users]');
      await page.locator('tr[data-key="admin"]').waitFor();
    } finally {
      await node.plugins!.load('emqx_management', { persist: false });
    }
    await page.click('a[data-nav=clients]');
    await page.locator('tr[data-key="load-00"]').waitFor();
  });
});
