// The MongoDB side: one MongoClient (the driver keeps its own pool and reconnects by itself),
// findOne / find with a per-query time limit.
import { MongoClient, type Db as MongoDb, type Document, type Filter } from 'mongodb';
import type { ClientSettings } from './options.js';

export class QueryTimeout extends Error {}

/** what auth/ACL need from the database; tests can hand in a fake */
export interface Finder {
  findOne(collection: string, filter: Filter<Document>, fields?: readonly string[]): Promise<Document | null>;
  find(collection: string, filter: Filter<Document>): Promise<Document[]>;
}

export class Db implements Finder {
  private readonly client: MongoClient;
  private readonly db: MongoDb;
  private readonly timeout: number;

  constructor(s: ClientSettings) {
    this.client = new MongoClient(s.uri, s.options);
    this.db = this.client.db(s.database);
    this.timeout = s.queryTimeout;
  }

  async open(): Promise<void> {
    await this.limit(this.client.connect());
  }

  findOne(collection: string, filter: Filter<Document>, fields?: readonly string[]): Promise<Document | null> {
    const projection = fields ? Object.fromEntries(fields.map((f) => [f, 1])) : undefined;
    return this.limit(this.db.collection(collection).findOne(filter, { maxTimeMS: this.timeout, ...(projection ? { projection } : {}) }));
  }

  find(collection: string, filter: Filter<Document>): Promise<Document[]> {
    return this.limit(this.db.collection(collection).find(filter, { maxTimeMS: this.timeout }).limit(1000).toArray());
  }

  async close(): Promise<void> {
    await this.client.close(true).catch(() => undefined);
  }

  /** the driver bounds server selection, the server bounds the query (maxTimeMS); this bounds the rest */
  private limit<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueryTimeout(`no answer within ${this.timeout} ms`)), this.timeout);
    });
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
  }
}
