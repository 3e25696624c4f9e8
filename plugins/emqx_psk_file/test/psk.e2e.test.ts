// emqx_psk_file end to end: an ssl listener with psk_ciphers, the plugin loaded from
// plugins/emqx_psk_file/dist (build first), real TLS-PSK clients (Node's tls) speaking MQTT.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createBroker, createLogger, defaultZone, type BrokerNode } from '@nemq/kernel';

jest.setTimeout(30_000);

const ROOT = join(__dirname, '../../..');
const NAME = 'emqx_psk_file';
const CIPHER = 'RSA-PSK-AES256-GCM-SHA384';

let dir: string;
let node: BrokerNode;
let port: number;
const lines: string[] = [];
const clients: MqttClient[] = [];

const writePsk = (text: string): void => writeFileSync(join(dir, 'psk.txt'), text);

/** MQTT over TLS-PSK: resolves with the CONNACK code, or rejects with the TLS error */
function connect(identity: string, secret: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      protocolVersion: 5,
      ...opts,
      ciphers: CIPHER,
      maxVersion: 'TLSv1.2',
      rejectUnauthorized: false,
      pskCallback: () => ({ identity, psk: Buffer.from(secret) }),
    } as IClientOptions);
    clients.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
    c.once('close', () => setImmediate(() => reject(new Error('closed'))));
  });
}

const unknown = (): number => node.metrics.snapshot()['client.psk.unknown'] ?? 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemq-psk-'));
  writePsk('client1:1234\nclient2:abcd\n');
  writeFileSync(join(dir, `${NAME}.conf`), `psk.file.path = ${join(dir, 'psk.txt')}\npsk.file.delimiter = :\n`);
  const zone = defaultZone('external', { allowAnonymous: true });
  const certs = join(ROOT, 'etc/certs');
  node = await createBroker({
    logger: createLogger('info', (l: string) => void lines.push(l)),
    sysInterval: 0,
    sysHeartbeat: 0,
    zones: { external: zone, default: zone },
    listeners: [
      {
        proto: 'ssl', name: 'psk', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 100,
        keyfile: join(certs, 'key.pem'), certfile: join(certs, 'cert.pem'),
        tlsVersions: ['tlsv1.2'], pskCiphers: [CIPHER, 'PSK-AES128-CBC-SHA256'],
      },
    ],
    plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  port = node.listeners[0]!.port;
  await node.plugins!.load(NAME);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
});

afterAll(async () => {
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a known identity with its secret connects over TLS-PSK with MQTT 3.1.1 and 5, and messages flow', async () => {
  const sub = await connect('client1', '1234', { protocolVersion: 4 });
  const pub = await connect('client2', 'abcd');
  expect((sub.stream as tls.TLSSocket).getCipher().name).toBe(CIPHER);
  const got = new Promise<string>((r) => sub.once('message', (_t, p) => r(p.toString())));
  await sub.subscribeAsync('psk/t', { qos: 1 });
  await pub.publishAsync('psk/t', 'over psk', { qos: 1 });
  expect(await got).toBe('over psk');
});

test('a wrong secret fails the handshake; an unknown identity too, counted and logged', async () => {
  await expect(connect('client1', 'wrong')).rejects.toThrow();
  const before = unknown();
  await expect(connect('nobody', '1234')).rejects.toThrow();
  expect(unknown()).toBe(before + 1);
  expect(lines.some((l) => l.includes('TLS-PSK identity "nobody" has no secret'))).toBe(true);
  expect(lines.some((l) => l.includes('1234'))).toBe(false);
});

test('a client without PSK (certificate TLS only) is refused by a psk_ciphers listener', async () => {
  const err = await new Promise<Error>((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    s.once('error', resolve);
    s.once('secureConnect', () => resolve(new Error('connected')));
  });
  expect(err.message).not.toBe('connected');
});

test('reload re-reads the file: a new identity works, a removed one no longer does', async () => {
  writePsk('client3:new-secret\n');
  await node.plugins!.reload(NAME);
  try {
    expect((await connect('client3', 'new-secret')).connected).toBe(true);
    await expect(connect('client1', '1234')).rejects.toThrow();
  } finally {
    writePsk('client1:1234\nclient2:abcd\n');
    await node.plugins!.reload(NAME);
  }
});

test('unload with a client connected: it stays connected; new handshakes fail until it is loaded again', async () => {
  const c = await connect('client1', '1234');
  await node.plugins!.unload(NAME);
  try {
    expect(node.registry.tapCount(NAME)).toBe(0);
    await expect(connect('client1', '1234')).rejects.toThrow();
    await c.publishAsync('psk/still', 'here', { qos: 1 });
    expect(c.connected).toBe(true);
  } finally {
    await node.plugins!.load(NAME);
  }
  expect((await connect('client1', '1234')).connected).toBe(true);
});

test('a missing file fails the load with the path; the plugin stays unloaded', async () => {
  await node.plugins!.unload(NAME);
  writeFileSync(join(dir, `${NAME}.conf`), `psk.file.path = ${join(dir, 'missing.txt')}\n`);
  try {
    await expect(node.plugins!.load(NAME)).rejects.toThrow(/cannot read psk.file.path .*missing.txt: ENOENT/);
    expect(node.plugins!.isLoaded(NAME)).toBe(false);
  } finally {
    writeFileSync(join(dir, `${NAME}.conf`), `psk.file.path = ${join(dir, 'psk.txt')}\n`);
    await node.plugins!.load(NAME);
  }
});
