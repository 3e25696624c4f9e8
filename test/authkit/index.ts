/**
 * The auth conformance kit: one table of cases every auth plugin runs against its real backend,
 * over real sockets with mqtt.js v3.1.1 and v5 clients.
 *
 *   runAuthKit({ plugin: 'emqx_auth_pgsql', title: 'PostgreSQL', services: ['postgres'], setup, teardown,
 *                conf: (hash) => ({ ... }), hashes: [...], acl: 'rules', superuser: true, down, up });
 *
 * The backend is seeded (in setup) with KIT_USERS, KIT_HASH_USERS and KIT_ACL or KIT_ALLOWS
 * (fixtures.ts). Two brokers load the plugin: one with allow_anonymous = false, one with true;
 * acl_nomatch is allow for 'rules' backends and deny for 'allows' backends.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { createBroker, createLogger, defaultZone, type BrokerNode } from '@nemq/kernel';
import { requireServices, type ServiceName } from '../services/index';
import { KIT_HASH_USERS, KIT_INJECTIONS, KIT_USERS, type KitHash, type KitUser } from './fixtures';
import { Clients, puback, suback } from './mqtt';

export * from './fixtures';
export { Clients, puback, suback } from './mqtt';

const ROOT = join(__dirname, '../..');

export interface KitEnv {
  /** etc dir the plugin's conf file is written to */
  readonly etcDir: string;
  /** node.data_dir of the two brokers: [allow_anonymous = false, allow_anonymous = true] */
  readonly dataDirs: readonly [string, string];
}

export interface KitBackend {
  /** the plugin's name, e.g. emqx_auth_pgsql */
  readonly plugin: string;
  /** the backend, shown in every test name (say so when it is a stand-in) */
  readonly title: string;
  readonly services?: readonly ServiceName[];
  /** start the backend and seed it; runs before the brokers start */
  setup(env: KitEnv): Promise<void>;
  teardown(): Promise<void>;
  /** the plugin's conf for one password_hash (the kit's default users are sha256) */
  conf(hash: string): Record<string, string>;
  /** the KIT_HASHES the backend stores; [] when the backend decides itself (HTTP, JWT) */
  readonly hashes: readonly KitHash[];
  /** 'rules': KIT_ACL (acl_nomatch allow); 'allows': KIT_ALLOWS (acl_nomatch deny); 'none' */
  readonly acl: 'rules' | 'allows' | 'none';
  /** ACL topics with %u / %c (default true) */
  readonly placeholders?: boolean;
  /** the backend marks root as superuser */
  readonly superuser: boolean;
  /** ACL checks ask the backend (default true; false when they come with the auth result, as JWT claims) */
  readonly aclFromBackend?: boolean;
  /** make the backend unreachable, and reachable again */
  down?(): Promise<void>;
  up?(): Promise<void>;
  /** what a kit user sends (JWT: a token as password); default its username and password, or `wrong` */
  login?(user: KitUser, right: boolean): { username?: string; password?: string };
  /** CONNACK codes of a wrong password [v3.1.1, v5]; default [5, 0x87] (EMQX's not_authorized; mnesia answers password_error: [4, 0x86]) */
  readonly wrongPassword?: readonly [number, number];
  /** backend-specific tests, run inside the kit's describe with its brokers */
  extra?(kit: KitHandle): void;
}

/** the kit's brokers and clients, for a backend's own tests (valid inside tests) */
export interface KitHandle {
  /** allow_anonymous = false */
  strict(): { readonly node: BrokerNode; readonly url: string };
  /** allow_anonymous = true */
  open(): { readonly node: BrokerNode; readonly url: string };
  readonly clients: Clients;
  /** writes the conf file with `over` on top of conf('sha256') (undefined removes a key); nothing is reloaded */
  writeConf(over: Record<string, string | undefined>): void;
  /** writeConf(over), then reloads the plugin in both brokers */
  reconfigure(over: Record<string, string | undefined>): Promise<void>;
}

