// Every plugin the node loads gets the node's own @nemq/sdk, whatever the plugin ships: one copy,
// one version, so a plugin installed from its tarball (the SDK a peer dependency, not bundled)
// imports definePlugin and the helpers at run time. The plugin's range is checked first.
import Module, { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import * as semver from 'semver';

const nodeRequire = createRequire(__filename);
/** the SDK the kernel itself depends on (its built entry, as Node resolves it) */
const SDK_MAIN = nodeRequire.resolve('@nemq/sdk');
const SDK_DIR = dirname(nodeRequire.resolve('@nemq/sdk/package.json'));
export const SDK_VERSION: string = (nodeRequire('@nemq/sdk/package.json') as { version: string }).version;

const roots = new Set<string>();
let hooked = false;

type Resolve = (request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]) => string;

/** from now on, `@nemq/sdk` required from under `dir` (a real path) is the node's SDK */
export function linkSdk(dir: string): void {
  roots.add(dir.endsWith(sep) ? dir : dir + sep);
  if (hooked) return;
  hooked = true;
  const M = Module as unknown as { _resolveFilename: Resolve };
  const original = M._resolveFilename;
  M._resolveFilename = function (this: unknown, request, parent, ...rest) {
    if (request.startsWith('@nemq/sdk') && (request.length === 9 || request[9] === '/') && fromPlugin(parent?.filename)) {
      return request.length === 9 ? SDK_MAIN : join(SDK_DIR, request.slice(10));
    }
    return original.call(this, request, parent, ...rest);
  };
}

function fromPlugin(file: string | null | undefined): boolean {
  if (!file) return false;
  for (const r of roots) if (file.startsWith(r)) return true;
  return false;
}

/**
 * The range of @nemq/sdk a plugin's package.json asks for (peerDependencies, then dependencies),
 * when it is not met by the node's SDK; undefined when it is met or not stated as a semver range.
 */
export function sdkMismatch(pkg: { peerDependencies?: Record<string, string>; dependencies?: Record<string, string> }): string | undefined {
  const range = pkg.peerDependencies?.['@nemq/sdk'] ?? pkg.dependencies?.['@nemq/sdk'];
  if (range === undefined || semver.validRange(range) === null) return undefined;
  return semver.satisfies(SDK_VERSION, range, { includePrerelease: true }) ? undefined : range;
}
