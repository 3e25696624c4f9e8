// The built Config is read-only all the way down.

/** Read-only Map: set/delete/clear throw once sealed. */
export class FrozenMap<K, V> extends Map<K, V> {
  #sealed = false;
  seal(): this {
    this.#sealed = true;
    return Object.freeze(this);
  }
  override set(key: K, value: V): this {
    if (this.#sealed) throw new TypeError('configuration is read-only');
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    if (this.#sealed) throw new TypeError('configuration is read-only');
    return super.delete(key);
  }
  override clear(): void {
    if (this.#sealed) throw new TypeError('configuration is read-only');
    super.clear();
  }
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Map) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