interface Node {
  node: BrokerNode;
  url: string;
  lines: string[];
}

const backendErrors = (n: Node, kind: 'auth' | 'acl'): number => n.node.metrics.snapshot()[`client.${kind}.backend_error`] ?? 0;

export function runAuthKit(b: KitBackend): void {
  if (b.services?.length) requireServices(...b.services);
  const placeholders = b.placeholders ?? true;
  const [wrong3, wrong5] = b.wrongPassword ?? [5, 0x87];
  const clients = new Clients();
  let dir: string;
  let strict: Node;
  let open: Node;
  const alice = KIT_USERS[0]!;
  const root = KIT_USERS[1]!;

  const creds = (u: KitUser, right = true): IClientOptions => {
    const l = b.login?.(u, right) ?? { username: u.username, password: right ? u.password : 'wrong' };
    return { ...l, ...(u.clientid ? { clientId: u.clientid } : {}) };
  };
  const writeConf = (hash: string, over: Record<string, string | undefined> = {}): void => {
    const lines = Object.entries({ ...b.conf(hash), ...over })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k} = ${v}`);
    writeFileSync(join(dir, `${b.plugin}.conf`), lines.join('\n') + '\n');
  };
  const start = async (allowAnonymous: boolean, dataDir: string): Promise<Node> => {
    const lines: string[] = [];
    const zone = defaultZone('external', { allowAnonymous, aclNomatch: b.acl === 'allows' ? 'deny' : 'allow' });
    const node = await createBroker({
      logger: createLogger('warning', (l: string) => void lines.push(l)),
      sysInterval: 0,
      sysHeartbeat: 0,
      zones: { external: zone, default: zone },
      listeners: [{ proto: 'tcp', name: 'external', host: '127.0.0.1', port: 0, zone: 'external', maxConnections: 10_000 }],
      plugins: { dirs: [join(ROOT, 'plugins')], etcDir: dir, loadedFile: join(dataDir, 'loaded_plugins'), dataDir, defaults: {} },
    });
    await node.plugins!.load(b.plugin);
    return { node, url: `mqtt://127.0.0.1:${node.listeners[0]!.port}`, lines };
  };

  describe(`${b.plugin} conformance kit: ${b.title}`, () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `nemq-kit-${b.plugin}-`));
      const dataDirs = [join(dir, 'strict'), join(dir, 'open')] as const;
      for (const d of dataDirs) mkdirSync(d);
      await b.setup({ etcDir: dir, dataDirs });
      writeConf('sha256');
      strict = await start(false, dataDirs[0]);
      open = await start(true, dataDirs[1]);
    });
    afterEach(() => clients.closeAll());
    afterAll(async () => {
      await clients.closeAll();
      await strict?.node.stop();
      await open?.node.stop();
      await b.teardown();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    describe('authentication', () => {
      test(`${b.title}: right password → 0 on v3.1.1 and v5; wrong → ${wrong3} / 0x${wrong5.toString(16)}`, async () => {
        expect(await clients.code(strict.url, { protocolVersion: 4, ...creds(alice) })).toBe(0);
        expect(await clients.code(strict.url, { protocolVersion: 5, ...creds(alice) })).toBe(0);
        expect(await clients.code(strict.url, { protocolVersion: 4, ...creds(alice, false) })).toBe(wrong3);
        expect(await clients.code(strict.url, { protocolVersion: 5, ...creds(alice, false) })).toBe(wrong5);
        // a wrong password never falls through to allow_anonymous
        expect(await clients.code(open.url, { protocolVersion: 5, ...creds(alice, false) })).toBe(wrong5);
      });

      test(`${b.title}: an unknown user is refused with allow_anonymous = false, let in with true`, async () => {
        const nobody = { username: 'kit-nobody', password: 'x' };
        expect(await clients.code(strict.url, { protocolVersion: 4, ...nobody })).toBe(5);
        expect(await clients.code(strict.url, { protocolVersion: 5, ...nobody })).toBe(0x87);
        expect(await clients.code(open.url, { protocolVersion: 5, ...nobody })).toBe(0);
      });

      test(`${b.title}: the superuser logs in`, async () => {
        expect(await clients.code(strict.url, { protocolVersion: 5, ...creds(root) })).toBe(0);
        expect(await clients.code(strict.url, { protocolVersion: 5, ...creds(root, false) })).toBe(wrong5);
      });

      test(`${b.title}: empty and over-long credentials are refused; the broker stays up`, async () => {
        expect(await clients.code(strict.url, { protocolVersion: 5, username: '', password: '' })).not.toBe(0);
        expect(await clients.code(strict.url, { protocolVersion: 5, username: alice.username, password: '' })).not.toBe(0);
        const long = 'a'.repeat(60_000);
        expect(await clients.code(strict.url, { protocolVersion: 5, username: long, password: long })).not.toBe(0);
        expect(await clients.code(strict.url, { protocolVersion: 5, username: alice.username, password: long })).not.toBe(0);
        expect(await clients.code(strict.url, { protocolVersion: 5, ...creds(alice) })).toBe(0);
      });

      test.each(KIT_INJECTIONS)(`${b.title}: injection %j as username or client ID gets nobody in`, async (inj) => {
        const pw = b.login?.(alice, true).password ?? alice.password;
        expect(await clients.code(strict.url, { protocolVersion: 5, username: inj, password: pw })).not.toBe(0);
        expect(await clients.code(strict.url, { protocolVersion: 5, username: inj, password: 'wrong' })).not.toBe(0);
        expect(await clients.code(strict.url, { protocolVersion: 5, clientId: inj.replace(/[\r\n]/g, ' '), username: 'kit-nobody', password: 'x' })).not.toBe(0);
      });
    });

    if (b.hashes.length > 0) {
      describe('password_hash', () => {
        afterAll(async () => {
          writeConf('sha256');
          await strict?.node.plugins!.reload(b.plugin);
        });
        test.each(b.hashes.map((h) => [h]))(`${b.title}: password_hash = %s`, async (hash) => {
          const u = KIT_HASH_USERS.find((x) => x.hash === hash)!;
          writeConf(hash);
          await strict.node.plugins!.reload(b.plugin);
          expect(await clients.code(strict.url, { protocolVersion: 5, username: u.username, password: 'public' })).toBe(0);
          expect(await clients.code(strict.url, { protocolVersion: 5, username: u.username, password: 'publik' })).toBe(wrong5);
        });
      });
    }

    if (b.acl !== 'none') {
      describe('ACL', () => {
        test(`${b.title}: alice's subscribes and publishes are allowed and denied as the fixture says (v5)`, async () => {
          const c = await clients.connected(strict.url, { protocolVersion: 5, ...creds(alice) });
          expect(await suback(c, 'news/today')).toBe(1);
          expect(await suback(c, 'secret/plans')).toBe(0x87);
          expect(await suback(c, 'both/x')).toBe(1);
          expect(await puback(c, 'both/x', 'yes')).toBe(0);
          expect(await puback(c, 'open/x', 'yes')).toBe(0);
          expect(await puback(c, 'readonly/x', 'no')).toBe(0x87);
          if (placeholders) {
            expect(await suback(c, 'private/alice/inbox')).toBe(1);
            expect(await suback(c, 'private/bob/inbox')).toBe(0x87);
            expect(await suback(c, `client/${alice.clientid}/x`)).toBe(1);
            expect(await suback(c, 'client/other/x')).toBe(0x87);
          }
        });

        test(`${b.title}: a denied SUBSCRIBE on v3.1.1 gets 0x80`, async () => {
          const c = await clients.connected(strict.url, { protocolVersion: 4, ...creds(alice) });
          expect(await suback(c, 'secret/plans')).toBe(0x80);
          expect(await suback(c, 'news/today')).toBe(1);
        });

        if (b.superuser) {
          test(`${b.title}: a superuser is not checked`, async () => {
            const c = await clients.connected(strict.url, { protocolVersion: 5, ...creds(root) });
            expect(await suback(c, 'secret/plans')).toBe(1);
            expect(await puback(c, 'readonly/x', 'yes')).toBe(0);
          });
        }
      });
    }

    if (b.down && b.up) {
      const down = b.down.bind(b);
      const up = b.up.bind(b);
      describe('backend failure', () => {
        test(`${b.title}: backend down → 0x87 / 5 even with allow_anonymous = true, counted and warned; back up → accepted`, async () => {
          const pre = b.acl !== 'none' && b.aclFromBackend !== false ? await clients.connected(open.url, { protocolVersion: 5, ...creds(alice) }) : undefined;
          const before = { strict: backendErrors(strict, 'auth'), open: backendErrors(open, 'auth'), acl: backendErrors(open, 'acl') };
          await down();
          try {
            expect(await clients.code(strict.url, { protocolVersion: 5, ...creds(alice) })).toBe(0x87);
            expect(await clients.code(strict.url, { protocolVersion: 4, ...creds(alice) })).toBe(5);
            expect(await clients.code(open.url, { protocolVersion: 5, ...creds(alice) })).toBe(0x87);
            expect(backendErrors(strict, 'auth')).toBeGreaterThanOrEqual(before.strict + 2);
            expect(backendErrors(open, 'auth')).toBeGreaterThanOrEqual(before.open + 1);
            if (pre) {
              await suback(pre, 'news/while-down');
              expect(backendErrors(open, 'acl')).toBeGreaterThan(before.acl);
            }
            const warned = strict.lines.filter((l) => l.includes(`[${b.plugin}]`) && l.includes('backend error'));
            expect(warned.length).toBeGreaterThan(0);
            expect(strict.lines.some((l) => l.includes(alice.password))).toBe(false);
          } finally {
            await up();
          }
          // the pool finds the backend again by itself
          let code = -1;
          for (let i = 0; i < 100 && code !== 0; i++) {
            code = await clients.code(strict.url, { protocolVersion: 5, ...creds(alice) });
            if (code !== 0) await new Promise((r) => setTimeout(r, 200));
          }
          expect(code).toBe(0);
        });
      });
    }

    if (b.extra) {
      describe(`${b.title} specifics`, () => {
        b.extra!({
          strict: () => strict,
          open: () => open,
          clients,
          writeConf: (over) => writeConf('sha256', over),
          reconfigure: async (over) => {
            writeConf('sha256', over);
            await strict.node.plugins!.reload(b.plugin);
            await open.node.plugins!.reload(b.plugin);
          },
        });
      });
    }

    describe('unload', () => {
      test(`${b.title}: unload with a connected client: it stays connected, auth is no longer asked, its ACL cache is dropped`, async () => {
        const c = await clients.connected(open.url, { protocolVersion: 5, ...creds(alice) });
        // a cached verdict that the plugin gave and acl_nomatch reverses
        const [topic, withPlugin, without] = b.acl === 'rules' ? ['secret/plans', 0x87, 1] : b.acl === 'allows' ? ['news/today', 1, 0x87] : ['news/today', 1, 1];
        expect(await suback(c, topic)).toBe(withPlugin);
        await open.node.plugins!.unload(b.plugin);
        try {
          expect(open.node.registry.tapCount(b.plugin)).toBe(0);
          expect(await suback(c, topic)).toBe(without);
          expect(await clients.code(open.url, { protocolVersion: 5, ...creds(alice, false) })).toBe(0);
          expect(c.connected).toBe(true);
        } finally {
          await open.node.plugins!.load(b.plugin);
        }
        expect(await clients.code(open.url, { protocolVersion: 5, ...creds(alice, false) })).toBe(wrong5);
      });
    });
  });
}
