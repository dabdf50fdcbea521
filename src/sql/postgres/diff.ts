/**
 * PostgreSQL schema diff. PostgreSQL runs DDL in transactions, so the
 * order only has to satisfy dependencies: views that might depend on a
 * changed table are dropped first and made again last; foreign keys are
 * dropped before and added after the constraints and columns they use.
 * Column order is not compared: PostgreSQL cannot reorder columns.
 *
 * @module
 */

import { PatchopsError } from "../../errors.ts";
import { quoteIdent as q, quoteString } from "./quote.ts";
import type { Change, Check, Column, ForeignKey, Index, Schema, Table } from "../model.ts";
import { findByName, pairColumns, pairTables } from "../_pairs.ts";
import { printPgType } from "./parse.ts";
import { diffPgObjects, normalizeText } from "./_objects.ts";

function printDefault(c: Column): string {
  const d = c.default;
  if (d === undefined) return "";
  if (d.kind === "literal") return d.quoted ? quoteString(d.value) : d.value;
  return d.sql;
}

function printColumn(c: Column): string {
  let type = printPgType(c.type);
  if (c.autoIncrement) type = { integer: "serial", bigint: "bigserial", smallint: "smallserial" }[c.type.base] ?? type;
  let s = `${q(c.name)} ${type}`;
  if (c.collate) s += ` COLLATE ${q(c.collate)}`;
  if (c.generated) s += ` GENERATED ALWAYS AS (${c.generated.sql}) STORED`;
  for (const e of c.extra) s += ` ${e}`;
  if (!c.nullable && !c.autoIncrement && !c.extra.length) s += " NOT NULL";
  if (c.default !== undefined) s += ` DEFAULT ${printDefault(c)}`;
  return s;
}

function printConstraint(idx: Index): string {
  return `CONSTRAINT ${q(idx.name)} ${idx.kind === "primary" ? "PRIMARY KEY" : "UNIQUE"} (${
    idx.parts.map((p) => q(p.column)).join(", ")
  })`;
}

function printForeignKey(fk: ForeignKey): string {
  let s = `CONSTRAINT ${q(fk.name)} FOREIGN KEY (${fk.columns.map(q).join(", ")}) REFERENCES ${q(fk.refTable)}`;
  if (fk.refColumns.length) s += ` (${fk.refColumns.map(q).join(", ")})`;
  if (fk.onDelete !== "NO ACTION") s += ` ON DELETE ${fk.onDelete}`;
  if (fk.onUpdate !== "NO ACTION") s += ` ON UPDATE ${fk.onUpdate}`;
  return s;
}

function printIndex(idx: Index, table: string): string {
  if (idx.definition !== undefined) return idx.definition;
  const parts = idx.parts.map((p) => `${q(p.column)}${p.desc ? " DESC" : ""}`).join(", ");
  return `CREATE ${idx.kind === "unique" ? "UNIQUE " : ""}INDEX ${q(idx.name)} ON ${q(table)}${
    idx.using ? ` USING ${idx.using}` : ""
  } (${parts})${idx.where ? ` WHERE ${idx.where}` : ""}`;
}

const sameParts = (a: Index, b: Index) =>
  a.kind === b.kind && normalizeText(a.definition ?? "") === normalizeText(b.definition ?? "") &&
  (a.where ?? "") === (b.where ?? "") &&
  (a.using ?? "") === (b.using ?? "") &&
  JSON.stringify(a.parts.map((p) => [p.column, p.desc])) === JSON.stringify(b.parts.map((p) => [p.column, p.desc]));

const sameFk = (a: ForeignKey, b: ForeignKey) =>
  JSON.stringify([a.columns, a.refTable, a.refColumns, a.onDelete, a.onUpdate]) ===
    JSON.stringify([b.columns, b.refTable, b.refColumns, b.onDelete, b.onUpdate]);

const INT_RANK: Record<string, number> = { smallint: 1, integer: 2, bigint: 3 };

