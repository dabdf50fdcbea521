/**
 * Helpers the dialect parsers share: identifiers out of node-sql-parser
 * nodes, the items of a CREATE TABLE body with their lines, and the
 * `@renamed` annotation that belongs to a line range.
 *
 * @module
 */

import type { Expr } from "./expr.ts";
import type { Table } from "./model.ts";
import type { Annotation, Statement } from "./split.ts";

/** The name an identifier-like node stands for. */
export function identOf(v: Expr): string {
  if (typeof v === "string") return v;
  if (v?.expr?.value !== undefined) return String(v.expr.value);
  if (v?.value !== undefined && typeof v.value !== "object") return String(v.value);
  if (v?.column !== undefined) return identOf(v.column);
  if (v?.table !== undefined) return identOf(v.table);
  if (v?.name !== undefined) return identOf(v.name);
  return String(v);
}

/** The annotation whose line falls in `start..end`, if any. */
export function renameFor(annotations: Annotation[], start: number, end: number): string | undefined {
  return annotations.find((a) => a.line >= start && a.line <= end)?.from;
}

/** How {@linkcode topLevelItems} reads quotes. */
export interface ScanOptions {
  /** Backslash escapes inside strings (MySQL). @default false */
  backslashEscapes?: boolean;
  /** `[name]` quotes identifiers (SQLite, SQL Server style). @default false */
  brackets?: boolean;
}

/**
 * Splits `text` from `from` at the commas outside quotes and parentheses,
 * up to the `)` that closes the parenthesis `from` lies in (or the end of
 * the text). Returns each item's `[start, end)` (the last one reaching to
 * where the scan stopped), where it stopped, and whether a `)` stopped it.
 */
export function topLevelItems(
  text: string,
  from: number,
  options?: ScanOptions,
): { items: [number, number][]; end: number; closed: boolean } {
  const items: [number, number][] = [];
  let depth = 0;
  let start = from;
  let quote = "";
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && options?.backslashEscapes && quote !== "`") i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "[" && options?.brackets) quote = "]";
    else if (c === "(") depth++;
    else if (c === ")" && --depth < 0) {
      items.push([start, i]);
      return { items, end: i, closed: true };
    } else if (c === "," && depth === 0) {
      items.push([start, i]);
      start = i + 1;
    }
  }
  items.push([start, text.length]);
  return { items, end: text.length, closed: false };
}

/** Options of {@linkcode bodyItems}. */
export interface BodyItemsOptions {
  /** Backslash escapes inside strings (MySQL). @default false */
  backslashEscapes?: boolean;
}

/**
 * First and last line of each top-level item of a CREATE TABLE body, in
 * order, so that annotations and errors can name lines.
 */
export function bodyItems(stmt: Statement, options?: BodyItemsOptions): { start: number; end: number }[] {
  const text = stmt.text;
  const open = text.indexOf("(");
  if (open < 0) return [];
  const { items, closed } = topLevelItems(text, open + 1, { ...options, brackets: true });
  // An unterminated body has no last item to name.
  if (!closed) items.pop();
  return items.map(([from, to]) => {
    let k = from;
    while (k < to && /\s/.test(text[k]!)) k++;
    return { start: stmt.lines[k] ?? stmt.line, end: stmt.lines[to] ?? stmt.line };
  });
}

/** `ON DELETE` / `ON UPDATE` of a node-sql-parser reference definition. */
export function foreignKeyActions(ref: Expr, fallback: string): { onDelete: string; onUpdate: string } {
  let onDelete = fallback;
  let onUpdate = fallback;
  for (const a of ref?.on_action ?? []) {
    const v = String(a.value?.value ?? a.value).toUpperCase();
    if (a.type === "on delete") onDelete = v;
    else if (a.type === "on update") onUpdate = v;
  }
  return { onDelete, onUpdate };
}

/** A table with no columns, keys or options yet, for a parser to fill. */
export function emptyTable(name: string, line: number, renamedFrom: string | undefined): Table {
  return {
    name,
    columns: [],
    indexes: [],
    foreignKeys: [],
    checks: [],
    options: {
      engine: undefined,
      charset: undefined,
      collate: undefined,
      comment: undefined,
      rowFormat: undefined,
      partition: undefined,
      other: {},
    },
    renamedFrom,
    line,
  };
}

interface AndOrFrame {
  /** Segments between top-level ORs: [start, end, holds a top-level AND]. */
  segments: [number, number, boolean][];
  segStart: number;
  segHasAnd: boolean;
  /** CASE, SELECT... inside: left alone (their keywords would cut segments wrongly). */
  opaque: boolean;
}

/**
 * Puts parentheses around the AND groups of an OR wherever both meet
 * unparenthesised: node-sql-parser 5.4 reads `a AND b OR c AND d` as
 * `((a AND b) OR c) AND d` in every dialect (AND and OR without
 * precedence), which would silently change a CHECK. The added parentheses
 * say what SQL's precedence already says, so the meaning is kept.
 */
export function groupAndOr(text: string, options?: ScanOptions): string {
  const inserts: [number, string][] = [];
  const frame = (start: number): AndOrFrame => ({ segments: [], segStart: start, segHasAnd: false, opaque: false });
  const stack: AndOrFrame[] = [frame(0)];
  const flush = (f: AndOrFrame, end: number) => {
    f.segments.push([f.segStart, end, f.segHasAnd]);
    if (!f.opaque && f.segments.length > 1 && f.segments.some((s) => s[2])) {
      for (const [s, e] of f.segments) {
        let a = s;
        let b = e;
        while (a < b && /\s/.test(text[a]!)) a++;
        while (b > a && /\s/.test(text[b - 1]!)) b--;
        inserts.push([a, "("], [b, ")"]);
      }
    }
    f.segments = [];
  };
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && options?.backslashEscapes && quote !== "`") i++;
      else if (c === quote) quote = "";
      continue;
    }
    const top = stack.at(-1)!;
    if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "(") stack.push(frame(i + 1));
    else if (c === ")" && stack.length > 1) {
      flush(top, i);
      stack.pop();
    } else if (c === ",") {
      flush(top, i);
      top.segStart = i + 1;
      top.segHasAnd = false;
    } else if (/[A-Za-z_]/.test(c) && !/[\w$]/.test(text[i - 1] ?? " ")) {
      const word = /^[A-Za-z_][\w$]*/.exec(text.slice(i, i + 40))![0];
      const w = word.toUpperCase();
      if (w === "OR") {
        top.segments.push([top.segStart, i, top.segHasAnd]);
        top.segStart = i + 2;
        top.segHasAnd = false;
      } else if (w === "AND") top.segHasAnd = true;
      else if (["CASE", "WHEN", "THEN", "ELSE", "END", "SELECT", "FROM", "WHERE"].includes(w)) top.opaque = true;
      i += word.length - 1;
    }
  }
  while (stack.length) flush(stack.pop()!, text.length);
  let out = text;
  for (const [at, s] of inserts.sort((a, b) => b[0] - a[0])) out = out.slice(0, at) + s + out.slice(at);
  return out;
}

/** Lower case outside string literals (`'...'`): a literal's case is data, a name's is not (SQLite, views). */
export function lowerOutsideQuotes(text: string): string {
  return text.replace(/'(?:[^']|'')*'?|[^']+/g, (t) => t.startsWith("'") ? t : t.toLowerCase());
}
