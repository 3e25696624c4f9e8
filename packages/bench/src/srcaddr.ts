/**
 * One source address gives at most ~28k ephemeral ports towards one
 * destination, so large idle runs spread client sockets over several
 * loopback source addresses (127.0.0.1, 127.0.0.2, ...).
 */
export const PORTS_PER_SOURCE = 25_000;

/** Loopback source addresses needed for `count` connections; [] when one default source suffices. */
export function loopbackSources(count: number, perSource = PORTS_PER_SOURCE): string[] {
  if (count <= perSource) return [];
  const n = Math.ceil(count / perSource);
  if (n > 254) throw new Error(`${count} connections need more than 254 loopback source addresses`);
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
}

/** Source address for connection `idx` (round robin), undefined = let the kernel pick. */
export function sourceFor(idx: number, sources: readonly string[]): string | undefined {
  return sources.length ? sources[idx % sources.length] : undefined;
}