/** Why a type change may lose data, or undefined. */
function narrowing(a: Column, b: Column): string | undefined {
  const from = a.type;
  const to = b.type;
  const what = `column ${q(b.name)} from ${printPgType(from)} to ${printPgType(to)}`;
  if (from.base === to.base) {
    if (from.base === "numeric") {
      const [m1, d1] = from.args.map(Number) as [number, number];
      const [m2, d2] = to.args.map(Number) as [number, number];
      if (to.args.length && (!from.args.length || m2 - d2 < m1 - d1 || d2 < d1)) return `narrows ${what}`;
      return undefined;
    }
    if (to.args.length && (!from.args.length || Number(to.args[0]) < Number(from.args[0]))) return `narrows ${what}`;
    return undefined;
  }
  if (INT_RANK[from.base] && INT_RANK[to.base]) {
    return INT_RANK[to.base]! < INT_RANK[from.base]! ? `narrows ${what}` : undefined;
  }
  if (["character varying", "character"].includes(from.base) && to.base === "text") return undefined;
  if (from.base === "character" && to.base === "character varying") {
    return Number(to.args[0] ?? Infinity) < Number(from.args[0]) ? `narrows ${what}` : undefined;
  }
  if (from.base === "real" && to.base === "double precision") return undefined;
  if (INT_RANK[from.base] && to.base === "numeric" && !to.args.length) return undefined;
  return `changes the type of ${what}`;
}

