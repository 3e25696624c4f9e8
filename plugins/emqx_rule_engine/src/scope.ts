// What one rule run reads: the event's columns, the values selected so far, and the payload
// decoded from JSON once (on first use) for every rule that reads into it.
import { maybeJson, type Row } from './values.js';

const UNSET = Symbol('unset');

/** per event: the columns and the lazily decoded payload, shared by the rules it runs */
export class EventData {
  private json: unknown = UNSET;
  constructor(readonly cols: Row) {}
  payload(): unknown {
    if (this.json === UNSET) this.json = maybeJson(this.cols.payload);
    return this.json;
  }
}

/** per rule run */
export class Scope {
  /** values selected so far (AS aliases), read before the columns */
  sel: Row | undefined = undefined;
  constructor(readonly ev: EventData, readonly cols: Row, readonly ruleId: string) {}
}
