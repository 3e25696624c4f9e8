/** Tiny command-line parser (emqx_bench style short flags, plus --long and --long=value). */

export interface OptSpec {
  name: string;
  short?: string;
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  help: string;
}

export type Opts = Record<string, string | number | boolean | undefined>;

export interface Parsed {
  opts: Opts;
  positional: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], specs: readonly OptSpec[]): Parsed {
  const opts: Opts = {};
  for (const s of specs) if (s.default !== undefined) opts[s.name] = s.default;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    let spec: OptSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      spec = specs.find((s) => s.name === name);
      if (!spec && !inline && name.startsWith('no-')) {
        const neg = specs.find((s) => s.name === name.slice(3) && s.type === 'boolean');
        if (neg) {
          opts[neg.name] = false;
          continue;
        }
      }
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      spec = specs.find((s) => s.short === a.slice(1));
    } else {
      positional.push(a);
      continue;
    }
    if (!spec) throw new UsageError(`unknown option ${a}`);
    if (spec.type === 'boolean') {
      if (inline === undefined) opts[spec.name] = true;
      else if (/^(1|true|yes|on)$/i.test(inline)) opts[spec.name] = true;
      else if (/^(0|false|no|off)$/i.test(inline)) opts[spec.name] = false;
      else throw new UsageError(`option ${a} takes no value or true/false`);
      continue;
    }
    let v = inline;
    if (v === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option ${a} needs a value`);
      v = argv[++i] as string;
    }
    if (spec.type === 'number') {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`option ${a} needs a number, got "${v}"`);
      opts[spec.name] = n;
    } else {
      opts[spec.name] = v;
    }
  }
  return { opts, positional };
}

/** Help lines for a list of options. */
export function describe(specs: readonly OptSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.type === 'boolean' ? '' : ` ${s.type === 'number' ? 'N' : 'VALUE'}`}`;
    const dflt = s.default !== undefined && s.default !== false ? ` (default ${String(s.default)})` : '';
    return [flag, `${s.help}${dflt}`] as const;
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([f, h]) => `  ${f.padEnd(w)}  ${h}`).join('\n');
}

/** Comma-separated list option. */
export function list(v: unknown): string[] {
  if (typeof v !== 'string' || v.trim() === '') return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Quotes an argument for display in a POSIX shell command line. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
