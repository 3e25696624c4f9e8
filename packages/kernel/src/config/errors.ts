/**
 * Every problem found while loading a configuration, reported together.
 * Each entry of `problems` reads `<where>: <key>: <what is wrong>`, where
 * `<where>` is `file:line`, `env EMQX_…` or `override`.
 */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: readonly string[]) {
    const list = [...problems];
    super(
      list.length === 1
        ? (list[0] ?? 'invalid configuration')
        : `${list.length} configuration problems:\n  ${list.join('\n  ')}`,
    );
    this.name = 'ConfigError';
    this.problems = list;
  }
}
