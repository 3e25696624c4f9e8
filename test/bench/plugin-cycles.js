#!/usr/bin/env node
// 1,000 load/unload cycles of one plugin, 1,000 unchanged reloads, and 200 reloads
// with changed code: taps left behind and heap growth. Run: node --expose-gc test/bench/plugin-cycles.js
'use strict';
const { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const root = join(__dirname, '../..');
const { createBroker, createLogger } = require(join(root, 'packages/kernel/dist/index.js'));

const gcHeap = () => {
  global.gc();
  global.gc();
  return process.memoryUsage().heapUsed;
};

(async () => {
  if (!global.gc) throw new Error('run with node --expose-gc');
  const dir = mkdtempSync(join(tmpdir(), 'nemq-cycles-'));
  cpSync(join(root, 'test/fixtures/plugins'), join(dir, 'plugins'), { recursive: true });
  const node = await createBroker({
    logger: createLogger('none'), listeners: [], sysInterval: 0, sysHeartbeat: 0,
    plugins: { dirs: [join(dir, 'plugins')], etcDir: join(dir, 'etc'), loadedFile: join(dir, 'loaded_plugins'), dataDir: dir, defaults: {} },
  });
  const pm = node.plugins;
  const base = node.registry.tapCount();
  const rows = [];
  const measure = async (label, n, fn) => {
    await fn(0);
    const h0 = gcHeap();
    const t0 = process.hrtime.bigint();
    for (let i = 1; i <= n; i++) await fn(i);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const h1 = gcHeap();
    rows.push({ label, n, msPerCycle: +(ms / n).toFixed(3), tapsLeft: node.registry.tapCount() - base, heapGrowthKiB: Math.round((h1 - h0) / 1024) });
  };
  await measure('load + unload (fx_good)', Number(process.env.CYCLES || 1000), async () => {
    await pm.load('fx_good', { persist: false });
    await pm.unload('fx_good', { persist: false });
  });
  await pm.load('fx_version', { persist: false });
  await measure('reload, unchanged code (module reused)', 1000, () => pm.reload('fx_version'));
  const file = join(dir, 'plugins/fx_version/index.js');
  const src = readFileSync(file, 'utf8');
  await measure('reload, changed code (new module each time)', 200, async (i) => {
    writeFileSync(file, src.replace("'v1'", `'v${i + 2}'`));
    utimesSync(file, new Date(), new Date(Date.now() + i * 1000));
    await pm.reload('fx_version');
  });
  const last = (await node.ctl.run(['fx_version'])).output.trim();
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log('| cycle | n | ms per cycle | taps left | heap growth (KiB, after GC) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.label} | ${r.n} | ${r.msPerCycle} | ${r.tapsLeft} | ${r.heapGrowthKiB} |`);
  console.log(`\nlast reload runs code version ${last}`);
})();
