// No import cycles inside packages/kernel/src, `import type` included: a cycle is
// reported as the chain of files that closes it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const SRC = resolve(__dirname, '../src');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** './x.js' → x.ts, './dir' → dir/index.ts; undefined for anything outside src */
function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const c of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(c)) return c;
  return undefined;
}

/** relative imports of one file: import, import type, export from, import() */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const out: string[] = [];
  for (const f of info.importedFiles) {
    if (!f.fileName.startsWith('.')) continue;
    const target = resolveImport(file, f.fileName);
    if (target !== undefined && target.startsWith(SRC)) out.push(target);
  }
  return out;
}

/** every cycle found by a depth-first walk, each as a list of files */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const visit = (f: string): void => {
    path.push(f);
    onPath.add(f);
    for (const g of graph.get(f) ?? []) {
      if (onPath.has(g)) cycles.push([...path.slice(path.indexOf(g)), g]);
      else if (!done.has(g)) visit(g);
    }
    path.pop();
    onPath.delete(f);
    done.add(f);
  };
  for (const f of graph.keys()) if (!done.has(f)) visit(f);
  return cycles;
}

test('cycles are found and named', () => {
  const g = new Map([['a', ['b']], ['b', ['c', 'd']], ['c', ['a']], ['d', []]]);
  expect(findCycles(g).map((c) => c.join(' -> '))).toEqual(['a -> b -> c -> a']);
  expect(findCycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
});

test('the walker sees type-only imports', () => {
  const node = importsOf(join(SRC, 'node.ts')).map((f) => relative(SRC, f));
  expect(node).toContain('context.ts');
  expect(node).toContain(join('channel', 'channel.ts'));
});

test('packages/kernel/src has no import cycles (type-only imports count)', () => {
  const graph = new Map(sources(SRC).map((f) => [f, importsOf(f)] as const));
  const cycles = findCycles(graph).map((c) => c.map((f) => relative(SRC, f).split('\\').join('/')).join(' -> '));
  expect(cycles).toEqual([]);
});
