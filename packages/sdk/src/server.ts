// A backend's `server` key (auth.mysql.server, auth.pgsql.server, ...): `host:port`, `[ipv6]:port`,
// `host` or a bare IPv6 address (the default port), or `port` (127.0.0.1).

/** `key` names the conf key in errors */
export function parseServer(s: string, key: string, defaultPort: number): { host: string; port: number } {
  const v = s.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : defaultPort };
  if (/^\d+$/.test(v)) return { host: '127.0.0.1', port: Number(v) };
  const colons = v.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = v.split(':') as [string, string];
    if (!/^\d+$/.test(port) || host === '') throw new Error(`${key}: bad address "${s}"`);
    return { host, port: Number(port) };
  }
  if (v === '') throw new Error(`${key} is empty`);
  // a bare IPv6 address or a host name
  return { host: v, port: defaultPort };
}
