/**
 * A canonical printer for node-sql-parser expression trees. Both sides of a
 * comparison go through it, so spelling differences that do not change
 * meaning (case of keywords and functions, quoting, redundant parentheses,
 * spacing) vanish; MariaDB's own rewriting in SHOW CREATE TABLE is mostly of
 * that kind. Unknown node types fall back to node-sql-parser's printer.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
export type Expr = any;

const PRECEDENCE: Record<string, number> = {
  "OR": 1,
  "||": 1,
  "XOR": 2,
  "AND": 3,
  "&&": 3,
  "BETWEEN": 5,
  "NOT BETWEEN": 5,
  "=": 6,
  "<=>": 6,
  ">=": 6,
  ">": 6,
  "<=": 6,
  "<": 6,
  "<>": 6,
  "!=": 6,
  "IS": 6,
  "IS NOT": 6,
  "LIKE": 6,
  "NOT LIKE": 6,
  "REGEXP": 6,
  "NOT REGEXP": 6,
  "RLIKE": 6,
  "IN": 6,
  "NOT IN": 6,
  "|": 7,
  "&": 8,
  "<<": 9,
  ">>": 9,
  "+": 10,
  "-": 10,
  "*": 11,
  "/": 11,
  "DIV": 11,
  "%": 11,
  "MOD": 11,
  "^": 12,
};

/**
 * The value of a string literal as node-sql-parser reports it, which is the
 * raw text between the quotes: doubled quotes (and, in MySQL, backslash
 * escapes) are undone here.
 */
export function unescapeString(raw: string, backslashes = true): string {
  let s = raw.replaceAll("''", "'");
  if (backslashes) {
    s = s.replace(
      /\\(.)/g,
      (_m, c: string) => ({ n: "\n", t: "\t", r: "\r", "0": "\0" } as Record<string, string>)[c] ?? c,
    );
  }
  return s;
}

function nameOf(node: Expr): string {
  if (typeof node === "string") return node;
  if (node?.name && Array.isArray(node.name)) return node.name.map((n: Expr) => n.value).join(".");
  if (node?.value !== undefined) return String(node.value);
  return String(node);
}

function columnName(col: Expr): string {
  if (typeof col === "string") return col;
  if (col?.expr?.value !== undefined) return String(col.expr.value);
  return String(col?.value ?? col);
}

/** How {@linkcode printExpr} writes names and literals: each dialect passes its own quoting helpers. */
export interface PrintExprOptions {
  /** Fallback printer for node types this module does not know. */
  fallback?: ((node: Expr) => string) | undefined;
  quoteIdent: (name: string) => string;
  quoteString: (value: string) => string;
  /** Whether the parser's raw string text holds backslash escapes (MySQL). */
  backslashes: boolean;
  /** Function names the server stores under another name (MariaDB: `ucase` for `upper`), lower-case. */
  functionNames?: Record<string, string> | undefined;
}

/** Prints an expression canonically (see the module doc). */
export function printExpr(node: Expr, options: PrintExprOptions): string {
  return print(node, 0, options);
}

function precOf(node: Expr): number {
  if (node?.type === "binary_expr") return PRECEDENCE[String(node.operator).toUpperCase()] ?? 6;
  if (node?.type === "unary_expr") return String(node.operator).toUpperCase() === "NOT" ? 4 : 13;
  return 100;
}

function wrap(text: string, inner: number, outer: number): string {
  return inner < outer ? `(${text})` : text;
}

function print(node: Expr, outer: number, o: PrintExprOptions): string {
  if (node === null || node === undefined) return "NULL";
  switch (node.type) {
    case "number":
      return String(node.value);
    case "single_quote_string":
    case "double_quote_string":
    case "string":
    case "natural_string":
      return o.quoteString(unescapeString(String(node.value), o.backslashes));
    case "backticks_quote_string":
      return o.quoteIdent(String(node.value));
    case "bool":
    case "boolean":
      return node.value ? "1" : "0";
    case "null":
      return "NULL";
    case "bit_string":
      return `b'${node.value}'`;
    case "hex_string":
    case "full_hex_string":
      return `x'${node.value}'`;
    case "star":
      return "*";
    case "column_ref": {
      const col = columnName(node.column);
      if (col === "*") return "*";
      const table = node.table ? (typeof node.table === "string" ? node.table : node.table.value) : undefined;
      return table ? `${o.quoteIdent(table)}.${o.quoteIdent(col)}` : o.quoteIdent(col);
    }
    case "expr_list":
      return `(${(node.value as Expr[]).map((v) => print(v, 0, o)).join(",")})`;
    case "binary_expr": {
      // MariaDB stores `%` as MOD; both compare as `%`.
      const op = String(node.operator).toUpperCase() === "MOD" ? "%" : String(node.operator).toUpperCase();
      const p = precOf(node);
      if (op === "BETWEEN" || op === "NOT BETWEEN") {
        const [lo, hi] = node.right.value;
        return wrap(
          `${print(node.left, p + 1, o)} ${op.toLowerCase()} ${print(lo, p + 1, o)} and ${print(hi, p + 1, o)}`,
          p,
          outer,
        );
      }
      const right = node.right?.type === "expr_list" ? print(node.right, 0, o) : print(node.right, p + 1, o);
      const opText = /^[A-Z ]+$/.test(op) ? op.toLowerCase() : op;
      return wrap(`${print(node.left, p, o)} ${opText} ${right}`, p, outer);
    }
    case "unary_expr": {
      const op = String(node.operator).toUpperCase();
      const p = precOf(node);
      return wrap(op === "NOT" ? `!${print(node.expr, p, o)}` : `${op}${print(node.expr, p, o)}`, p, outer);
    }
    case "function": {
      const written = nameOf(node.name).toLowerCase();
      const name = o.functionNames?.[written] ?? written;
      const args = (node.args?.value ?? []) as Expr[];
      return `${name}(${args.map((a) => print(a, 0, o)).join(",")})`;
    }
    case "aggr_func": {
      const name = String(node.name).toLowerCase();
      const inner = node.args?.expr ? print(node.args.expr, 0, o) : "";
      const distinct = node.args?.distinct ? "distinct " : "";
      return `${name}(${distinct}${inner})`;
    }
    case "case": {
      const parts = ["case"];
      if (node.expr) parts.push(print(node.expr, 0, o));
      for (const a of node.args as Expr[]) {
        if (a.type === "when") parts.push(`when ${print(a.cond, 0, o)} then ${print(a.result, 0, o)}`);
        else parts.push(`else ${print(a.result, 0, o)}`);
      }
      parts.push("end");
      return parts.join(" ");
    }
    case "cast": {
      const t = node.target?.[0] ?? {};
      const len = t.length !== undefined && t.length !== null ? `(${t.length}${t.scale ? `,${t.scale}` : ""})` : "";
      return `cast(${print(node.expr, 0, o)} as ${String(t.dataType ?? "").toLowerCase()}${len})`;
    }
    case "interval":
      return `interval ${print(node.expr, 0, o)} ${String(node.unit).toLowerCase()}`;
    default:
      if (o.fallback) return o.fallback(node);
      throw new Error(`unsupported expression node "${node.type}"`);
  }
}
