// The parsed rule SQL.

/** one step of a path: `.key` or `[index]` (1-based, negative from the end) */
export type Step = { key: string } | { index: Expr };

export type Expr =
  | { t: 'const'; v: unknown }
  | { t: 'path'; steps: Step[] }
  | { t: 'op'; op: string; l: Expr; r: Expr }
  | { t: 'and' | 'or'; l: Expr; r: Expr }
  | { t: 'not'; e: Expr }
  | { t: 'neg'; e: Expr }
  | { t: 'in'; e: Expr; list: Expr[]; not: boolean }
  | { t: 'fun'; name: string; args: Expr[] }
  | { t: 'list'; items: Expr[] }
  | { t: 'range'; from: number; to: number }
  | { t: 'case'; on: Expr | undefined; whens: Array<[Expr, Expr]>; else: Expr | undefined };

/** a SELECT / FOREACH / DO field: `*`, or an expression with an optional `AS` path */
export type Field = { all: true } | { all: false; e: Expr; as: string[] | undefined };

export interface Select {
  foreach: boolean;
  fields: Field[];
  /** FOREACH ... DO fields (empty: each item as it is) */
  doeach: Field[];
  /** FOREACH ... INCASE condition */
  incase: Expr | undefined;
  from: string[];
  where: Expr | undefined;
}
