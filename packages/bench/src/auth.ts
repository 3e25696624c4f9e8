// `nemq-bench auth`: the cost of authentication and ACL, against the real servers.
//
// - connect rate: `connCount` clients (user<i> / public) through each backend's plugin with
//   allow_anonymous = false, beside the same clients connecting anonymously with no plugin;
// - publish rate: the fan-in scenario (one ACL check per PUBLISH) with no ACL plugin, and with the
//   first backend's ACL query with enable_acl_cache on and off.
// Every run is a fresh nemq process started as `compare` starts it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AUTH_BACKENDS, type AuthBackend, type Env } from './auth-backends.js';
import { freePorts, loadedPlugins, REPO_ROOT, startNemq, type RunningBroker } from './brokers.js';
import { flowCells, formatValue, markdownTable, upsertMarked } from './report.js';
import { runScenario, type Metric, type ScenarioParams, type ScenarioResult } from './scenarios.js';

export const AUTH_START = '<!-- bench:auth:start -->';
export const AUTH_END = '<!-- bench:auth:end -->';
const SERVICES_SH = path.join(REPO_ROOT, 'test', 'services', 'services.sh');

export interface AuthRow {
  readonly what: string;
  readonly result: ScenarioResult;
}

/** starts one service instance on a free port; returns its KEY=VALUE lines */
function startService(name: string, dir: string, extraEnv: Env = {}): { env: Env; stop(): void } {
  for (let attempt = 0; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 9_000);
    try {
      const out = execFileSync('bash', [SERVICES_SH, 'start', name, dir, String(port)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extraEnv } });
      const env: Env = {};
      for (const line of out.split('\n')) {
        const i = line.indexOf('=');
        if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
      }
      const stop = (): void => {
        execFileSync('bash', [SERVICES_SH, 'stop', name, dir], { stdio: 'ignore' });
        fs.rmSync(dir, { recursive: true, force: true });
      };
      return { env, stop };
    } catch (e) {
      if ((e as { status?: number }).status !== 75 || attempt > 5) throw e;
    }
  }
}

/** nemq with `plugin` loaded from a conf written to a temp etc dir */
async function nemqWith(dir: string, tag: string, plugin: string | undefined, conf: Record<string, string>, env: Record<string, string>): Promise<RunningBroker> {
  const etc = path.join(dir, `etc-${tag}`);
  fs.mkdirSync(etc, { recursive: true });
  if (plugin) fs.writeFileSync(path.join(etc, `${plugin}.conf`), Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(''));
  return startNemq(dir, {
    env: { EMQX_PLUGINS__ETC_DIR: etc, ...env },
    setup: loadedPlugins(plugin ? { [plugin]: true } : { emqx_retainer: false }),
  });
}

async function measure(b: RunningBroker, scenario: 'conn' | 'fan-in', p: ScenarioParams, creds?: { username: string; password: string }): Promise<ScenarioResult> {
  try {
    return await runScenario(scenario, { host: b.host, port: b.port, pid: b.pid, ...creds }, p);
  } finally {
    await b.stop();
  }
}

/** the run with the median headline value; its notes say the spread */
export function medianRow(what: string, results: readonly ScenarioResult[]): AuthRow {
  const ok = results.filter((r) => r.metrics[0] !== undefined);
  if (ok.length === 0) return { what, result: results[0]! };
  const sorted = [...ok].sort((x, y) => x.metrics[0]!.value - y.metrics[0]!.value);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  if (sorted.length === 1) return { what, result: mid };
  const m = mid.metrics[0]!;
  const spread = `median of ${sorted.length} (${formatValue(sorted[0]!.metrics[0]!.value, m.unit)}–${formatValue(sorted[sorted.length - 1]!.metrics[0]!.value, m.unit)})`;
  return { what, result: { ...mid, notes: [spread, ...mid.notes] } };
}

