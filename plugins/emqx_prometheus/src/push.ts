// Pushing to a Prometheus Push Gateway: every interval a POST of the text format to
// <server>/metrics/job/<name>/instance/<name>~<host> (node name@host). Failures are logged at
// most once a minute and never thrown; the loop ends with the plugin (its abort signal).
import type { Logger } from '@nemq/sdk';

export interface PushOptions {
  server: string;
  /** ms */
  interval: number;
  nodeName: string;
  text(): string;
  logger: Logger;
  signal: AbortSignal;
}

const LOG_EVERY = 60000;

/** the gateway URL for this node, or an error text for a server that is not an http(s) URL */
export function pushUrl(server: string, nodeName: string): string | { error: string } {
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    return { error: `prometheus.push.gateway.server is not a URL: ${server}` };
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return { error: `prometheus.push.gateway.server must be http or https: ${server}` };
  const at = nodeName.indexOf('@');
  const name = at < 0 ? nodeName : nodeName.slice(0, at);
  const host = at < 0 ? '' : nodeName.slice(at + 1);
  return `${server.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(name)}/instance/${encodeURIComponent(`${name}~${host}`)}`;
}

/** starts the loop; returns false (with an error logged) when it cannot run */
export function startPush(o: PushOptions): boolean {
  const url = pushUrl(o.server, o.nodeName);
  if (typeof url !== 'string') {
    o.logger.error(`${url.error}; not pushing`);
    return false;
  }
  if (!(o.interval > 0)) {
    o.logger.error(`prometheus.interval must be above 0 (got ${o.interval}); not pushing`);
    return false;
  }
  let lastLog = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const failed = (why: string): void => {
    const now = Date.now();
    if (now - lastLog < LOG_EVERY) return;
    lastLog = now;
    o.logger.warning(`push to ${url} failed: ${why}`);
  };
  const push = async (): Promise<void> => {
    // one push never outlives the next one's turn, nor the plugin
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    const limit = setTimeout(stop, Math.max(1000, o.interval));
    o.signal.addEventListener('abort', stop, { once: true });
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: o.text(), signal: ac.signal });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) failed(`HTTP ${res.status}`);
    } catch (err) {
      if (!o.signal.aborted) failed(ac.signal.aborted ? 'timed out' : ((err as Error)?.cause as Error)?.message ?? (err as Error)?.message ?? String(err));
    } finally {
      clearTimeout(limit);
      o.signal.removeEventListener('abort', stop);
    }
  };
  const next = (): void => {
    if (o.signal.aborted) return;
    timer = setTimeout(() => void push().finally(next), o.interval);
    timer.unref();
  };
  o.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  next();
  return true;
}
