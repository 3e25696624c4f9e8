// The rule engine's action and resource-type registry (emqx_rule_engine). Any plugin adds an
// action (`data_to_kafka`, `data_to_rabbit`, ...) or a resource type (a connection pool the
// actions share) here; the rule engine lists them in `emqx_ctl rule-actions list` and the API,
// and rules use them by name. What a plugin adds goes away with the function returned.

/** a selected row or the event's columns */
export type RuleRow = Record<string, unknown>;

/** an EMQX param spec: `{ type, required, default, title: { en }, description: { en } }` per key */
export type ParamsSpec = Record<string, Record<string, unknown>>;

export interface Text {
  en: string;
  zh?: string;
}

/**
 * Runs for each result of a rule: `selected` is what the SQL selected, `envs` the event's
 * columns (plus `metadata.rule_id`). Return normally (or a promise that resolves) for
 * success; throw (or reject) for failure. Runs on the message path: do not block; queue.
 */
export type RuleActionFn = (selected: RuleRow, envs: RuleRow) => void | Promise<unknown>;

export interface ActionCreateContext {
  /** this action instance's id (`<name>_<8 hex>`) */
  readonly id: string;
  readonly ruleId: string;
  /** the `$resource` param's resource state, as its type's create() returned it */
  readonly resource: unknown;
  /** publish a message (what `republish` uses) */
  publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1 | 2; retain: boolean; from: string }): void;
  readonly logger: { info(m: string): void; warning(m: string): void; error(m: string): void };
}

export interface RuleActionSpec {
  readonly name: string;
  /** the plugin that provides it */
  readonly app: string;
  readonly category?: string;
  /** the event it applies to; `$any` for all */
  readonly for?: string;
  /** resource types it needs (`$resource` param); [] for none */
  readonly types: readonly string[];
  readonly params: ParamsSpec;
  readonly title: Text;
  readonly description: Text;
  /** once per rule action: checks params and returns the function run for each result */
  create(params: RuleRow, ctx: ActionCreateContext): RuleActionFn | Promise<RuleActionFn>;
  /** when the rule is deleted or changed */
  destroy?(fn: RuleActionFn): void;
}

export interface ResourceTypeSpec {
  readonly name: string;
  readonly provider: string;
  readonly params: ParamsSpec;
  readonly title: Text;
  readonly description: Text;
  /** opens the resource (a pool, a client); throws when it cannot */
  create(id: string, config: RuleRow): unknown | Promise<unknown>;
  destroy?(state: unknown): void | Promise<void>;
  /** `is_alive` for `resources show` and `/resource_status` */
  status?(state: unknown): boolean | Promise<boolean>;
}

export interface RuleRegistry {
  addAction(spec: RuleActionSpec): () => void;
  addResourceType(spec: ResourceTypeSpec): () => void;
  actions(): RuleActionSpec[];
  resourceTypes(): ResourceTypeSpec[];
  /** called when actions or resource types change (the rule engine listens) */
  onChange(fn: () => void): () => void;
}

const KEY = Symbol.for('nemq.rule_engine.registry');

function makeRegistry(): RuleRegistry {
  const actions = new Map<string, RuleActionSpec[]>();
  const types = new Map<string, ResourceTypeSpec[]>();
  const listeners = new Set<() => void>();
  const changed = (): void => { for (const l of listeners) l(); };
  // the latest added of a name wins; removing it brings the previous one back
  function add<T>(m: Map<string, T[]>, name: string, v: T): () => void {
    const list = m.get(name) ?? [];
    list.push(v);
    m.set(name, list);
    changed();
    return () => {
      const i = list.indexOf(v);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) m.delete(name);
      changed();
    };
  }
  const top = <T>(m: Map<string, T[]>): T[] => [...m.values()].map((l) => l[l.length - 1]!);
  return {
    addAction: (spec) => add(actions, spec.name, spec),
    addResourceType: (spec) => add(types, spec.name, spec),
    actions: () => top(actions),
    resourceTypes: () => top(types),
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

/** the process's one registry (shared by every plugin, whichever copy of the SDK it loaded) */
export function ruleRegistry(): RuleRegistry {
  const g = globalThis as { [KEY]?: RuleRegistry };
  return (g[KEY] ??= makeRegistry());
}
