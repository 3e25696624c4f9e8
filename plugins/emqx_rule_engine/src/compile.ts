// Compiles a parsed rule into closures, once: each expression becomes a function of the
// Scope, names are resolved at compile time (an AS alias is read from the selected values,
// anything else straight from the event's columns) and `payload.<path>` reads the payload
// decoded once per event. Running a rule is then just calling the closures.
import type { Expr, Field, Select, Step } from './ast.js';
import { FUNCS } from './funcs.js';
import { SqlError } from './lexer.js';
import { parseSql } from './parser.js';
import { EventData, Scope } from './scope.js';
import { arith, eq, order, plain, plus, putPath, step, toNum, topicMatch, type Row } from './values.js';

export type Eval = (s: Scope) => unknown;

/** a compiled rule SQL: `run` gives the selected row (FOREACH: rows), or undefined when WHERE says no */
export interface CompiledSql {
  readonly select: Select;
  readonly from: readonly string[];
  run(ev: EventData, ruleId: string): Row | Row[] | undefined;
}

/** the top-level names any AS (or un-aliased path) of the SQL defines */
function aliasNames(sel: Select): Set<string> {
  const names = new Set<string>();
  for (const f of [...sel.fields, ...sel.doeach]) {
    if (f.all) continue;
    if (f.as) names.add(f.as[0]!);
  }
  return names;
}

class Compiler {
  constructor(private readonly aliases: Set<string>) {}

  expr(e: Expr): Eval {
    switch (e.t) {
      case 'const': {
        const v = e.v;
        return () => v;
      }
      case 'path': return this.path(e.steps);
      case 'and': {
        const l = this.expr(e.l);
        const r = this.expr(e.r);
        return (s) => l(s) === true && r(s) === true;
      }
      case 'or': {
        const l = this.expr(e.l);
        const r = this.expr(e.r);
        return (s) => l(s) === true || r(s) === true;
      }
      case 'not': {
        const x = this.expr(e.e);
        return (s) => x(s) === false;
      }
      case 'neg': {
        const x = this.expr(e.e);
        return (s) => -toNum(x(s));
      }
      case 'in': {
        const x = this.expr(e.e);
        const items = e.list.map((i) => this.expr(i));
        const neg = e.not;
        return (s) => {
          const v = x(s);
          for (const i of items) if (eq(v, i(s))) return !neg;
          return neg;
        };
      }
      case 'op': return this.op(e.op, this.expr(e.l), this.expr(e.r));
      case 'fun': {
        const fn = FUNCS[e.name];
        if (fn === undefined) throw new SqlError(`unknown function: ${e.name}`);
        const args = e.args.map((a) => this.expr(a));
        if (args.length === 0) return (s) => fn([], s);
        if (args.length === 1) {
          const a0 = args[0]!;
          return (s) => fn([a0(s)], s);
        }
        return (s) => fn(args.map((a) => a(s)), s);
      }
      case 'list': {
        const items = e.items.map((i) => this.expr(i));
        return (s) => items.map((i) => i(s));
      }
      case 'range': {
        const out: number[] = [];
        for (let i = e.from; i <= e.to; i++) out.push(i);
        return () => out.slice();
      }
      case 'case': {
        const on = e.on ? this.expr(e.on) : undefined;
        const whens = e.whens.map(([c, v]) => [this.expr(c), this.expr(v)] as const);
        const els = e.else ? this.expr(e.else) : undefined;
        return (s) => {
          const subject = on ? on(s) : undefined;
          for (const [c, v] of whens) {
            if (on ? eq(subject, c(s)) : c(s) === true) return v(s);
          }
          return els ? els(s) : undefined;
        };
      }
    }
  }

  private op(op: string, l: Eval, r: Eval): Eval {
    switch (op) {
      case '=': return (s) => eq(l(s), r(s));
      case '!=':
      case '<>': return (s) => !eq(l(s), r(s));
      case '>': return (s) => {
        const a = l(s);
        const b = r(s);
        return typeof a === 'number' && typeof b === 'number' ? a > b : order('>', a, b);
      };
      case '<': return (s) => {
        const a = l(s);
        const b = r(s);
        return typeof a === 'number' && typeof b === 'number' ? a < b : order('<', a, b);
      };
      case '>=': return (s) => order('>=', l(s), r(s));
      case '<=': return (s) => order('<=', l(s), r(s));
      case '=~': return (s) => topicMatch(l(s), r(s));
      case '+': return (s) => plus(l(s), r(s));
      default: return (s) => arith(op, l(s), r(s));
    }
  }

