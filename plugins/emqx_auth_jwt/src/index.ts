// emqx_auth_jwt: authentication with JSON Web Tokens (RFC 7519) and ACL from a token claim, as
// EMQX 4.3's emqx_auth_jwt. The keys are imported at start (and the JWKS refetched in the
// background), so a login only verifies: nothing blocks on a file or the network.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { definePlugin, type ClientInfo, type ConfSchema } from '@nemq/sdk';
import { compileAclClaim, checkTokenAcl, type TokenAcl } from './aclclaim.js';
import { failedClaim, parseChecklist, peekHeader, type Claims } from './claims.js';
import { Jwks } from './jwks.js';
import { pemKey, secretKey, type VerifyKey } from './keys.js';
import { keysFor, verifyToken } from './verify.js';

// Keys and defaults of EMQX 4.3's priv/emqx_auth_jwt.schema (etc/emqx_auth_jwt.conf sets the secret).
export const schema = {
  'auth.jwt.secret': { type: 'string', doc: 'HMAC secret for HS256/384/512 tokens; unset: none' },
  'auth.jwt.pubkey': { type: 'string', doc: 'PEM file of the RSA or ECDSA public key for RS*/PS*/ES* tokens; unset: none' },
  'auth.jwt.jwks': { type: 'string', doc: 'URL of a JWK Set; tokens with a kid header are checked with its keys of that kid' },
  'auth.jwt.jwks.refresh_interval': { type: 'duration', default: '5m', doc: 'how often the JWK Set is fetched again' },
  'auth.jwt.from': { type: 'enum', values: ['password', 'username'], default: 'password', doc: 'the CONNECT field holding the token' },
  'auth.jwt.signature_format': { type: 'enum', values: ['der', 'raw'], default: 'der', doc: 'accepted for compatibility; no effect (unused in EMQX 4.3 too)' },
  'auth.jwt.verify_claims': { type: 'boolean', default: 'off', doc: 'check the auth.jwt.verify_claims.<claim> lines' },
  'auth.jwt.verify_claims.$name': { type: 'string', doc: 'the value claim <name> must have; %u = the username, %c = the client ID' },
  'auth.jwt.acl_claim_name': { type: 'string', default: 'acl', doc: 'the claim holding {"pub": [...], "sub": [...], "all": [...]}' },
} as const satisfies ConfSchema;

/** what the plugin keeps of a client that logged in with a token */
interface ClientToken {
  readonly claims: Claims;
  /** the acl_claim_name `acl` was compiled for */
  name: string;
  acl: TokenAcl | undefined;
}

const JWKS_TIMEOUT_MS = 5000;

/** whole seconds, as EMQX's erlang:system_time(second) */
const nowSec = (): number => Math.floor(Date.now() / 1000);

/**
 * The claims of each client, by its ClientInfo object (the kernel keeps only EMQX's client
 * fields of an auth result, so `jwt_claims` is returned as EMQX does and kept here too). A
 * connection's ClientInfo is its own, so brokers in one process and a reloaded instance share
 * this map safely; an entry goes with its connection. Like EMQX's jwt_claims, it outlives a
 * plugin reload.
 */
const clients = new WeakMap<ClientInfo, ClientToken>();

export default definePlugin({
  schema,
  async start(ctx) {
    const c = ctx.config;
    const from = c['auth.jwt.from'];
    const aclName = c['auth.jwt.acl_claim_name'] || 'acl';
    const checks = parseChecklist(c);

    const statics: VerifyKey[] = [];
    if (c['auth.jwt.secret']) statics.push(secretKey(c['auth.jwt.secret']));
    if (c['auth.jwt.pubkey']) {
      const file = resolve(c['auth.jwt.pubkey']);
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read auth.jwt.pubkey ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      try {
        statics.push(pemKey(pem));
      } catch (err) {
        throw new Error(`auth.jwt.pubkey ${file} is not a usable public key: ${(err as Error).message}`);
      }
    }

    let jwks: Jwks | undefined;
    if (c['auth.jwt.jwks']) {
      jwks = new Jwks({
        url: c['auth.jwt.jwks'],
        intervalMs: Math.max(1, c['auth.jwt.jwks.refresh_interval']),
        timeoutMs: JWKS_TIMEOUT_MS,
        signal: ctx.signal,
        logger: ctx.logger,
        backendError: (kind, reason) => ctx.backendError(kind, reason),
      });
      const j = jwks;
      ctx.onDispose(() => j.stop());
      await jwks.start();
    }
    if (statics.length === 0 && !jwks) ctx.logger.warning('[emqx_auth_jwt] no auth.jwt.secret, auth.jwt.pubkey nor auth.jwt.jwks: every token is ignored');

    ctx.hooks.tap('client.authenticate', (ci, acc) => {
      const raw = from === 'username' ? ci.username : ci.password;
      if (raw === undefined) return undefined;
      const token = typeof raw === 'string' ? raw : raw.toString('utf8');
      const header = peekHeader(token);
      if (header === undefined) return undefined; // not a JWT: the next backend decides
      const keys = keysFor(header, statics, jwks?.keys);
      if (keys.length === 0) return undefined; // no key for it (unknown kid)
      return verifyToken(token, header, keys, nowSec()).then((v) => {
        if (!v.ok) {
          ctx.logger.debug(`[emqx_auth_jwt] token of ${ci.clientid} refused: ${v.reason}`);
          return { ...acc, auth_result: v.reason, anonymous: false };
        }
        const bad = failedClaim(checks, v.claims, ci);
        if (bad !== undefined) {
          ctx.logger.debug(`[emqx_auth_jwt] token of ${ci.clientid} refused: claim ${bad} does not match`);
          return { ...acc, auth_result: 'verify_claim_failed', anonymous: false };
        }
        clients.set(ci, { claims: v.claims, name: aclName, acl: compileAclClaim(v.claims, aclName) });
        return { ...acc, auth_result: 'success', anonymous: false, is_superuser: false, jwt_claims: v.claims };
      });
    });

    ctx.hooks.tap('client.check_acl', (ci, pubsub, topic) => {
      const t = clients.get(ci);
      if (t === undefined) return undefined; // not logged in with a token
      if (t.name !== aclName) {
        t.name = aclName;
        t.acl = compileAclClaim(t.claims, aclName);
      }
      if (t.acl === undefined) return undefined; // a token without an ACL claim
      return checkTokenAcl(t.acl, ci, pubsub, topic, nowSec());
    });
  },
});
