// Coded plugin errors. `code` is what EMQX prints after "error:" (emqx_ctl plugins …).
export type PluginErrorCode =
  | 'not_found' // no such plugin installed
  | 'already_started'
  | 'not_started'
  | 'bad_config' // etc/plugins/<name>.conf does not match the schema
  | 'bad_plugin' // the module does not export a plugin
  | 'incompatible' // the kernel version is outside the manifest's `broker` range, or the SDK outside the package's
  | 'missing_dependency'
  | 'required_by' // another loaded plugin depends on it
  | 'start_failed'
  | 'start_timeout'
  | 'cannot_unload';

export class PluginError extends Error {
  constructor(readonly code: PluginErrorCode, readonly plugin: string, readonly detail: string) {
    super(`${plugin}: ${code}: ${detail}`);
    this.name = 'PluginError';
  }

  /** `err` as a PluginError (its own code, or `code`) with `note` added to its detail */
  static wrap(err: unknown, code: PluginErrorCode, plugin: string, note: string): PluginError {
    if (err instanceof PluginError) return new PluginError(err.code, plugin, `${err.detail}; ${note}`);
    return new PluginError(code, plugin, `${(err as Error)?.message ?? String(err)}; ${note}`);
  }
}