  /** `name.key[index]...`: where the first name comes from is decided here, once */
  private path(steps: Step[]): Eval {
    const first = (steps[0] as { key: string }).key;
    const rest = steps.slice(1).map((st) => ('key' in st ? st.key : this.expr(st.index)));
    let base: Eval;
    if (this.aliases.has(first)) {
      base = (s) => {
        const sel = s.sel;
        return sel !== undefined && first in sel ? sel[first] : s.cols[first];
      };
    } else if (first === 'payload' && rest.length > 0) {
      base = (s) => s.ev.payload();
    } else if (first === 'metadata') {
      base = (s) => s.cols.metadata ?? { rule_id: s.ruleId };
    } else {
      base = (s) => s.cols[first];
    }
    if (rest.length === 0) return base;
    if (rest.length === 1 && typeof rest[0] === 'string') {
      const k = rest[0];
      return (s) => step(base(s), k);
    }
    if (rest.length === 2 && typeof rest[0] === 'string' && typeof rest[1] === 'string') {
      const [k1, k2] = rest as [string, string];
      return (s) => step(step(base(s), k1), k2);
    }
    return (s) => {
      let v = base(s);
      for (const k of rest) {
        if (typeof k === 'string') v = step(v, k);
        else {
          const i = k(s);
          v = step(v, typeof i === 'number' ? i : toNum(i));
        }
      }
      return v;
    };
  }

  /** a field list: returns the selected row; aliases become visible to later fields */
  fields(fields: Field[]): (s: Scope) => Row {
    const parts = fields.map((f) => this.field(f));
    return (s) => {
      const out: Row = {};
      s.sel = out;
      for (const p of parts) p(s, out);
      return out;
    };
  }

  private field(f: Field): (s: Scope, out: Row) => void {
    if (f.all) return (s, out) => { Object.assign(out, plain(s.cols)); };
    const ev = this.expr(f.e);
    const key = f.as ?? keyOf(f.e);
    if (key.length === 1) {
      const k = key[0]!;
      return (s, out) => { out[k] = ev(s); };
    }
    return (s, out) => putPath(out, key, ev(s));
  }
}

/** the key an un-aliased field is selected as (EMQX: the path, the text, or a made-up name) */
function keyOf(e: Expr): string[] {
  if (e.t === 'path') return e.steps.map((st) => ('key' in st ? st.key : String((st.index as { v?: unknown }).v ?? 'index')));
  if (e.t === 'const' && typeof e.v === 'string') return [e.v];
  if (e.t === 'fun') return [`${e.name}()`];
  return [`_v_${e.t}`];
}

export function compileSql(sql: string): CompiledSql {
  const select = parseSql(sql);
  if (select.from.length === 0) throw new SqlError('FROM needs a topic');
  const c = new Compiler(aliasNames(select));
  const where = select.where ? c.expr(select.where) : undefined;
  if (!select.foreach) {
    const fields = c.fields(select.fields);
    return {
      select,
      from: select.from,
      run(ev, ruleId) {
        const s = new Scope(ev, ev.cols, ruleId);
        const out = fields(s);
        return where === undefined || where(s) === true ? out : undefined;
      },
    };
  }
  // FOREACH: the last field is the collection; the others are selected as in SELECT
  const last = select.fields[select.fields.length - 1]!;
  if (last.all) throw new SqlError('FOREACH needs an array expression last');
  const head = c.fields(select.fields.slice(0, -1));
  const coll = c.expr(last.e);
  const itemKey = last.as ? last.as[last.as.length - 1]! : 'item';
  const incase = select.incase ? c.expr(select.incase) : undefined;
  const doeach = select.doeach.length > 0 ? c.fields(select.doeach) : undefined;
  return {
    select,
    from: select.from,
    run(ev, ruleId) {
      const s = new Scope(ev, ev.cols, ruleId);
      const selected = head(s);
      let items = coll(s);
      if (typeof items === 'string') items = tryArray(items);
      selected[itemKey] = items;
      if (where !== undefined && where(s) !== true) return undefined;
      const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
      const rows: Row[] = [];
      for (const item of list) {
        const cols = { ...plain(ev.cols), [itemKey]: item };
        const is = new Scope(ev, cols, ruleId);
        if (incase !== undefined && incase(is) !== true) continue;
        rows.push(doeach ? doeach(is) : cols);
      }
      return rows;
    },
  };
}

function tryArray(s: string): unknown {
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) ? v : [s];
  } catch {
    return [s];
  }
}
