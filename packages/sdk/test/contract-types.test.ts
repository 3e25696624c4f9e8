// Runs the compile-time tests of the contract: a swapped hook argument, a wrong tap result or a
// mistyped conf value must be a type error (test/types/*.check.ts), typed code must compile, and
// so must the hook examples in docs/plugins.md, as written there.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const tsc = (project: string): string => {
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project], { encoding: 'utf8' });
  return `exit ${r.status}\n${r.stdout}${r.stderr}`;
};

test('the contract type tests compile, and every expected error is one', () => {
  expect(tsc(join(__dirname, 'types'))).toBe('exit 0\n');
}, 60_000);

test('the hook examples of docs/plugins.md compile against the SDK', () => {
  const doc = readFileSync(join(ROOT, 'docs/plugins.md'), 'utf8');
  const start = doc.indexOf('```ts\n// refuse clients from one network');
  expect(start).toBeGreaterThan(0);
  const code = doc.slice(start + 6, doc.indexOf('```', start + 6));
  const dir = mkdtempSync(join(tmpdir(), 'nemq-doc-'));
  try {
    writeFileSync(join(dir, 'examples.ts'), [
      "import { definePlugin, type EnhancedAuthResult, type Message } from '@nemq/sdk';",
      'declare function check(password: Buffer | undefined): Promise<boolean>;',
      'declare function step(data: Buffer | undefined, cache: unknown): Promise<EnhancedAuthResult>;',
      'declare function welcome(topic: string): Message;',
      'const counts = new Map<string, number>();',
      'definePlugin({ schema: {}, start(ctx) {', code, '} });',
    ].join('\n'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      extends: join(ROOT, 'tsconfig.base.json'),
      compilerOptions: { noEmit: true, composite: false, declaration: false, declarationMap: false, sourceMap: false, typeRoots: [join(ROOT, 'node_modules/@types')], paths: { '@nemq/sdk': [join(ROOT, 'packages/sdk/src/index.ts')] } },
      files: ['examples.ts'],
    }));
    expect(tsc(dir)).toBe('exit 0\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
