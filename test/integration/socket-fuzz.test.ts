// Hostile clients: test/bench/socket-fuzz.js with its default bound (20,000 cases, 45 s at
// most) against a spawned broker. The broker must survive and keep serving the good client.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '../..');
const run = promisify(execFile);

// Measured on 2 shared cores: ~60 MB at start, ~175 MB peak for 20,000 cases.
const PEAK_RSS_KIB = 400 * 1024;

test('socket fuzz: the broker survives and the good client gets every message', async () => {
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [join(ROOT, 'test/bench/socket-fuzz.js'), '--json'], { timeout: 90_000, maxBuffer: 1 << 24 }));
  } catch (e) {
    // exit 1 still prints the JSON report: show it
    stdout = (e as { stdout?: string }).stdout ?? '';
    if (!stdout.trim()) throw e;
  }
  const r = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(r.broker.alive).toBe(true);
  expect(r.broker.answering).toBe(true);
  expect(r.cases).toBeGreaterThanOrEqual(5000);
  expect(r.good.sent).toBeGreaterThan(0);
  expect(r.good.missing).toEqual([]);
  expect(r.good.delivered).toBe(r.good.sent);
  expect(r.broker.peakRssKiB).toBeLessThan(PEAK_RSS_KIB);
  // the flood past max_connections (200) is cut at the limit
  expect(r.flood.keptOpen).toBeLessThanOrEqual(200);
}, 120_000);
