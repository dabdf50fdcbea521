/**
 * SQLite schema diff. SQLite's ALTER TABLE can rename tables and columns
 * and append some columns; every other table change uses the rebuild recipe
 * from SQLite's documentation: create the new table under a temporary name,
 * copy the rows, drop the old table, rename the new one, then recreate its
 * indexes and triggers (and the views, which a rename re-checks). The
 * executor runs all of it in one transaction with foreign keys off and
 * checks them before committing.
 *
 * @module
 */

import { quoteIdent as q, quoteString } from "./quote.ts";
import type { Change, Column, ForeignKey, Index, Schema, Table, Trigger, View } from "../model.ts";
import { findByName, pairColumns, pairTables } from "../_pairs.ts";
import { lowerOutsideQuotes } from "../_ddl.ts";
import { canonicalTokens, lexSqlite, printTokens, type SqliteToken, type TableItem, tableParts } from "./lex.ts";

const lower = (s: string) => s.toLowerCase();

function printDefault(c: Column): string {
  const d = c.default;
  if (d === undefined) return "";
  if (d.kind === "literal") return ` DEFAULT ${d.quoted ? quoteString(d.value) : d.value}`;
  if (/^CURRENT_(TIMESTAMP|DATE|TIME)$/.test(d.sql)) return ` DEFAULT ${d.sql}`;
  return ` DEFAULT (${d.sql})`;
}

function printType(c: Column): string {
  const t = c.type;
  return t.base ? ` ${t.base.toUpperCase()}${t.args.length ? `(${t.args.join(",")})` : ""}` : "";
}

function singlePrimary(t: Table): Index | undefined {
  const pk = t.indexes.find((i) => i.kind === "primary");
  return pk && pk.parts.length === 1 ? pk : undefined;
}

function printColumn(c: Column, t: Table): string {
  let s = `${q(c.name)}${printType(c)}`;
  const pk = singlePrimary(t);
  if (pk && lower(pk.parts[0]!.column) === lower(c.name)) {
    s += ` PRIMARY KEY${pk.parts[0]!.desc ? " DESC" : ""}${c.autoIncrement ? " AUTOINCREMENT" : ""}`;
  }
  if (!c.nullable) s += " NOT NULL";
  if (c.generated) s += ` GENERATED ALWAYS AS (${c.generated.sql}) ${c.generated.stored ? "STORED" : "VIRTUAL"}`;
  else s += printDefault(c);
  if (c.collate) s += ` COLLATE ${c.collate}`;
  if (c.check) s += ` CHECK (${c.check})`;
  return s;
}

function printForeignKey(fk: ForeignKey): string {
  let s = `FOREIGN KEY (${fk.columns.map(q).join(", ")}) REFERENCES ${q(fk.refTable)}`;
  if (fk.refColumns.length) s += ` (${fk.refColumns.map(q).join(", ")})`;
  if (fk.onDelete !== "NO ACTION") s += ` ON DELETE ${fk.onDelete}`;
  if (fk.onUpdate !== "NO ACTION") s += ` ON UPDATE ${fk.onUpdate}`;
  return s;
}

/** A table's CREATE TABLE as written, cut into items: its columns line up with the model's. */
interface Source {
  items: TableItem[];
  columns: TableItem[];
  constraints: TableItem[];
  options: SqliteToken[];
}

/** Cut once per table: ADD COLUMN of many columns asks for each. */
const sources = new WeakMap<Table, Source | null>();

function sourceOf(t: Table): Source | undefined {
  const known = sources.get(t);
  if (known !== undefined) return known ?? undefined;
  const source = cut(t);
  sources.set(t, source ?? null);
  return source;
}

function cut(t: Table): Source | undefined {
  const parts = t.definition === undefined ? undefined : tableParts(t.definition);
  if (!parts) return undefined;
  const columns = parts.items.filter((i) => i.kind === "column");
  if (columns.length !== t.columns.length) return undefined;
  return { ...parts, columns, constraints: parts.items.filter((i) => i.kind === "constraint") };
}

