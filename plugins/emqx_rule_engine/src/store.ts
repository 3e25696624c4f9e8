// Rules and resources on disk (<data_dir>/rules/rule_engine.json) and in the cluster table
// `rule_engine` every node shares (EMQX keeps them in replicated Mnesia tables).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ResourceDef, RuleDef } from './engine.js';

export interface Saved {
  rules: RuleDef[];
  resources: ResourceDef[];
}

export class RuleStore {
  readonly rules = new Map<string, RuleDef>();
  readonly resources = new Map<string, ResourceDef>();

  constructor(private readonly file: string, private readonly onError: (m: string) => void) {}

  load(): Saved {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return { rules: [], resources: [] };
    }
    try {
      const d = JSON.parse(text) as Partial<Saved>;
      for (const r of d.rules ?? []) this.rules.set(r.id, r);
      for (const r of d.resources ?? []) this.resources.set(r.id, r);
    } catch (e) {
      this.onError(`${this.file}: not valid JSON (${(e as Error).message}); starting with no rules`);
    }
    return { rules: [...this.rules.values()], resources: [...this.resources.values()] };
  }

  put(kind: 'rule' | 'resource', id: string, def: RuleDef | ResourceDef | undefined): void {
    const m = (kind === 'rule' ? this.rules : this.resources) as Map<string, RuleDef | ResourceDef>;
    if (def === undefined) m.delete(id);
    else m.set(id, def);
    this.save();
  }

  private save(): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, JSON.stringify({ rules: [...this.rules.values()], resources: [...this.resources.values()] }, null, 1));
      renameSync(tmp, this.file);
    } catch (e) {
      this.onError(`cannot save ${this.file}: ${(e as Error).message}`);
    }
  }
}

/** a cluster table row: `rule:...` or `resource:...` → its JSON */
export function rowOf(kind: 'rule' | 'resource', def: RuleDef | ResourceDef): string {
  return JSON.stringify({ kind, def });
}

export function parseRow(json: string): { kind: 'rule' | 'resource'; def: RuleDef | ResourceDef } | undefined {
  try {
    const v = JSON.parse(json) as { kind?: string; def?: { id?: unknown } };
    if ((v.kind === 'rule' || v.kind === 'resource') && typeof v.def?.id === 'string') return v as { kind: 'rule' | 'resource'; def: RuleDef | ResourceDef };
  } catch {
    // a bad row is skipped
  }
  return undefined;
}
