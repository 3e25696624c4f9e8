// Recursive-descent parser of EMQX 4.x rule SQL:
//   SELECT <fields> FROM "<filter>"[, ...] [WHERE <cond>]
//   FOREACH <fields> [DO <fields>] [INCASE <cond>] FROM "<filter>"[, ...] [WHERE <cond>]
// Precedence, lowest first: OR, AND, NOT, comparisons and IN, + -, * / div mod, unary -.
import type { Expr, Field, Select, Step } from './ast.js';
import { SqlError, tokenize, type Token } from './lexer.js';

const COMPARE = new Set(['=', '!=', '<>', '>', '<', '>=', '<=', '=~']);

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }
  private isKw(kw: string): boolean {
    const t = this.peek();
    return t.kind === 'kw' && t.text === kw;
  }
  private isOp(op: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === op;
  }
  private eatKw(kw: string): boolean {
    if (!this.isKw(kw)) return false;
    this.i++;
    return true;
  }
  private eatOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }
  private fail(what: string): never {
    const t = this.peek();
    throw new SqlError(`expected ${what} at ${t.pos}, found ${t.kind === 'eof' ? 'end of SQL' : `'${t.text}'`}`);
  }
  private expectKw(kw: string): void {
    if (!this.eatKw(kw)) this.fail(kw);
  }
  private expectOp(op: string): void {
    if (!this.eatOp(op)) this.fail(`'${op}'`);
  }

  select(): Select {
    let foreach = false;
    if (this.eatKw('FOREACH')) foreach = true;
    else this.expectKw('SELECT');
    const fields = this.fields();
    let doeach: Field[] = [];
    let incase: Expr | undefined;
    if (foreach) {
      if (this.eatKw('DO')) doeach = this.fields();
      if (this.eatKw('INCASE')) incase = this.expr();
    }
    this.expectKw('FROM');
    const from: string[] = [];
    do {
      const t = this.next();
      if (t.kind !== 'str') { this.i--; this.fail('a quoted topic filter'); }
      from.push(t.text);
    } while (this.eatOp(','));
    const where = this.eatKw('WHERE') ? this.expr() : undefined;
    if (this.peek().kind !== 'eof') this.fail('end of SQL');
    return { foreach, fields, doeach, incase, from, where };
  }

  private fields(): Field[] {
    const out: Field[] = [];
    do {
      if (this.eatOp('*')) { out.push({ all: true }); continue; }
      const e = this.expr();
      let as: string[] | undefined;
      if (this.eatKw('AS')) {
        as = [this.name()];
        while (this.eatOp('.')) as.push(this.name());
      }
      out.push({ all: false, e, as });
    } while (this.eatOp(','));
    return out;
  }

  private name(): string {
    const t = this.next();
    if (t.kind === 'id' || t.kind === 'str') return t.text;
    // keywords may be keys after a dot (payload.end)
    if (t.kind === 'kw') return t.text.toLowerCase();
    this.i--;
    return this.fail('a name');
  }

  expr(): Expr {
    let l = this.and();
    while (this.eatKw('OR')) l = { t: 'or', l, r: this.and() };
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.eatKw('AND')) l = { t: 'and', l, r: this.not() };
    return l;
  }
  private not(): Expr {
    if (this.eatKw('NOT')) return { t: 'not', e: this.not() };
    return this.compare();
  }
  private compare(): Expr {
    const l = this.additive();
    const t = this.peek();
    if (t.kind === 'op' && COMPARE.has(t.text)) {
      this.i++;
      return { t: 'op', op: t.text, l, r: this.additive() };
    }
    let neg = false;
    if (this.isKw('NOT') && this.toks[this.i + 1]?.text === 'IN') { this.i++; neg = true; }
    if (this.eatKw('IN')) {
      this.expectOp('(');
      const list: Expr[] = [];
      if (!this.isOp(')')) {
        do list.push(this.expr()); while (this.eatOp(','));
      }
      this.expectOp(')');
      return { t: 'in', e: l, list, not: neg };
    }
    return l;
  }
  private additive(): Expr {
    let l = this.term();
    for (;;) {
      if (this.eatOp('+')) l = { t: 'op', op: '+', l, r: this.term() };
      else if (this.eatOp('-')) l = { t: 'op', op: '-', l, r: this.term() };
      else return l;
    }
  }
  private term(): Expr {
    let l = this.unary();
    for (;;) {
      if (this.eatOp('*')) l = { t: 'op', op: '*', l, r: this.unary() };
      else if (this.eatOp('/')) l = { t: 'op', op: '/', l, r: this.unary() };
      else if (this.eatKw('DIV')) l = { t: 'op', op: 'div', l, r: this.unary() };
      else if (this.eatKw('MOD')) l = { t: 'op', op: 'mod', l, r: this.unary() };
      else return l;
    }
  }
  private unary(): Expr {
    if (this.eatOp('-')) {
      const e = this.unary();
      return e.t === 'const' && typeof e.v === 'number' ? { t: 'const', v: -e.v } : { t: 'neg', e };
    }
    if (this.eatOp('+')) return this.unary();
    return this.postfix(this.primary());
  }

  /** `[index]` and `.key` after a value: a path when the value is one, else indexing of the value */
  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.') && e.t === 'path') {
        this.i++;
        e.steps.push({ key: this.name() });
      } else if (this.isOp('[') && e.t === 'path') {
        this.i++;
        e.steps.push({ index: this.expr() });
        this.expectOp(']');
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'num': return { t: 'const', v: t.num };
      case 'str': return { t: 'const', v: t.text };
      case 'kw':
        if (t.text === 'TRUE') return { t: 'const', v: true };
        if (t.text === 'FALSE') return { t: 'const', v: false };
        if (t.text === 'CASE') return this.caseExpr();
        break;
      case 'id':
        if (this.eatOp('(')) {
          const args: Expr[] = [];
          if (!this.isOp(')')) {
            do args.push(this.expr()); while (this.eatOp(','));
          }
          this.expectOp(')');
          return { t: 'fun', name: t.text.toLowerCase(), args };
        }
        return { t: 'path', steps: [{ key: t.text }] as Step[] };
      case 'op':
        if (t.text === '(') {
          const e = this.expr();
          this.expectOp(')');
          return e;
        }
        if (t.text === '[') return this.listOrRange();
        break;
      default:
    }
    this.i--;
    return this.fail('a value');
  }

  private listOrRange(): Expr {
    const items: Expr[] = [];
    if (this.eatOp(']')) return { t: 'list', items };
    const first = this.expr();
    if (this.eatOp('..')) {
      const to = this.expr();
      this.expectOp(']');
      if (first.t !== 'const' || to.t !== 'const' || typeof first.v !== 'number' || typeof to.v !== 'number') {
        throw new SqlError('a range [a..b] takes two integers');
      }
      return { t: 'range', from: first.v, to: to.v };
    }
    items.push(first);
    while (this.eatOp(',')) items.push(this.expr());
    this.expectOp(']');
    return { t: 'list', items };
  }

  private caseExpr(): Expr {
    const on = this.isKw('WHEN') ? undefined : this.expr();
    const whens: Array<[Expr, Expr]> = [];
    while (this.eatKw('WHEN')) {
      const c = this.expr();
      this.expectKw('THEN');
      whens.push([c, this.expr()]);
    }
    if (whens.length === 0) this.fail('WHEN');
    const els = this.eatKw('ELSE') ? this.expr() : undefined;
    this.expectKw('END');
    return { t: 'case', on, whens, else: els };
  }
}

/** parses a rule's SQL; throws SqlError with the position of what is wrong */
export function parseSql(sql: string): Select {
  return new Parser(tokenize(sql)).select();
}
