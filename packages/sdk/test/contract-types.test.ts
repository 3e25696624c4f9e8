// Runs the compile-time tests of the contract (test/types/*.check.ts): a swapped hook argument,
// a wrong tap result or a mistyped conf value must be a type error, and typed code must compile.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('the contract type tests compile, and every expected error is one', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(__dirname, 'types')], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 60_000);
