// The channel reads its zone on every packet: zones must keep V8's fast properties (an object
// whose properties were deleted becomes a hash table). Checked on the built kernel, in a node
// with V8's natives syntax, for zones from etc/emqx.conf and from defaultZone().
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../../..');

test('zones built from the conf and by defaultZone() have fast properties', () => {
  const code = `
    const { loadConfig } = require(${JSON.stringify(join(ROOT, 'packages/kernel/dist/config/index.js'))});
    const { defaultZone } = require(${JSON.stringify(join(ROOT, 'packages/kernel/dist/zone.js'))});
    const cfg = loadConfig({ file: ${JSON.stringify(join(ROOT, 'etc/emqx.conf'))} });
    const zones = { ...cfg.zones, embedded: defaultZone('embedded', { mountpoint: 'x/' }) };
    console.log(JSON.stringify(Object.fromEntries(Object.entries(zones).map(([n, z]) => [n, %HasFastProperties(z)]))));
  `;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', code], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ default: true, external: true, internal: true, embedded: true });
});