export async function authBench(o: { backends: readonly string[]; params: ScenarioParams; rounds?: number; dir: string; log: (s: string) => void }): Promise<AuthRow[]> {
  const chosen: AuthBackend[] = o.backends.map((n) => {
    const b = AUTH_BACKENDS.find((x) => x.name === n);
    if (!b) throw new Error(`unknown backend ${n} (known: ${AUTH_BACKENDS.map((x) => x.name).join(', ')})`);
    return b;
  });
  await freePorts(1);
  const p = o.params;
  const rounds = Math.max(1, o.rounds ?? 1);
  const runs = new Map<string, ScenarioResult[]>();
  const add = (what: string, r: ScenarioResult): void => void (runs.get(what) ?? runs.set(what, []).get(what)!).push(r);
  const services: Array<{ b: AuthBackend; env: Env; stop(): void; what: string; p: ScenarioParams }> = [];
  try {
    for (const b of chosen) {
      const what = `connect, ${b.plugin}${b.pooled === false ? '' : ' (pool 8)'}`;
      let s: { env: Env; stop(): void };
      try {
        // its own dir under the system tmp: postgres runs as another user and must reach it
        s = b.service ? startService(b.service, fs.mkdtempSync(path.join(os.tmpdir(), `nemq-bench-${b.name}-`)), b.serviceEnv) : await b.serve!();
      } catch (e) {
        // a server that is not installed: the row says so, the other backends still run
        const why = ((e as Error).message.split('\n').find((l) => l.startsWith('services.sh')) ?? (e as Error).message.split('\n')[0]) as string;
        o.log(`auth: ${b.name} skipped: ${why}`);
        add(what, { scenario: 'conn', metrics: [], notes: [`skipped: ${why}`], details: {} });
        continue;
      }
      const bp = b.maxClients !== undefined && b.maxClients < p.connCount ? { ...p, connCount: b.maxClients } : p;
      services.push({ b, ...s, what, p: bp });
      await b.seed(s.env, bp.connCount);
    }
    // rounds interleave every row, so a slow spell of the machine touches them all alike
    for (let round = 1; round <= rounds; round++) {
      o.log(`auth: round ${round}/${rounds}: anonymous connect of ${p.connCount}`);
      add('connect, anonymous (no plugin)', await measure(await nemqWith(o.dir, 'anon', undefined, {}, { EMQX_ALLOW_ANONYMOUS: 'true' }), 'conn', p));
      for (const s of services) {
        o.log(`auth: round ${round}/${rounds}: ${s.b.name} connect of ${s.p.connCount}`);
        const broker = await nemqWith(o.dir, s.b.name, s.b.plugin, s.b.conf(s.env, { auth: true, acl: false }), { EMQX_ALLOW_ANONYMOUS: 'false' });
        const result = await measure(broker, 'conn', s.p, s.b.login?.(s.env) ?? { username: 'user%i', password: 'public' });
        if (s.b.note) result.notes.unshift(s.b.note);
        add(s.what, result);
      }
      o.log(`auth: round ${round}/${rounds}: fan-in without an ACL plugin`);
      add('publish, no ACL plugin', await measure(await nemqWith(o.dir, 'pub-none', undefined, {}, {}), 'fan-in', p));
      const first = services[0];
      if (first) {
        for (const cache of ['on', 'off'] as const) {
          o.log(`auth: round ${round}/${rounds}: fan-in with ${first.b.plugin} ACL, cache ${cache}`);
          const broker = await nemqWith(o.dir, `pub-${cache}`, first.b.plugin, first.b.conf(first.env, { auth: false, acl: true }), { EMQX_ENABLE_ACL_CACHE: cache });
          add(`publish, ${first.b.plugin} ACL, cache ${cache}`, await measure(broker, 'fan-in', p));
        }
      }
    }
  } finally {
    for (const s of services) s.stop();
  }
  const rows: AuthRow[] = [];
  const anon = runs.get('connect, anonymous (no plugin)');
  if (anon) rows.push(medianRow('connect, anonymous (no plugin)', anon));
  for (const [what, results] of runs) if (what !== 'connect, anonymous (no plugin)') rows.push(medianRow(what, results));
  return rows;
}

const value = (m: Metric | undefined): string => (m ? formatValue(m.value, m.unit) : '—');

/** the report section: connect rates beside anonymous, publish rates beside no ACL */
export function renderAuth(rows: readonly AuthRow[], when: string, p: ScenarioParams): string {
  const conn = rows.filter((r) => r.result.scenario === 'conn');
  const pub = rows.filter((r) => r.result.scenario === 'fan-in');
  const base = conn[0]?.result.metrics[0]?.value ?? NaN;
  const pubBase = pub[0]?.result.metrics[0]?.value ?? NaN;
  const pct = (v: number, of: number): string => (Number.isFinite(v / of) ? `${Math.round((100 * v) / of)} %` : '—');
  const lines = [AUTH_START, '', `### Authentication and ACL (${when})`, ''];
  lines.push(
    markdownTable(
      ['connect', `${p.connCount} clients`, 'of anonymous', 'connected', 'broker CPU', 'notes'],
      conn.map((r) => {
        const m = r.result.metrics[0];
        return [r.what, value(m), pct(m?.value ?? NaN, base), String(r.result.details.connected ?? '—'), m ? `${Math.round(m.brokerCpuPct)} %` : '—', r.result.notes.join('; ')];
      }),
      ['l', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  lines.push('');
  lines.push(
    markdownTable(
      ['publish (fan-in, QoS 0, one ACL check per message)', 'delivered', 'of no ACL', 'published', 'dropped', 'broker CPU', 'notes'],
      pub.map((r) => {
        const m = r.result.metrics[0];
        const [published, , dropped, , flag] = m?.flow ? flowCells([m.flow]) : ['—', '', '—', '', ''];
        const notes = [flag, ...r.result.notes].filter(Boolean).join('; ');
        return [r.what, value(m), pct(m?.value ?? NaN, pubBase), published!, dropped!, m ? `${Math.round(m.brokerCpuPct)} %` : '—', notes];
      }),
      ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  lines.push('', AUTH_END);
  return lines.join('\n');
}

export function upsertAuth(existing: string, section: string): string {
  return upsertMarked(existing, AUTH_START, AUTH_END, section);
}
