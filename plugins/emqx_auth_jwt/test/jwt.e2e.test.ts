// emqx_auth_jwt against real mqtt.js clients: the shared auth kit (tokens as passwords, ACL from
// the acl claim), then the JWT specifics: the nine algorithms, from = username, verify_claims,
// exp / nbf / iat, alg none, foreign keys, non-tokens, and a JWKS served by a real HTTP server.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { KIT_ALLOWS, runAuthKit, suback, type KitHandle, type KitUser } from '../../../test/authkit';
import { CURVE, ecPair, jwk, now, pem, rsaPair, signJwt, type Alg, type Pair } from './sign';

const PLUGIN = 'emqx_auth_jwt';
const TITLE = 'JWT';
const SECRET = 'kit-jwt-secret';

/** KIT_ALLOWS as the acl claim */
const ALICE_ACL = { sub: [] as string[], pub: [] as string[], all: [] as string[] };
for (const a of KIT_ALLOWS) (a.access === 'subscribe' ? ALICE_ACL.sub : a.access === 'publish' ? ALICE_ACL.pub : ALICE_ACL.all).push(a.topic);

const rsa = rsaPair();
const rsaOther = rsaPair();
const ec = { ES256: ecPair(CURVE.ES256), ES384: ecPair(CURVE.ES384), ES512: ecPair(CURVE.ES512) };
const files: Record<string, string> = {};

const hour = (): number => now() + 3600;
const aliceToken = (alg: Alg, key: string | Pair['privateKey'], extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}): string =>
  signJwt(alg, key, { username: 'alice', exp: hour(), acl: ALICE_ACL, ...extra }, header);
const v5 = (password: string, extra: Record<string, unknown> = {}) => ({ protocolVersion: 5 as const, username: 'alice', clientId: 'kit-alice', password, ...extra });

