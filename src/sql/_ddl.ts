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
  const items: { start: number; end: number }[] = [];
  if (open < 0) return items;
  const add = (from: number, to: number) => {
    let k = from;
    while (k < to && /\s/.test(text[k]!)) k++;
    items.push({ start: stmt.lines[k] ?? stmt.line, end: stmt.lines[to] ?? stmt.line });
  };
  let depth = 0;
  let start = open + 1;
  let quote = "";
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && options?.backslashEscapes && quote !== "`") i++;
      else if (c === quote) quote = "";
      continue;
    }
    if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "[") quote = "]";
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) {
      add(start, i);
      break;
    } else if (c === "," && depth === 1) {
      add(start, i);
      start = i + 1;
    }
  }
  return items;
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
      other: {},
    },
    renamedFrom,
    line,
  };
}
