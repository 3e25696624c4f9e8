// TLS to a backend (a database, LDAP, an HTTP server): EMQX's `<prefix>.cacertfile`,
// `certfile`, `keyfile`, `verify` and `server_name_indication` keys as Node tls options.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { confString, type ConfValues } from './conf.js';

export interface BackendTls {
  readonly cacertfile?: string | undefined;
  readonly certfile?: string | undefined;
  readonly keyfile?: string | undefined;
  /** check the server's certificate (EMQX `verify = verify_peer` / `true`) */
  readonly verify: boolean;
  /** unset: the server host; `disable`: no name check */
  readonly serverNameIndication?: string | undefined;
}

/** reads `<prefix>.cacertfile` etc. (`prefix` e.g. `auth.mysql.ssl`); `cafile` is taken as cacertfile */
export function backendTls(c: ConfValues, prefix: string): BackendTls {
  const verify = c[`${prefix}.verify`];
  return {
    cacertfile: confString(c, `${prefix}.cacertfile`) ?? confString(c, `${prefix}.cafile`),
    certfile: confString(c, `${prefix}.certfile`),
    keyfile: confString(c, `${prefix}.keyfile`),
    verify: verify === true || verify === 'true' || verify === 'verify_peer',
    serverNameIndication: confString(c, `${prefix}.server_name_indication`),
  };
}

/** Node tls options for a connection to `host`; the files are read now (a missing file throws with its path) */
export function tlsConnectOptions(t: BackendTls, host: string): ConnectionOptions {
  const out: ConnectionOptions = { rejectUnauthorized: t.verify };
  if (t.cacertfile) out.ca = readFileSync(t.cacertfile);
  if (t.certfile) out.cert = readFileSync(t.certfile);
  if (t.keyfile) out.key = readFileSync(t.keyfile);
  if (t.serverNameIndication === 'disable') out.checkServerIdentity = () => undefined;
  else out.servername = t.serverNameIndication ?? host;
  return out;
}