/** a JWKS endpoint: serves `body`, or fails the way `mode` says; `seen` counts requests */
class JwksServer {
  server!: Server;
  url = '';
  body = '{"keys":[]}';
  mode: 'ok' | 'down' | 'garbage' | 'error' = 'ok';
  seen = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.seen++;
      if (this.mode === 'down') req.socket.destroy();
      else if (this.mode === 'garbage') res.end('<html>not a key set</html>');
      else if (this.mode === 'error') res.writeHead(500).end(this.body);
      else res.writeHead(200, { 'content-type': 'application/json' }).end(this.body);
      this.waiters = this.waiters.filter((w) => (this.seen >= w.n ? (w.resolve(), false) : true));
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }

  serve(...keys: Record<string, unknown>[]): void {
    this.body = JSON.stringify({ keys });
  }

  /** resolves once `more` more requests arrived */
  requests(more: number): Promise<void> {
    const n = this.seen + more;
    return new Promise((resolve) => (this.seen >= n ? resolve() : this.waiters.push({ n, resolve })));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

runAuthKit({
  plugin: PLUGIN,
  title: TITLE,
  async setup(env) {
    files.rsa = join(env.etcDir, 'rsa.pem');
    writeFileSync(files.rsa, pem(rsa));
    for (const [alg, p] of Object.entries(ec)) {
      files[alg] = join(env.etcDir, `${alg}.pem`);
      writeFileSync(files[alg]!, pem(p));
    }
  },
  async teardown() {},
  conf: () => ({
    'auth.jwt.secret': SECRET,
    'auth.jwt.from': 'password',
    'auth.jwt.verify_claims': 'on',
    'auth.jwt.verify_claims.username': '%u',
  }),
  hashes: [],
  acl: 'allows',
  placeholders: true,
  // EMQX 4.3's emqx_auth_jwt never sets is_superuser
  superuser: false,
  aclFromBackend: false,
  login: (u: KitUser, right: boolean) => ({
    username: u.username,
    password: signJwt('HS256', right ? SECRET : 'another-secret', { username: u.username, exp: hour(), ...(u.username === 'alice' ? { acl: ALICE_ACL } : {}) }),
  }),
  extra(kit) {
    specifics(kit);
    jwks(kit);
  },
});

function specifics(kit: KitHandle): void {
  const code = (url: string, o: Record<string, unknown>) => kit.clients.code(url, o);

  test(`${TITLE}: HS256, HS384 and HS512 with auth.jwt.secret`, async () => {
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      expect(await code(kit.strict().url, v5(aliceToken(alg, SECRET)))).toBe(0);
      expect(await code(kit.strict().url, v5(aliceToken(alg, 'other')))).toBe(0x87);
    }
  });

  test(`${TITLE}: RS256, RS384 and RS512 (and PS256) with auth.jwt.pubkey; another RSA key is refused; the secret still works`, async () => {
    await kit.reconfigure({ 'auth.jwt.pubkey': files.rsa });
    try {
      for (const alg of ['RS256', 'RS384', 'RS512', 'PS256'] as const) {
        expect(await code(kit.strict().url, v5(aliceToken(alg, rsa.privateKey)))).toBe(0);
        expect(await code(kit.open().url, v5(aliceToken(alg, rsaOther.privateKey)))).toBe(0x87);
      }
      expect(await code(kit.strict().url, v5(aliceToken('HS256', SECRET)))).toBe(0);
      // an ECDSA token when the key is RSA
      expect(await code(kit.open().url, v5(aliceToken('ES256', ec.ES256.privateKey)))).toBe(0x87);
    } finally {
      await kit.reconfigure({});
    }
  });

  test.each(['ES256', 'ES384', 'ES512'] as const)(`${TITLE}: %s with auth.jwt.pubkey`, async (alg) => {
    await kit.reconfigure({ 'auth.jwt.pubkey': files[alg] });
    try {
      expect(await code(kit.strict().url, v5(aliceToken(alg, ec[alg].privateKey)))).toBe(0);
      expect(await code(kit.strict().url, { ...v5(aliceToken(alg, ec[alg].privateKey)), protocolVersion: 4 })).toBe(0);
      const other = alg === 'ES256' ? 'ES384' : 'ES256';
      expect(await code(kit.open().url, v5(aliceToken(other, ec[other].privateKey)))).toBe(0x87);
      expect(await code(kit.open().url, v5(aliceToken(alg, ecPair(CURVE[alg]).privateKey)))).toBe(0x87);
    } finally {
      await kit.reconfigure({});
    }
  });

  test(`${TITLE}: an unreadable auth.jwt.pubkey fails the load, the previous instance keeps running`, async () => {
    await expect(kit.reconfigure({ 'auth.jwt.pubkey': join(files.rsa!, '..', 'missing.pem') })).rejects.toThrow(/auth.jwt.pubkey/);
    await kit.reconfigure({});
    expect(await code(kit.strict().url, v5(aliceToken('HS256', SECRET)))).toBe(0);
  });

  test(`${TITLE}: auth.jwt.from = username takes the token from the username`, async () => {
    await kit.reconfigure({ 'auth.jwt.from': 'username', 'auth.jwt.verify_claims': 'off' });
    try {
      const t = aliceToken('HS256', SECRET);
      expect(await code(kit.strict().url, { protocolVersion: 5, username: t, password: 'anything' })).toBe(0);
      expect(await code(kit.strict().url, { protocolVersion: 4, username: t })).toBe(0);
      expect(await code(kit.open().url, { protocolVersion: 5, username: aliceToken('HS256', 'other'), password: 'x' })).toBe(0x87);
      // the password is no longer looked at: a token there is ignored
      expect(await code(kit.strict().url, v5(t))).toBe(0x87);
      expect(await code(kit.open().url, v5(aliceToken('HS256', 'other')))).toBe(0);
    } finally {
      await kit.reconfigure({});
    }
  });

  test(`${TITLE}: verify_claims with %u, %c and a literal: match and mismatch; off ignores the lines`, async () => {
    await kit.reconfigure({ 'auth.jwt.verify_claims.clientid': '%c', 'auth.jwt.verify_claims.iss': 'nemq' });
    const t = aliceToken('HS256', SECRET, { clientid: 'c-1', iss: 'nemq' });
    try {
      expect(await code(kit.strict().url, v5(t, { clientId: 'c-1' }))).toBe(0);
      expect(await code(kit.open().url, v5(t, { clientId: 'c-2' }))).toBe(0x87);
      expect(await code(kit.open().url, v5(t, { clientId: 'c-1', username: 'bob' }))).toBe(0x87);
      expect(await code(kit.open().url, { ...v5(t, { clientId: 'c-1', username: 'bob' }), protocolVersion: 4 })).toBe(5);
      expect(await code(kit.open().url, v5(aliceToken('HS256', SECRET, { clientid: 'c-1', iss: 'other' }), { clientId: 'c-1' }))).toBe(0x87);
      expect(await code(kit.open().url, v5(aliceToken('HS256', SECRET, { clientid: 'c-1' }), { clientId: 'c-1' }))).toBe(0x87);
      await kit.reconfigure({ 'auth.jwt.verify_claims': 'off', 'auth.jwt.verify_claims.clientid': '%c', 'auth.jwt.verify_claims.iss': 'nemq' });
      expect(await code(kit.strict().url, v5(t, { clientId: 'c-2', username: 'bob' }))).toBe(0);
    } finally {
      await kit.reconfigure({});
    }
  });

  test(`${TITLE}: an expired token is refused (v5 0x87, v3.1.1 5), even with allow_anonymous = true`, async () => {
    const t = aliceToken('HS256', SECRET, { exp: now() - 1 });
    expect(await code(kit.strict().url, v5(t))).toBe(0x87);
    expect(await code(kit.strict().url, { ...v5(t), protocolVersion: 4 })).toBe(5);
    expect(await code(kit.open().url, v5(t))).toBe(0x87);
    expect(await code(kit.open().url, v5(aliceToken('HS256', SECRET, { exp: String(now() - 1) })))).toBe(0x87);
    expect(await code(kit.open().url, v5(aliceToken('HS256', SECRET, { exp: 'tomorrow' })))).toBe(0x87);
    expect(await code(kit.strict().url, v5(aliceToken('HS256', SECRET, { exp: String(hour()) })))).toBe(0);
  });

  test(`${TITLE}: nbf or iat in the future is refused; in the past accepted`, async () => {
    expect(await code(kit.open().url, v5(aliceToken('HS256', SECRET, { nbf: now() + 3600 })))).toBe(0x87);
    expect(await code(kit.open().url, v5(aliceToken('HS256', SECRET, { iat: now() + 3600 })))).toBe(0x87);
    expect(await code(kit.strict().url, v5(aliceToken('HS256', SECRET, { nbf: now() - 10, iat: now() - 10 })))).toBe(0);
  });

  test(`${TITLE}: alg none is refused, even with allow_anonymous = true`, async () => {
    const t = aliceToken('none', '');
    expect(await code(kit.strict().url, v5(t))).toBe(0x87);
    expect(await code(kit.open().url, v5(t))).toBe(0x87);
    // a none token carrying the signature of a good one
    const good = aliceToken('HS256', SECRET);
    expect(await code(kit.open().url, v5(t + good.split('.')[2]))).toBe(0x87);
    // a good signature under a header that says none
    const [, payload, sig] = good.split('.');
    const noneHead = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(await code(kit.open().url, v5(`${noneHead}.${payload}.${sig}`))).toBe(0x87);
  });

  test(`${TITLE}: an RSA public key is not an HMAC secret (alg confusion)`, async () => {
    await kit.reconfigure({ 'auth.jwt.pubkey': files.rsa, 'auth.jwt.secret': undefined });
    try {
      expect(await code(kit.open().url, v5(aliceToken('HS256', pem(rsa))))).toBe(0x87);
      expect(await code(kit.strict().url, v5(aliceToken('RS256', rsa.privateKey)))).toBe(0);
    } finally {
      await kit.reconfigure({});
    }
  });

  test(`${TITLE}: a password that is not a JWT is not this plugin's: refused with allow_anonymous = false, anonymous with true`, async () => {
    for (const pw of ['public', 'a.b.c', 'bm90IGpzb24.e30.x', 'x'.repeat(5000)]) {
      expect(await code(kit.strict().url, v5(pw))).toBe(0x87);
      expect(await code(kit.open().url, v5(pw))).toBe(0);
    }
    expect(await code(kit.open().url, { protocolVersion: 5, username: 'alice' })).toBe(0);
  });

  test(`${TITLE}: the ACL of the token ends at its exp (EMQX 4.3 checks exp on each ACL check)`, async () => {
    // a NumericDate may be fractional: valid now, and in whole seconds past within 2.5 s
    const exp = Date.now() / 1000 + 1.5;
    const c = await kit.clients.connected(kit.strict().url, v5(aliceToken('HS256', SECRET, { exp })));
    expect(await suback(c, 'news/before')).toBe(1);
    // wait for the second after exp
    await new Promise((r) => setTimeout(r, (Math.floor(exp) + 1) * 1000 - Date.now() + 20));
    expect(await suback(c, 'news/after')).toBe(0x87);
    expect(c.connected).toBe(true);
  }, 15_000);

  test(`${TITLE}: auth.jwt.acl_claim_name picks the claim`, async () => {
    await kit.reconfigure({ 'auth.jwt.acl_claim_name': 'rights' });
    try {
      const c = await kit.clients.connected(kit.strict().url, v5(aliceToken('HS256', SECRET, { acl: undefined, rights: { sub: ['mine/#'] } })));
      expect(await suback(c, 'mine/x')).toBe(1);
      expect(await suback(c, 'news/x')).toBe(0x87);
    } finally {
      await kit.reconfigure({});
    }
  });
}

