// Finding installed plugins: package.json files with an "emqxPlugin" manifest, read without
// importing the plugin (workspace dirs, dropped-in packages, node_modules, @scoped ones).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { PluginManifest } from '@nemq/sdk';
import { sdkMismatch } from './sdk-link.js';

export interface InstalledPlugin {
  manifest: PluginManifest;
  version: string;
  dir: string;
  main: string;
  /** the @nemq/sdk range the package asks for when the node's SDK does not meet it */
  sdkMismatch: string | undefined;
}

type PackageJson = { version?: string; main?: string; emqxPlugin?: PluginManifest } & Parameters<typeof sdkMismatch>[0];

/** installed plugins by name; the first package found for a name wins */
export function discoverPlugins(dirs: readonly string[], warn: (msg: string) => void): Map<string, InstalledPlugin> {
  const out = new Map<string, InstalledPlugin>();
  const visit = (dir: string): void => {
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) return;
    try {
      const pkg = JSON.parse(readFileSync(pj, 'utf8')) as PackageJson;
      const m = pkg.emqxPlugin;
      if (!m || typeof m.name !== 'string' || !/^[A-Za-z0-9_]+$/.test(m.name) || out.has(m.name)) return;
      out.set(m.name, { manifest: m, version: pkg.version ?? '0.0.0', dir: resolve(dir), main: resolve(dir, pkg.main ?? 'index.js'), sdkMismatch: sdkMismatch(pkg) });
    } catch (err) {
      warn(`plugins: cannot read ${pj}: ${(err as Error).message}`);
    }
  };
  for (const dir of dirs) {
    for (const d of subdirs(dir)) if (!d.endsWith(`${sep}node_modules`)) visit(d);
    for (const d of subdirs(join(dir, 'node_modules'))) {
      if (d.split(sep).pop()!.startsWith('@')) for (const s of subdirs(d)) visit(s);
      else visit(d);
    }
  }
  return out;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() || d.isSymbolicLink()).map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}
