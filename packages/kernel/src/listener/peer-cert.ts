// The client certificate on a TLS listener: ClientInfo.cn/dn, and the username or
// client id taken from it (peer_cert_as_username / peer_cert_as_clientid), as EMQX 4.3.
import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

import type { PeerCertField } from '../config/types.js';

export interface CertIdentity {
  cn?: string;
  dn?: string;
  /** from the certificate; undefined keeps the CONNECT packet's */
  username?: string;
  clientid?: string;
}

/** undefined when the client sent no certificate */
export function certIdentity(socket: TLSSocket, asUsername?: PeerCertField, asClientid?: PeerCertField): CertIdentity | undefined {
  const der = socket.getPeerCertificate?.()?.raw;
  if (!der || der.length === 0) return undefined;
  const id: CertIdentity = {};
  let cert: X509Certificate | undefined;
  try {
    cert = new X509Certificate(der);
  } catch {
    cert = undefined;
  }
  const subject = cert ? cert.subject.split('\n').filter((l) => l.length > 0) : [];
  const cns = subject.filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
  if (cns.length > 0) id.cn = cns.join(',');
  // RFC 4514 order: the last RDN first
  if (subject.length > 0) id.dn = subject.reverse().join(',');
  const pick = (f: PeerCertField | undefined): string | undefined => {
    switch (f) {
      case 'cn': return id.cn;
      case 'dn': return id.dn;
      case 'crt': return der.toString('latin1'); // the DER bytes, one char per byte
      case 'pem': return der.toString('base64'); // base64 of the DER, no PEM armour (as EMQX)
      case 'md5': return createHash('md5').update(der).digest('hex');
      default: return undefined;
    }
  };
  const u = pick(asUsername);
  const c = pick(asClientid);
  if (u !== undefined) id.username = u;
  if (c !== undefined) id.clientid = c;
  return id;
}