function jwks(kit: KitHandle): void {
  describe('JWKS', () => {
    const srv = new JwksServer();
    const k1 = ecPair('P-256');
    const r1 = rsaPair();
    const k2 = ecPair('P-384');
    const k3 = rsaPair();
    const errors = (): number => kit.strict().node.metrics.snapshot()['client.auth.backend_error'] ?? 0;
    // the refresh rounds of the strict broker: three requests after a change were all its own
    // (the open broker's plugin is unloaded meanwhile), so one full round saw the change
    const round = (): Promise<void> => srv.requests(3);

    beforeAll(async () => {
      await srv.start();
      srv.serve(jwk(k1, 'k1'), jwk(r1, 'r1', { alg: 'RS256' }));
      await kit.reconfigure({ 'auth.jwt.jwks': srv.url, 'auth.jwt.jwks.refresh_interval': '300ms' });
    });
    afterAll(async () => {
      await srv.stop();
      // reloads the open broker's plugin too (a reload of an unloaded plugin loads it)
      await kit.reconfigure({});
    });

    test(`${TITLE}: keys fetched at start verify tokens by kid (ES256, RS256); a kid the set lacks is ignored; no kid → the secret`, async () => {
      expect(await kit.clients.code(kit.strict().url, v5(aliceToken('ES256', k1.privateKey, {}, { kid: 'k1' })))).toBe(0);
      expect(await kit.clients.code(kit.strict().url, v5(aliceToken('RS256', r1.privateKey, {}, { kid: 'r1' })))).toBe(0);
      // the JWK says RS256 only
      expect(await kit.clients.code(kit.open().url, v5(aliceToken('RS384', r1.privateKey, {}, { kid: 'r1' })))).toBe(0x87);
      // right kid, wrong key
      expect(await kit.clients.code(kit.open().url, v5(aliceToken('ES256', ecPair('P-256').privateKey, {}, { kid: 'k1' })))).toBe(0x87);
      // unknown kid: not_found → ignore (EMQX), so allow_anonymous decides
      expect(await kit.clients.code(kit.strict().url, v5(aliceToken('ES256', k1.privateKey, {}, { kid: 'nope' })))).toBe(0x87);
      expect(await kit.clients.code(kit.open().url, v5(aliceToken('ES256', k1.privateKey, {}, { kid: 'nope' })))).toBe(0);
      expect(await kit.clients.code(kit.strict().url, v5(aliceToken('HS256', SECRET)))).toBe(0);
    });

    test(`${TITLE}: a rotated key set is picked up at the next refresh_interval`, async () => {
      await kit.open().node.plugins!.unload(PLUGIN);
      srv.serve(jwk(k2, 'k2'));
      await round();
      expect(await kit.clients.code(kit.strict().url, v5(aliceToken('ES384', k2.privateKey, {}, { kid: 'k2' })))).toBe(0);
      expect(await kit.clients.code(kit.strict().url, v5(aliceToken('ES256', k1.privateKey, {}, { kid: 'k1' })))).toBe(0x87);
    });

    test.each(['down', 'garbage', 'error'] as const)(`${TITLE}: the JWKS server %s at refresh: the old keys keep working, counted as auth backend errors`, async (mode) => {
      const before = errors();
      srv.serve(jwk(k3, 'k3'));
      srv.mode = mode;
      try {
        await round();
        expect(errors()).toBeGreaterThanOrEqual(before + 1);
        expect(await kit.clients.code(kit.strict().url, v5(aliceToken('ES384', k2.privateKey, {}, { kid: 'k2' })))).toBe(0);
        expect(await kit.clients.code(kit.strict().url, v5(aliceToken('RS256', k3.privateKey, {}, { kid: 'k3' })))).toBe(0x87);
      } finally {
        srv.mode = 'ok';
        srv.serve(jwk(k2, 'k2'));
      }
    });

    test(`${TITLE}: back up, the next refresh brings the new set`, async () => {
      srv.serve(jwk(k3, 'k3'));
      await round();
      expect(await kit.clients.code(kit.strict().url, v5(aliceToken('RS256', k3.privateKey, {}, { kid: 'k3' })))).toBe(0);
    });

    test(`${TITLE}: a JWKS unreachable at load does not fail it: warned, counted, static keys work`, async () => {
      const before = errors();
      const dead = createServer();
      dead.listen(0, '127.0.0.1');
      await once(dead, 'listening');
      const port = (dead.address() as AddressInfo).port;
      await new Promise((r) => dead.close(r));
      await kit.reconfigure({ 'auth.jwt.jwks': `http://127.0.0.1:${port}/jwks` });
      expect(kit.strict().node.plugins!.isLoaded(PLUGIN)).toBe(true);
      expect(errors()).toBeGreaterThanOrEqual(before + 1);
      expect(await kit.clients.code(kit.strict().url, v5(aliceToken('HS256', SECRET)))).toBe(0);
    });
  });
}