/** Diffs two PostgreSQL schemas into ordered changes. */
export function diffPostgresSchemas(from: Schema, to: Schema): Change[] {
  const { pairs, renamed, created, dropped } = pairTables(from, to);
  const renames: Change[] = renamed.map(([cur, d]) => ({
    kind: "rename_table",
    table: d.name,
    sql: `ALTER TABLE ${q(cur.name)} RENAME TO ${q(d.name)}`,
    description: `rename table ${cur.name} to ${d.name}`,
  }));
  const creates: Change[] = [];
  for (const d of created) {
    const lines = [
      ...d.columns.map(printColumn),
      ...d.indexes.filter((i) => i.implicit).map(printConstraint),
      ...d.checks.filter((c) => !isForeign(c)).map(printCheck),
    ];
    creates.push({
      kind: "create_table",
      table: d.name,
      sql: `CREATE ${d.options.other.PERSISTENCE === "UNLOGGED" ? "UNLOGGED " : ""}TABLE ${q(d.name)} (\n  ${
        lines.join(",\n  ")
      }\n)${d.options.other.PARTITION_BY ? ` PARTITION BY ${d.options.other.PARTITION_BY}` : ""}`,
      description: `create table ${d.name}`,
    });
    if (d.options.comment !== undefined) creates.push(commentOn(d, undefined));
    for (const c of d.columns) if (c.comment !== undefined) creates.push(commentOn(d, c));
  }

  const dropFks: Change[] = [];
  const dropConstraints: Change[] = [];
  const dropIndexes: Change[] = [];
  const alters: Change[] = [];
  const addConstraints: Change[] = [];
  const addIndexes: Change[] = [];
  const addFks: Change[] = [];
  const destructive: Change[] = [];

  for (const d of creates.map((c) => to.tables.find((t) => t.name === c.table)!)) {
    for (const idx of d.indexes.filter((i) => !i.implicit)) {
      addIndexes.push({
        kind: "create_index",
        table: d.name,
        sql: printIndex(idx, d.name),
        description: `create index ${idx.name}`,
      });
    }
    for (const c of d.checks.filter(isForeign)) {
      addFks.push({
        kind: "add_foreign_key",
        table: d.name,
        sql: `ALTER TABLE ${q(d.name)} ADD ${printCheck(c)}`,
        description: `add foreign key ${c.name}`,
      });
    }
    for (const fk of d.foreignKeys) {
      addFks.push({
        kind: "add_foreign_key",
        table: d.name,
        sql: `ALTER TABLE ${q(d.name)} ADD ${printForeignKey(fk)}`,
        description: `add foreign key ${fk.name}`,
      });
    }
  }

  for (const [cur, des] of pairs) {
    const t = q(des.name);
    if (cur.options.comment !== des.options.comment) alters.push(commentOn(des, undefined));
    if (normalizeText(cur.options.other.PARTITION_BY ?? "") !== normalizeText(des.options.other.PARTITION_BY ?? "")) {
      throw new PatchopsError(
        "SqlUnsupported",
        `line ${des.line}: table "${des.name}": changing how a table is partitioned is not supported (PostgreSQL cannot partition an existing table in place; make a new table and move the rows)`,
      );
    }
    if ((cur.options.other.PERSISTENCE ?? "") !== (des.options.other.PERSISTENCE ?? "")) {
      alters.push({
        kind: "alter_table",
        table: des.name,
        sql: `ALTER TABLE ${q(cur.name)} SET ${des.options.other.PERSISTENCE === "UNLOGGED" ? "UNLOGGED" : "LOGGED"}`,
        description: `make ${des.name} ${des.options.other.PERSISTENCE === "UNLOGGED" ? "unlogged" : "logged"}`,
      });
    }
    // Drops run before the renames, so they name the table as it is now.
    const before = q(cur.name);
    // Foreign keys.
    for (const fk of cur.foreignKeys) {
      const next = findByName(des.foreignKeys, fk.name);
      if (!next || !sameFk(fk, next)) {
        dropFks.push({
          kind: "drop_foreign_key",
          table: des.name,
          sql: `ALTER TABLE ${before} DROP CONSTRAINT ${q(fk.name)}`,
          description: `drop foreign key ${fk.name}`,
        });
      }
    }
    for (const fk of des.foreignKeys) {
      const prev = findByName(cur.foreignKeys, fk.name);
      if (!prev || !sameFk(prev, fk)) {
        addFks.push({
          kind: "add_foreign_key",
          table: des.name,
          sql: `ALTER TABLE ${t} ADD ${printForeignKey(fk)}`,
          description: `add foreign key ${fk.name}`,
        });
      }
    }
    // Primary and unique constraints, checks.
    for (const c of cur.indexes.filter((i) => i.implicit)) {
      const next = des.indexes.find((x) => x.implicit && x.name === c.name);
      if (!next || !sameParts(c, next)) {
        dropConstraints.push({
          kind: "alter_table",
          table: des.name,
          sql: `ALTER TABLE ${before} DROP CONSTRAINT ${q(c.name)}`,
          description: `drop constraint ${c.name}`,
        });
      }
    }
    for (const c of des.indexes.filter((i) => i.implicit)) {
      const prev = cur.indexes.find((x) => x.implicit && x.name === c.name);
      if (!prev || !sameParts(prev, c)) {
        addConstraints.push({
          kind: "alter_table",
          table: des.name,
          sql: `ALTER TABLE ${t} ADD ${printConstraint(c)}`,
          description: `add constraint ${c.name}`,
        });
      }
    }
    for (const c of cur.checks) {
      const next = findByName(des.checks, c.name);
      if (!next || !sameCheck(next, c)) {
        (isForeign(c) ? dropFks : dropConstraints).push({
          kind: "alter_table",
          table: des.name,
          sql: `ALTER TABLE ${before} DROP CONSTRAINT ${q(c.name)}`,
          description: `drop check ${c.name}`,
        });
      }
    }
    for (const c of des.checks) {
      const prev = findByName(cur.checks, c.name);
      if (!prev || !sameCheck(prev, c)) {
        (isForeign(c) ? addFks : addConstraints).push({
          kind: "alter_table",
          table: des.name,
          sql: `ALTER TABLE ${t} ADD ${printCheck(c)}`,
          description: `add check ${c.name}`,
        });
      }
    }
    // Standalone indexes.
    for (const i of cur.indexes.filter((x) => !x.implicit)) {
      const next = des.indexes.find((x) => !x.implicit && x.name === i.name);
      if (!next || !sameParts(i, next)) {
        dropIndexes.push({
          kind: "drop_index",
          table: des.name,
          sql: `DROP INDEX ${q(i.name)}`,
          description: `drop index ${i.name}`,
        });
      }
    }
    for (const i of des.indexes.filter((x) => !x.implicit)) {
      const prev = cur.indexes.find((x) => !x.implicit && x.name === i.name);
      if (!prev || !sameParts(prev, i)) {
        addIndexes.push({
          kind: "create_index",
          table: des.name,
          sql: printIndex(i, des.name),
          description: `create index ${i.name}`,
        });
      }
    }
    // Columns.
    const matched = pairColumns(des.name, cur.columns, des.columns);
    for (const prev of cur.columns) {
      if ([...matched.values()].includes(prev)) continue;
      destructive.push({
        kind: "drop_column",
        table: des.name,
        sql: `ALTER TABLE ${t} DROP COLUMN ${q(prev.name)}`,
        description: `drop column ${prev.name} of ${des.name}`,
        destructive: `drops column ${q(prev.name)} of ${t} and its data`,
      });
    }
    for (const c of des.columns) {
      let prev = matched.get(c);
      if (!prev) {
        alters.push({
          kind: "add_column",
          table: des.name,
          sql: `ALTER TABLE ${t} ADD COLUMN ${printColumn(c)}`,
          description: `add column ${c.name}`,
        });
        continue;
      }
      if (prev.name !== c.name) {
        renames.push({
          kind: "rename_column",
          table: des.name,
          sql: `ALTER TABLE ${t} RENAME COLUMN ${q(prev.name)} TO ${q(c.name)}`,
          description: `rename column ${prev.name} to ${c.name}`,
        });
      }
      const col = q(c.name);
      if (prev.comment !== c.comment) alters.push(commentOn(des, c));
      // Identity switched in place where PostgreSQL can (ALWAYS and BY DEFAULT, serial or plain to identity,
      // identity to plain): rows and keys stay. Steps after the type change go in `after`.
      const after: Change[] = [];
      const identity = (x: Column) => x.extra.find((e) => /AS IDENTITY/i.test(e));
      const [was, will] = [identity(prev), identity(c)];
      // Identity to serial: the identity dropped, the serial's sequence made, owned and set past the highest value.
      const toSerial = was !== undefined && will === undefined && c.autoIncrement && !prev.autoIncrement;
      const sameOtherwise = JSON.stringify(prev.generated) === JSON.stringify(c.generated) &&
        (!c.autoIncrement || toSerial) &&
        prev.extra.filter((e) => e !== was).join() === c.extra.filter((e) => e !== will).join();
      if (sameOtherwise && was !== will && (was === undefined || !prev.autoIncrement)) {
        const step = (sql: string, description: string) => ({
          kind: "modify_column" as const,
          table: des.name,
          sql,
          description,
        });
        if (was !== undefined && will !== undefined) {
          alters.push(step(
            `ALTER TABLE ${t} ALTER COLUMN ${col} SET GENERATED ${/ALWAYS/i.test(will) ? "ALWAYS" : "BY DEFAULT"}`,
            `identity of ${c.name}`,
          ));
        } else if (was !== undefined) {
          alters.push(step(`ALTER TABLE ${t} ALTER COLUMN ${col} DROP IDENTITY`, `drop identity of ${c.name}`));
          if (toSerial) {
            const sequence = q(`${des.name}_${c.name}_seq`.slice(0, 63));
            // IF NOT EXISTS: the name is free once the identity's own sequence is dropped; a guarded second run
            // finds the serial's sequence there already.
            after.push(step(
              `CREATE SEQUENCE IF NOT EXISTS ${sequence} AS ${printPgType(c.type)} OWNED BY ${t}.${col}`,
              `the serial sequence of ${c.name}`,
            ));
            after.push(step(
              `ALTER TABLE ${t} ALTER COLUMN ${col} SET DEFAULT nextval(${quoteString(sequence)}::regclass)`,
              `default of ${c.name}`,
            ));
            after.push(step(
              `SELECT setval(${quoteString(sequence)}, coalesce(max(${col}), 0) + 1, false) FROM ${t}`,
              `serial ${c.name} continues after the highest value`,
            ));
          }
        } else {
          if (prev.autoIncrement) {
            // The serial's own sequence goes; the identity continues after the highest value.
            // One statement a change, so that a guarded script guards each.
            alters.push(step(`ALTER TABLE ${t} ALTER COLUMN ${col} DROP DEFAULT`, `default of ${c.name}`));
            alters.push(step(
              `DROP SEQUENCE ${q(`${des.name}_${c.name}_seq`.slice(0, 63))}`,
              `drop the serial sequence of ${c.name}`,
            ));
          }
          if (prev.nullable) {
            alters.push(step(`ALTER TABLE ${t} ALTER COLUMN ${col} SET NOT NULL`, `not null ${c.name}`));
          }
          after.push(step(`ALTER TABLE ${t} ALTER COLUMN ${col} ADD ${will}`, `identity of ${c.name}`));
          after.push(step(
            `SELECT setval(pg_get_serial_sequence(${quoteString(t)}, ${
              quoteString(c.name)
            }), coalesce(max(${col}), 0) + 1, false) FROM ${t}`,
            `identity of ${c.name} continues after the highest value`,
          ));
        }
        // What the steps above did; the rest (type, default, nullability) is compared as usual.
        const added = was === undefined
          ? { nullable: false, default: prev.autoIncrement ? undefined : prev.default }
          : {};
        prev = { ...prev, extra: c.extra, autoIncrement: toSerial, ...added };
      }
      if (
        JSON.stringify(prev.generated) !== JSON.stringify(c.generated) || prev.extra.join() !== c.extra.join() ||
        prev.autoIncrement !== c.autoIncrement
      ) {
        // Identity, serial and generated columns cannot be switched in place everywhere: recreate. Dropping the
        // column drops the keys and indexes on it, which re-adding it would not bring back: refused then.
        const word = new RegExp(
          `(^|[^\\w$"])(${c.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}|"${
            c.name.replaceAll('"', '""').replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
          }")($|[^\\w$"])`,
        );
        const uses = [
          ...cur.indexes.filter((i) => i.parts.some((x) => x.column === prev.name) || word.test(i.definition ?? "")),
          ...cur.foreignKeys.filter((f) => f.columns.includes(prev.name)),
          ...cur.checks.filter((k) => word.test(k.definition ?? k.sql)),
        ].map((x) => x.name);
        if (uses.length) {
          throw new PatchopsError(
            "SqlUnsupported",
            `line ${c.line}: column "${c.name}" of "${des.name}" would be dropped and added again, which drops ${
              uses.map((u) => `"${u}"`).join(", ")
            } on it; change it by hand (ALTER TABLE ... ALTER COLUMN)`,
          );
        }
        destructive.push({
          kind: "modify_column",
          table: des.name,
          sql: `ALTER TABLE ${t} DROP COLUMN ${col};\nALTER TABLE ${t} ADD COLUMN ${printColumn(c)}`,
          description: `recreate column ${c.name}`,
          destructive: `recreates column ${col} of ${t}, losing its values`,
        });
        continue;
      }
      if (printPgType(prev.type) !== printPgType(c.type) || (prev.collate ?? "") !== (c.collate ?? "")) {
        const why = narrowing(prev, c);
        const change: Change = {
          kind: "modify_column",
          table: des.name,
          sql: `ALTER TABLE ${t} ALTER COLUMN ${col} TYPE ${printPgType(c.type)}${
            c.collate ? ` COLLATE ${q(c.collate)}` : ""
          } USING ${col}::${printPgType(c.type)}`,
          description: `change type of ${c.name}`,
        };
        if (why) destructive.push({ ...change, destructive: why });
        else alters.push(change);
        // A serial column's sequence keeps its own type: serial to bigserial must widen it too.
        if (c.autoIncrement && INT_RANK[c.type.base] && c.type.base !== prev.type.base) {
          const sequence = q(`${des.name}_${c.name}_seq`.slice(0, 63));
          (why ? destructive : alters).push({
            kind: "modify_column",
            table: des.name,
            sql: `ALTER SEQUENCE ${sequence} AS ${printPgType(c.type)}`,
            description: `sequence of ${c.name} as ${printPgType(c.type)}`,
            ...(why ? { destructive: why } : {}),
          });
        }
      }
      alters.push(...after);
      if (JSON.stringify(prev.default) !== JSON.stringify(c.default)) {
        alters.push({
          kind: "modify_column",
          table: des.name,
          sql: c.default === undefined
            ? `ALTER TABLE ${t} ALTER COLUMN ${col} DROP DEFAULT`
            : `ALTER TABLE ${t} ALTER COLUMN ${col} SET DEFAULT ${printDefault(c)}`,
          description: `default of ${c.name}`,
        });
      }
      if (prev.nullable !== c.nullable) {
        alters.push({
          kind: "modify_column",
          table: des.name,
          sql: `ALTER TABLE ${t} ALTER COLUMN ${col} ${c.nullable ? "DROP" : "SET"} NOT NULL`,
          description: `nullability of ${c.name}`,
        });
      }
    }
  }
  const drops: Change[] = dropped.map((t) => ({
    kind: "drop_table" as const,
    table: t.name,
    sql: `DROP TABLE ${q(t.name)} CASCADE`,
    description: `drop table ${t.name}`,
    destructive: `drops table ${q(t.name)} and its rows`,
  }));
  // Views depend on tables: when any table changes, they are dropped first and made again.
  const tablesChange = renames.length + alters.length + destructive.length + drops.length + dropConstraints.length > 0;
  const remade = new Set<string>();
  const viewDrops: Change[] = [];
  const viewCreates: Change[] = [];
  for (const v of from.views) {
    const next = findByName(to.views, v.name);
    if (!next || next.canonical !== v.canonical || tablesChange) {
      remade.add(v.name);
      viewDrops.push({
        kind: "drop_view",
        sql: `DROP VIEW IF EXISTS ${q(v.name)} CASCADE`,
        description: `drop view ${v.name}`,
      });
    }
  }
  for (const v of to.views) {
    const prev = findByName(from.views, v.name);
    if (!prev || prev.canonical !== v.canonical || tablesChange) {
      viewCreates.push({
        kind: "create_view",
        sql: v.sql.replace(/^CREATE\s+(OR\s+REPLACE\s+)?VIEW/i, "CREATE VIEW"),
        description: `create view ${v.name}`,
      });
    }
  }
  // Extensions: created before the tables that may use their types and functions, dropped after.
  const extensionCreates: Change[] = to.routines.filter((r) => r.kind === "extension" && !hasExtension(from, r.name))
    .map((r) => ({
      kind: "create_routine",
      sql: `CREATE EXTENSION IF NOT EXISTS ${q(r.name)}`,
      description: `create extension ${r.name}`,
    }));
  const extensionDrops: Change[] = from.routines.filter((r) => r.kind === "extension" && !hasExtension(to, r.name))
    .map((r) => ({
      kind: "drop_routine",
      sql: `DROP EXTENSION ${q(r.name)}`,
      description: `drop extension ${r.name}`,
    }));
  // Materialized views are made again with the views; what belongs to a remade relation (comments,
  // grants, indexes, triggers) is made again after it.
  if (tablesChange) { for (const o of to.objects ?? []) if (o.kind === "matview") remade.add(o.name); }
  const objects = diffPgObjects(from.objects ?? [], to.objects ?? [], remade);
  const RELATION_LEVEL = new Set(["drop_view", "drop_trigger", "drop_index", "alter_table", "comment"]);
  return [
    ...extensionCreates,
    ...objects.drops.filter((c) => RELATION_LEVEL.has(c.kind)),
    ...viewDrops,
    ...dropFks,
    ...dropConstraints,
    ...dropIndexes,
    ...renames,
    ...objects.replaced,
    ...objects.early,
    ...creates,
    ...alters,
    ...destructive,
    ...drops,
    ...objects.drops.filter((c) => !RELATION_LEVEL.has(c.kind)),
    ...addConstraints,
    ...addIndexes,
    ...addFks,
    ...viewCreates,
    ...objects.late,
    ...extensionDrops,
  ];
}