/** Tokens with the names in `renames` (lower-case old name to new name) replaced. */
function renamed(tokens: SqliteToken[], renames: Map<string, string>): SqliteToken[] {
  return tokens.map((t) => {
    const name = t.kind === "word" ? t.text : t.kind === "ident" ? t.value : undefined;
    const to = name === undefined ? undefined : renames.get(lower(name));
    return to === undefined ? t : { ...t, kind: "ident", value: to, text: q(to) };
  });
}

/**
 * Whether two tables are written alike, item by item in canonical form
 * (columns in order, constraints in any order, options), the current one
 * with its columns renamed: what the model does not carry (a declared
 * type's spelling, DEFERRABLE, ON CONFLICT, a default's spelling) counts.
 * The current table's first `count` columns are compared; true when either
 * side has no source.
 */
function writtenAlike(cur: Table, des: Table, renames: Map<string, string>, count: number): boolean {
  const a = sourceOf(cur);
  const b = sourceOf(des);
  if (!a || !b) return true;
  const canon = (items: TableItem[], map = new Map<string, string>()) =>
    items.map((i) => canonicalTokens(renamed(i.tokens, map)))
      // A table CHECK carries nothing the model drops, and the model compares its expression by meaning
      // (redundant parentheses and spacing do not count), so it is left to the model.
      .filter((c) => !/^(constraint ("(?:[^"]|"")*"|[a-z_]+) )?check /.test(c));
  return JSON.stringify(canon(a.columns, renames)) === JSON.stringify(canon(b.columns.slice(0, count))) &&
    JSON.stringify(canon(a.constraints, renames).sort()) === JSON.stringify(canon(b.constraints).sort()) &&
    canonicalTokens(a.options) === canonicalTokens(b.options);
}

/** A column's definition for ADD COLUMN: as written in the target when it can be. */
function columnText(c: Column, t: Table): string {
  const src = sourceOf(t);
  const i = t.columns.indexOf(c);
  return src && i >= 0 ? printTokens(src.columns[i]!.tokens) : printColumn(c, t);
}

/**
 * CREATE TABLE for `t` (under `name`, for the rebuild's temporary table):
 * the items as the schema wrote them when it has its text, else printed
 * from the model.
 */
export function printCreateTable(t: Table, name = t.name): string {
  const src = sourceOf(t);
  if (src) {
    const opts = printTokens(src.options);
    return `CREATE TABLE ${q(name)} (\n  ${src.items.map((i) => printTokens(i.tokens)).join(",\n  ")}\n)${
      opts ? ` ${opts}` : ""
    }`;
  }
  return printModelTable(t, name);
}

/** CREATE TABLE for `t` as the model prints it. */
function printModelTable(t: Table, name: string): string {
  const lines = t.columns.map((c) => printColumn(c, t));
  const pk = t.indexes.find((i) => i.kind === "primary");
  if (pk && !singlePrimary(t)) lines.push(`PRIMARY KEY (${pk.parts.map((p) => q(p.column)).join(", ")})`);
  for (const u of t.indexes.filter((i) => i.implicit && i.kind === "unique")) {
    lines.push(`UNIQUE (${u.parts.map((p) => q(p.column)).join(", ")})`);
  }
  for (const c of t.checks) {
    lines.push(/^check\d+$/.test(c.name) ? `CHECK (${c.sql})` : `CONSTRAINT ${q(c.name)} CHECK (${c.sql})`);
  }
  for (const fk of t.foreignKeys) lines.push(printForeignKey(fk));
  const opts = Object.keys(t.options.other).filter((k) => k === "WITHOUT ROWID" || k === "STRICT");
  return `CREATE TABLE ${q(name)} (\n  ${lines.join(",\n  ")}\n)${opts.length ? " " + opts.join(", ") : ""}`;
}

/** What follows `ON table` in a CREATE INDEX as written: the parts and the WHERE clause. */
function indexTail(definition: string): SqliteToken[] | undefined {
  const tokens = lexSqlite(definition);
  const words = tokens.map((t, i) => [t, i] as const).filter(([t]) => t.kind !== "space" && t.kind !== "comment");
  const on = words.findIndex(([t]) => t.kind === "word" && t.text.toUpperCase() === "ON");
  const table = words[on + 1];
  return on < 0 || !table ? undefined : tokens.slice(table[1] + 1).filter((t) => t.text !== ";");
}

/** CREATE INDEX for a standalone index: its parts as written when the schema has its text. */
export function printCreateIndex(idx: Index, table: string): string {
  const tail = idx.definition === undefined ? undefined : indexTail(idx.definition);
  if (tail) {
    return `CREATE ${idx.kind === "unique" ? "UNIQUE " : ""}INDEX ${q(idx.name)} ON ${q(table)} ${printTokens(tail)}`;
  }
  const parts = idx.parts.map((p) =>
    `${q(p.column)}${p.collate ? ` COLLATE ${p.collate}` : ""}${p.desc ? " DESC" : ""}`
  );
  return `CREATE ${idx.kind === "unique" ? "UNIQUE " : ""}INDEX ${q(idx.name)} ON ${q(table)} (${parts.join(", ")})${
    idx.where ? ` WHERE ${idx.where}` : ""
  }`;
}

function createIndex(idx: Index, table: string): Change {
  return { kind: "create_index", table, sql: printCreateIndex(idx, table), description: `create index ${idx.name}` };
}

function sameIndex(a: Index, b: Index): boolean {
  const ta = a.definition === undefined ? undefined : indexTail(a.definition);
  const tb = b.definition === undefined ? undefined : indexTail(b.definition);
  if (ta && tb && canonicalTokens(ta) !== canonicalTokens(tb)) return false;
  return a.kind === b.kind && (a.where ?? "") === (b.where ?? "") &&
    JSON.stringify(a.parts.map((p) => [lower(p.column), p.desc, p.collate ?? ""])) ===
      JSON.stringify(b.parts.map((p) => [lower(p.column), p.desc, p.collate ?? ""]));
}

/** SQLite's type affinity of a declared type (section 3.1 of its datatype page). */
export function affinity(declared: string): string {
  const t = declared.toUpperCase();
  if (t.includes("INT")) return "INTEGER";
  if (/CHAR|CLOB|TEXT/.test(t)) return "TEXT";
  if (t.includes("BLOB") || t === "") return "BLOB";
  if (/REAL|FLOA|DOUB/.test(t)) return "REAL";
  return "NUMERIC";
}

/** Whether SQLite can append `c` with ALTER TABLE ... ADD COLUMN. */
function appendable(c: Column, t: Table): boolean {
  if (t.indexes.some((i) => i.implicit && i.parts.some((p) => lower(p.column) === lower(c.name)))) return false;
  if (c.generated?.stored) return false;
  const d = c.default;
  if (d?.kind === "expr") return false;
  if (!c.nullable && d === undefined && !c.generated) return false;
  if (t.foreignKeys.some((fk) => fk.columns.some((x) => lower(x) === lower(c.name))) && d !== undefined) return false;
  return true;
}

function tableShape(t: Table): string {
  return lowerOutsideQuotes(printModelTable(t, "t"));
}

/** Diffs two SQLite schemas into ordered changes. */
export function diffSqliteSchemas(from: Schema, to: Schema): Change[] {
  const head: Change[] = [];
  const renames: Change[] = [];
  const creates: Change[] = [];
  const adds: Change[] = [];
  const rebuilds: Change[] = [];
  /** Tables whose rebuild is destructive: their indexes and triggers are made inside the rebuild. */
  const withheldWith = new Set<string>();
  const drops: Change[] = [];
  const indexCreates: Change[] = [];
  const rebuilt = new Set<string>();
  // A rebuild's temporary table takes a name no table, view or index of either schema has: a guarded script
  // drops a leftover temporary table first, which must never be one of the user's.
  const taken = new Set(
    [from, to].flatMap((s) => [
      ...s.tables.flatMap((t) => [t.name, ...t.indexes.map((i) => i.name)]),
      ...s.views.map((v) => v.name),
    ]).map(lower),
  );
  const temporaryName = (table: string): string => {
    let name = `patchops_new_${table}`;
    for (let n = 2; taken.has(lower(name)); n++) name = `patchops_new_${table}_${n}`;
    taken.add(lower(name));
    return name;
  };

  // SQLite compares table names without regard to (ASCII) case.
  const { pairs, renamed, created, dropped } = pairTables(from, to, { ignoreCase: true });
  for (const [cur, d] of renamed) {
    renames.push({
      kind: "rename_table",
      table: d.name,
      sql: `ALTER TABLE ${q(cur.name)} RENAME TO ${q(d.name)}`,
      description: `rename table ${cur.name} to ${d.name}`,
    });
  }
  for (const d of created) {
    creates.push({
      kind: "create_table",
      table: d.name,
      sql: printCreateTable(d),
      description: `create table ${d.name}`,
    });
    for (const idx of d.indexes.filter((i) => !i.implicit)) indexCreates.push(createIndex(idx, d.name));
  }
  for (const cur of dropped) {
    drops.push({
      kind: "drop_table",
      table: cur.name,
      sql: `DROP TABLE ${q(cur.name)}`,
      description: `drop table ${cur.name}`,
      destructive: `drops table ${q(cur.name)} and its rows`,
    });
  }

  for (const [cur, des] of pairs) {
    // Match columns by name or annotation.
    const match = pairColumns(des.name, cur.columns, des.columns, { ignoreCase: true });
    // The current table with the annotated renames applied, to see what else differs.
    const renamedCur: Table = {
      ...cur,
      name: des.name,
      columns: cur.columns.map((c) => {
        const d = [...match].find(([, p]) => p === c)?.[0];
        return d ? { ...c, name: d.name } : c;
      }),
    };
    const columnRenames = [...match].filter(([d, p]) => d.name !== p.name);
    const appended = des.columns.slice(renamedCur.columns.length);
    const renameMap = new Map(columnRenames.map(([d, p]) => [lower(p.name), d.name]));
    const sameHead = tableShape({ ...des, columns: des.columns.slice(0, renamedCur.columns.length) }) ===
        tableShape(renamedCur) &&
      writtenAlike(cur, des, renameMap, renamedCur.columns.length) &&
      appended.every((c) => !match.has(c) && appendable(c, des));
    if (sameHead && renamedCur.columns.length <= des.columns.length) {
      for (const [d, p] of columnRenames) {
        renames.push({
          kind: "rename_column",
          table: des.name,
          sql: `ALTER TABLE ${q(des.name)} RENAME COLUMN ${q(p.name)} TO ${q(d.name)}`,
          description: `rename column ${p.name} to ${d.name} in ${des.name}`,
        });
      }
      for (const c of appended) {
        adds.push({
          kind: "add_column",
          table: des.name,
          sql: `ALTER TABLE ${q(des.name)} ADD COLUMN ${columnText(c, des)}`,
          description: `add column ${c.name} to ${des.name}`,
        });
      }
      // Standalone indexes.
      for (const prev of cur.indexes.filter((i) => !i.implicit)) {
        const next = des.indexes.find((i) => !i.implicit && lower(i.name) === lower(prev.name));
        if (!next || !sameIndex(prev, next)) {
          head.push({
            kind: "drop_index",
            table: des.name,
            sql: `DROP INDEX ${q(prev.name)}`,
            description: `drop index ${prev.name}`,
          });
        }
      }
      for (const idx of des.indexes.filter((i) => !i.implicit)) {
        const prev = cur.indexes.find((i) => !i.implicit && lower(i.name) === lower(idx.name));
        if (!prev || !sameIndex(prev, idx)) {
          indexCreates.push(createIndex(idx, des.name));
        }
      }
      continue;
    }
    // Rebuild.
    rebuilt.add(des.name);
    const lost = cur.columns.filter((c) => ![...match.values()].includes(c));
    const retyped = [...match].filter(([d, p]) => affinity(d.type.base) !== affinity(p.type.base));
    const why = lost.length
      ? `drops column${lost.length > 1 ? "s" : ""} ${lost.map((c) => q(c.name)).join(", ")} of ${
        q(des.name)
      } and their data`
      : retyped.length
      ? `changes the type affinity of ${retyped.map(([d]) => q(d.name)).join(", ")} in ${q(des.name)}`
      : undefined;
    const copy = [...match].filter(([d]) => !d.generated);
    const tmp = temporaryName(des.name);
    // A renamed table was renamed before the rebuilds run (see the order below): copy from its new name.
    const source = lower(cur.name) === lower(des.name) ? cur.name : des.name;
    const sql = [
      printCreateTable(des, tmp),
      `INSERT INTO ${q(tmp)} (${copy.map(([d]) => q(d.name)).join(", ")}) SELECT ${
        copy.map(([, p]) => q(p.name)).join(", ")
      } FROM ${q(source)}`,
      `DROP TABLE ${q(source)}`,
      `ALTER TABLE ${q(tmp)} RENAME TO ${q(des.name)}`,
    ];
    const indexes = des.indexes.filter((i) => !i.implicit).map((idx) => createIndex(idx, des.name));
    // A destructive rebuild may be withheld: what needs the new table goes with it, so that the rest runs alone.
    if (why) {
      sql.push(...indexes.map((c) => c.sql));
      for (const t of to.triggers.filter((x) => lower(x.table) === lower(des.name))) sql.push(t.sql);
      withheldWith.add(lower(des.name));
    } else indexCreates.push(...indexes);
    rebuilds.push({
      kind: "rebuild_table",
      table: des.name,
      sql: sql.join(";\n"),
      description: `rebuild table ${des.name} (create, copy rows, drop, rename)`,
      ...(why ? { destructive: why } : {}),
    });
  }

  // Views: a rename or rebuild re-checks every view, so they are dropped first and made again.
  const touched = rebuilt.size > 0 || renames.some((r) => r.kind === "rename_table") || drops.length > 0;
  const viewDrops: Change[] = [];
  const viewCreates: Change[] = [];
  const keptView = (v: View) => !touched && from.views.some((x) => x.name === v.name && x.canonical === v.canonical);
  for (const v of from.views) {
    const next = findByName(to.views, v.name);
    if (!next || !keptView(next)) {
      viewDrops.push({ kind: "drop_view", sql: `DROP VIEW ${q(v.name)}`, description: `drop view ${v.name}` });
    }
  }
  for (const v of to.views) {
    if (!keptView(v)) viewCreates.push({ kind: "create_view", sql: v.sql, description: `create view ${v.name}` });
  }
  // Triggers go with a rebuilt or dropped table; changed ones are dropped and made again.
  const triggerDrops: Change[] = [];
  const triggerCreates: Change[] = [];
  const droppedTables = new Set(drops.map((d) => d.table));
  const keptTrigger = (t: Trigger) =>
    !rebuilt.has(t.table) && from.triggers.some((x) => x.name === t.name && x.canonical === t.canonical);
  for (const t of from.triggers) {
    const next = findByName(to.triggers, t.name);
    if ((!next || !keptTrigger(next)) && !droppedTables.has(t.table) && !withheldWith.has(lower(t.table))) {
      triggerDrops.push({
        kind: "drop_trigger",
        table: t.table,
        sql: `DROP TRIGGER ${q(t.name)}`,
        description: `drop trigger ${t.name}`,
      });
    }
  }
  for (const t of to.triggers) {
    if (!keptTrigger(t) && !withheldWith.has(lower(t.table))) {
      triggerCreates.push({
        kind: "create_trigger",
        table: t.table,
        sql: t.sql,
        description: `create trigger ${t.name}`,
      });
    }
  }

  // Virtual tables: made as written; one that changes is dropped and made again, which loses what it holds.
  const virtualDrops: Change[] = [];
  const virtualCreates: Change[] = [];
  for (const v of from.virtualTables ?? []) {
    const next = findByName(to.virtualTables ?? [], v.name, { ignoreCase: true });
    if (next && next.canonical === v.canonical) continue;
    virtualDrops.push({
      kind: "drop_table",
      table: v.name,
      sql: `DROP TABLE ${q(v.name)}`,
      description: `drop virtual table ${v.name}`,
      destructive: `drops virtual table ${q(v.name)} and what it holds`,
    });
  }
  for (const v of to.virtualTables ?? []) {
    const prev = findByName(from.virtualTables ?? [], v.name, { ignoreCase: true });
    if (prev && prev.canonical === v.canonical) continue;
    virtualCreates.push({
      kind: "create_table",
      table: v.name,
      sql: v.sql.replace(/;\s*$/, ""),
      description: `create virtual table ${v.name}`,
    });
  }

  return [
    ...viewDrops,
    ...triggerDrops,
    ...head,
    ...renames,
    ...creates,
    ...adds,
    ...rebuilds,
    ...drops,
    ...virtualDrops,
    ...virtualCreates,
    ...indexCreates,
    ...viewCreates,
    ...triggerCreates,
  ];
}
