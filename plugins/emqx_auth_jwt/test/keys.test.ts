import { generateKeyPairSync } from 'node:crypto';
import { algsFor, jwkKey, parseJwks, pemKey, secretKey } from '../src/keys';
import { ecPair, jwk, pem, rsaPair } from './sign';

describe('keys and the algs they verify', () => {
  const rsa = rsaPair();
  test('a secret verifies HS*, RSA RS*/PS*, EC the alg of its curve', () => {
    expect(secretKey('s').algs).toEqual(['HS256', 'HS384', 'HS512']);
    expect(pemKey(pem(rsa)).algs).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
    expect(pemKey(pem(ecPair('P-256'))).algs).toEqual(['ES256']);
    expect(pemKey(pem(ecPair('P-384'))).algs).toEqual(['ES384']);
    expect(pemKey(pem(ecPair('P-521'))).algs).toEqual(['ES512']);
    expect(algsFor(generateKeyPairSync('ed25519').publicKey)).toEqual(['EdDSA']);
    for (const k of [secretKey('s'), pemKey(pem(rsa))]) expect(k.algs).not.toContain('none');
  });
  test('a private key PEM gives its public half; garbage throws', () => {
    const k = pemKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    expect(k.key.type).toBe('public');
    expect(() => pemKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n')).toThrow();
  });
  test('a JWK alg narrows the algs', () => {
    expect(jwkKey(jwk(rsa, 'k', { alg: 'RS384' })).algs).toEqual(['RS384']);
    expect(() => jwkKey(jwk(rsa, 'k', { alg: 'ES256' }))).toThrow(/unsupported/);
    expect(jwkKey({ kty: 'oct', k: Buffer.from('s').toString('base64url'), kid: 'h' }).algs).toEqual(['HS256', 'HS384', 'HS512']);
  });
});

describe('parseJwks', () => {
  test('keys by kid; keys without kid, for encryption or broken are left out', () => {
    const a = rsaPair();
    const b = ecPair('P-256');
    const set = parseJwks(
      JSON.stringify({
        keys: [jwk(a, 'k1'), jwk(b, 'k1'), jwk(b, 'k2'), { ...jwk(a, 'x'), kid: undefined }, jwk(a, 'enc', { use: 'enc' }), { kty: 'RSA', kid: 'bad', n: 'AA' }, 7],
      }),
    );
    expect([...set.byKid.keys()]).toEqual(['k1', 'k2']);
    expect(set.byKid.get('k1')!.length).toBe(2);
    expect(set.skipped.length).toBe(4);
  });
  test.each(['', 'not json', '{}', '{"keys": {}}', 'null', '[]'])('%j is not a JWKS', (body) => {
    expect(() => parseJwks(body)).toThrow();
  });
});