function printCheck(c: Check): string {
  return `CONSTRAINT ${q(c.name)} ${c.definition ?? `CHECK (${c.sql})`}`;
}

const isForeign = (c: Check) => /^FOREIGN\s+KEY\b/i.test(c.definition ?? "");

/** A check as compared: the server's text with IN lists in one form, or the parsed expression. */
const checkKey = (c: Check) => c.definition !== undefined ? normalizeText(castArrayItems(c.definition)) : c.sql;

const sameCheck = (a: Check, b: Check) =>
  checkKey(a) === checkKey(b) && (a.definition === undefined) === (b.definition === undefined);

const LITERAL_CAST = String.raw`'(?:[^']|'')*'::[\w ."]+(?:\(\d+(?:,\s*\d+)?\))?`;

/**
 * `(ARRAY['a'::character varying, ...])::text[]` as `ARRAY[('a'::character
 * varying)::text, ...]`: PostgreSQL prints an IN list over varchar in the
 * first form and, reading that back, stores the second; both are the same
 * array, so a CHECK created from the first would otherwise never compare
 * equal again.
 */
export function castArrayItems(sql: string): string {
  const list = new RegExp(String.raw`\(ARRAY\[((?:${LITERAL_CAST})(?:, ${LITERAL_CAST})*)\]\)::([\w ."]+?)\[\]`, "g");
  return sql.replace(list, (_all, items: string, type: string) => {
    const each = [...items.matchAll(new RegExp(LITERAL_CAST, "g"))].map((m) => `(${m[0]})::${type}`);
    return `ARRAY[${each.join(", ")}]`;
  });
}

function hasExtension(schema: Schema, name: string): boolean {
  return schema.routines.some((r) => r.kind === "extension" && r.name === name);
}

/** `COMMENT ON TABLE` (without a column) or `COMMENT ON COLUMN`; an absent comment is NULL. */
function commentOn(t: Table, c: Column | undefined): Change {
  const text = c ? c.comment : t.options.comment;
  return {
    kind: "comment",
    table: t.name,
    sql: `COMMENT ON ${c ? `COLUMN ${q(t.name)}.${q(c.name)}` : `TABLE ${q(t.name)}`} IS ${
      text === undefined ? "NULL" : quoteString(text)
    }`,
    description: `comment on ${c ? `column ${t.name}.${c.name}` : `table ${t.name}`}`,
  };
}
