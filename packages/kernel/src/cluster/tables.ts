// Tables every node keeps a whole copy of (EMQX's replicated Mnesia tables): rows in the
// Redis hash `table:<name>`, each change announced on the event stream by its key; a peer
// reads the row and hands it to its handler. Joining merges ours in, then loads them all.
import type { ClusterTable, ClusterTableHandler } from '@nemq/sdk';
import type { PluginTables } from '../ports.js';
import type { Store } from './store.js';

interface Entry {
  owner: string;
  handler: ClusterTableHandler;
}

export interface TablesHost {
  readonly self: string;
  readonly member: boolean;
  readonly store: Store;
  nodes(): string[];
  stopped(): string[];
  log(line: string): void;
}

export class Tables implements PluginTables {
  private readonly tables = new Map<string, Entry>();

  constructor(private readonly h: TablesHost) {}

  nodes(): string[] {
    return this.h.nodes();
  }

  stoppedNodes(): string[] {
    return this.h.stopped();
  }

  table(owner: string, name: string, handler: ClusterTableHandler): ClusterTable {
    this.tables.set(name, { owner, handler });
    // loaded while already in a cluster: take the cluster's rows now
    if (this.h.member) void this.merge(name).catch((e: Error) => this.h.log(`table ${name}: ${e.message}`));
    const write = (op: Promise<unknown>): void => {
      op.catch((e: Error) => this.h.log(`table ${name}: ${e.message} (written again when Redis is back)`));
    };
    return {
      set: (key, value) => {
        if (this.h.member && this.tables.get(name)?.handler === handler) write(this.h.store.tableSet(this.h.self, name, key, value));
      },
      delete: (key) => {
        if (this.h.member && this.tables.get(name)?.handler === handler) write(this.h.store.tableDelete(this.h.self, name, key));
      },
    };
  }

  removeOwner(owner: string): void {
    for (const [name, e] of [...this.tables]) if (e.owner === owner) this.tables.delete(name);
  }

  /** ours in (the cluster's row wins), then all of them out to the handler */
  async merge(name: string): Promise<void> {
    const e = this.tables.get(name);
    if (!e) return;
    await this.h.store.tableMerge(this.h.self, name, e.handler.rows());
    const rows = await this.h.store.tableAll(name);
    if (this.tables.get(name) === e) e.handler.loaded(rows);
  }

  async mergeAll(): Promise<void> {
    for (const name of [...this.tables.keys()]) await this.merge(name);
  }

  /** a peer's change, from the event stream */
  async changed(name: string, key: string): Promise<void> {
    const e = this.tables.get(name);
    if (!e) return;
    const v = await this.h.store.tableGet(name, key);
    e.handler.changed(key, v ?? undefined);
  }
}

/** one node, no cluster: the plugin's own data is all there is */
export function noTables(self: string): PluginTables {
  return {
    nodes: () => [self],
    stoppedNodes: () => [],
    table: () => ({ set: () => undefined, delete: () => undefined }),
    removeOwner: () => undefined,
  };
}
