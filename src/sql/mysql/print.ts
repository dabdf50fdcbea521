/**
 * Our own MySQL/MariaDB DDL printer. node-sql-parser's `sqlify` writes
 * DDL MariaDB 10.11 rejects (NOT NULL before CHARACTER SET, for one), so
 * definitions are printed here, in the order the server's grammar wants.
 *
 * @module
 */

import { quoteIdent, quoteString } from "./quote.ts";
import type { Check, Column, ForeignKey, Index, Table } from "../model.ts";
import { printType } from "./types.ts";

/** `DEFAULT` clause text of a column, or "" for none. */
function printDefault(c: Column): string {
  const d = c.default;
  if (d === undefined) return c.nullable && c.generated === undefined && !c.autoIncrement ? " DEFAULT NULL" : "";
  if (d.kind === "literal") return ` DEFAULT ${d.quoted ? quoteString(d.value) : d.value}`;
  if (/^current_timestamp\(\d*\)$/.test(d.sql) || /^b'[01]*'$/.test(d.sql) || /^[a-z_0-9]+\([^()]*\)$/i.test(d.sql)) {
    return ` DEFAULT ${d.sql}`;
  }
  return ` DEFAULT (${d.sql})`;
}

/** Options of {@linkcode printColumn}. */
export interface PrintColumnOptions {
  /** Print the charset and collation even when inherited (the table default). */
  charset?: { charset: string; collate: string } | undefined;
}

/** A column definition: `` `name` type ... ``. */
export function printColumn(c: Column, options?: PrintColumnOptions): string {
  let s = `${quoteIdent(c.name)} ${printType(c.type)}`;
  // COMPRESSED belongs to the type; the other extras (INVISIBLE, ...) go last.
  if (c.extra.includes("COMPRESSED")) s += " COMPRESSED";
  const cs = c.charset !== undefined ? { charset: c.charset, collate: c.collate! } : options?.charset;
  if (cs) s += ` CHARACTER SET ${cs.charset} COLLATE ${cs.collate}`;
  if (c.generated) {
    s += ` GENERATED ALWAYS AS (${c.generated.sql}) ${c.generated.stored ? "STORED" : "VIRTUAL"}`;
    if (!c.nullable) s += " NOT NULL";
  } else {
    s += c.nullable ? "" : " NOT NULL";
    s += printDefault(c);
    if (c.onUpdate) s += ` ON UPDATE ${c.onUpdate}`;
    if (c.autoIncrement) s += " AUTO_INCREMENT";
  }
  if (c.comment !== undefined) s += ` COMMENT ${quoteString(c.comment)}`;
  for (const e of c.extra) if (e !== "COMPRESSED") s += ` ${e}`;
  if (c.check !== undefined) s += ` CHECK (${c.check})`;
  return s;
}

function printParts(idx: Index): string {
  return idx.parts.map((p) =>
    `${quoteIdent(p.column)}${p.length !== undefined ? `(${p.length})` : ""}${p.desc ? " DESC" : ""}`
  ).join(", ");
}

/** An index definition as used inside CREATE TABLE and after ALTER TABLE ... ADD. */
export function printIndex(idx: Index): string {
  let s: string;
  switch (idx.kind) {
    case "primary":
      s = `PRIMARY KEY (${printParts(idx)})`;
      break;
    case "unique":
      s = `UNIQUE KEY ${quoteIdent(idx.name)} (${printParts(idx)})`;
      break;
    case "fulltext":
      s = `FULLTEXT KEY ${quoteIdent(idx.name)} (${printParts(idx)})`;
      break;
    case "spatial":
      s = `SPATIAL KEY ${quoteIdent(idx.name)} (${printParts(idx)})`;
      break;
    default:
      s = `KEY ${quoteIdent(idx.name)} (${printParts(idx)})`;
  }
  if (idx.using) s += ` USING ${idx.using.toUpperCase()}`;
  if (idx.comment !== undefined) s += ` COMMENT ${quoteString(idx.comment)}`;
  for (const option of idx.options ?? []) s += ` ${option}`;
  if (idx.invisible) s += " IGNORED";
  return s;
}

/** A foreign key definition: `CONSTRAINT ... FOREIGN KEY ... REFERENCES ...`. */
export function printForeignKey(fk: ForeignKey): string {
  let s = `CONSTRAINT ${quoteIdent(fk.name)} FOREIGN KEY (${fk.columns.map(quoteIdent).join(", ")}) REFERENCES ${
    quoteIdent(fk.refTable)
  } (${fk.refColumns.map(quoteIdent).join(", ")})`;
  if (fk.onDelete !== "RESTRICT") s += ` ON DELETE ${fk.onDelete}`;
  if (fk.onUpdate !== "RESTRICT") s += ` ON UPDATE ${fk.onUpdate}`;
  return s;
}

/** A CHECK constraint definition. */
export function printCheck(c: Check): string {
  return `CONSTRAINT ${quoteIdent(c.name)} CHECK (${c.sql})`;
}

/** Table options clause (only those set). */
export function printTableOptions(t: Table): string {
  const o = t.options;
  const parts: string[] = [];
  if (o.engine) parts.push(`ENGINE=${o.engine}`);
  if (o.charset) parts.push(`DEFAULT CHARSET=${o.charset}`);
  if (o.collate) parts.push(`COLLATE=${o.collate}`);
  if (o.rowFormat) parts.push(`ROW_FORMAT=${o.rowFormat}`);
  for (const [k, v] of Object.entries(o.other)) parts.push(`${k}=${v}`);
  if (o.comment !== undefined) parts.push(`COMMENT=${quoteString(o.comment)}`);
  return parts.join(" ");
}

/** A full CREATE TABLE; foreign keys only when `withForeignKeys` allows each. */
export function printCreateTable(t: Table, withForeignKey: (fk: ForeignKey) => boolean): string {
  const lines = [
    ...t.columns.map((c) => printColumn(c)),
    // Implicit foreign key indexes are written out so that they get the name the server would give them.
    ...t.indexes.map(printIndex),
    ...t.foreignKeys.filter(withForeignKey).map(printForeignKey),
    ...t.checks.map(printCheck),
  ];
  const options = printTableOptions(t);
  const partition = t.options.partition ? `\n${t.options.partition.sql}` : "";
  return `CREATE TABLE ${quoteIdent(t.name)} (\n  ${lines.join(",\n  ")}\n)${
    options ? " " + options : ""
  }${partition};`;
}
