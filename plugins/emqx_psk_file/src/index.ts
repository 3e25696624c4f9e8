// emqx_psk_file: secrets for TLS-PSK (RFC 4279) handshakes from a file (EMQX 4.3, reference §1.3).
// The ssl listeners with psk_ciphers ask tls_handshake.psk_lookup during the handshake, so the
// lookup is synchronous: the file is read once at load (and at `plugins reload`).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { definePlugin, type ConfSchema } from '@nemq/sdk';
import { parsePsk } from './parse.js';

export const schema = {
  'psk.file.path': { type: 'string', default: 'etc/psk.txt', doc: 'the identity/secret file, relative to the working directory or absolute' },
  'psk.file.delimiter': { type: 'string', default: ':', doc: 'what separates identity and secret on a line' },
} as const satisfies ConfSchema;

export default definePlugin({
  schema,
  start(ctx) {
    const file = resolve(String(ctx.config['psk.file.path'] ?? 'etc/psk.txt'));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read psk.file.path ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const { secrets, skipped } = parsePsk(text, String(ctx.config['psk.file.delimiter'] ?? ':'));
    for (const s of skipped) ctx.logger.warning(`${file}:${s.line} skipped: ${s.reason}`);
    ctx.logger.info(`${secrets.size} PSK identities from ${file}`);
    ctx.hooks.tap('tls_handshake.psk_lookup', (identity) => secrets.get(identity));
  },
});
