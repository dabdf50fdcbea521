/**
 * Diffs two MySQL/MariaDB schemas into an ordered list of typed changes
 * that the server accepts in sequence:
 *
 * 1. drop changed or removed triggers and removed views;
 * 2. drop changed or removed foreign keys (before the indexes they use);
 * 3. rename tables (by `@renamed` annotation);
 * 4. create new tables, referenced ones first;
 * 5. one ALTER TABLE per changed table with its safe changes;
 * 6. the destructive changes, each in its own statement;
 * 7. drop removed tables, referencing ones first;
 * 8. add new or changed foreign keys;
 * 9. create or replace views, then create triggers.
 *
 * @module
 */

import { quoteIdent, quoteString } from "./quote.ts";
import type { Change, Check, Column, ForeignKey, Index, Schema, Table } from "../model.ts";
import { printCheck, printColumn, printCreateTable, printForeignKey, printIndex, printTableOptions } from "./print.ts";
import { INTEGER_TYPES, printType, resolveCharset } from "./types.ts";
import { findByName, pairColumns, pairTables } from "../_pairs.ts";

/** Options of {@linkcode diffMysqlSchemas}. */
export interface MysqlDiffOptions {
  /** Server default charset/collation for tables that name none. */
  serverCharset?: { charset: string; collate: string };
}

const lower = (s: string) => s.toLowerCase();

/** MySQL compares index, constraint, column and trigger names without regard to case. */
const NOCASE = { ignoreCase: true };

function findBy<T extends { name: string }>(list: T[], name: string): T | undefined {
  return findByName(list, name, NOCASE);
}

function sameIndex(a: Index, b: Index): boolean {
  return a.kind === b.kind && a.comment === b.comment && a.invisible === b.invisible &&
    (a.options ?? []).join(" ") === (b.options ?? []).join(" ") &&
    (a.using ?? "") === (b.using ?? "") &&
    a.parts.length === b.parts.length &&
    a.parts.every((p, i) =>
      lower(p.column) === lower(b.parts[i]!.column) && p.length === b.parts[i]!.length && p.desc === b.parts[i]!.desc
    );
}

function sameForeignKey(a: ForeignKey, b: ForeignKey): boolean {
  return a.refTable === b.refTable && a.onDelete === b.onDelete && a.onUpdate === b.onUpdate &&
    a.columns.map(lower).join() === b.columns.map(lower).join() &&
    a.refColumns.map(lower).join() === b.refColumns.map(lower).join();
}

function effectiveCharset(t: Table, server: { charset: string; collate: string }) {
  return resolveCharset(t.options.charset, t.options.collate) ?? server;
}

/** A column's charset with inheritance resolved. */
function columnCharset(c: Column, t: Table, server: { charset: string; collate: string }) {
  if (c.charset !== undefined) return { charset: c.charset, collate: c.collate! };
  return effectiveCharset(t, server);
}

function sameColumn(a: Column, b: Column, ta: Table, tb: Table, server: { charset: string; collate: string }): boolean {
  const textual = a.charset !== undefined || b.charset !== undefined ||
    ["char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"].includes(a.type.base);
  if (textual) {
    const ca = columnCharset(a, ta, server);
    const cb = columnCharset(b, tb, server);
    if (ca.charset !== cb.charset || ca.collate !== cb.collate) return false;
  }
  return printType(a.type) === printType(b.type) && a.nullable === b.nullable &&
    JSON.stringify(a.default) === JSON.stringify(b.default) && a.onUpdate === b.onUpdate &&
    a.autoIncrement === b.autoIncrement && a.comment === b.comment &&
    JSON.stringify(a.generated) === JSON.stringify(b.generated) && a.check === b.check &&
    a.extra.join(" ") === b.extra.join(" ");
}

/** Column types a table's or column's charset applies to. */
const TEXTUAL = new Set(["char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"]);

const INT_RANK: Record<string, number> = { tinyint: 1, smallint: 2, mediumint: 3, int: 4, bigint: 5 };
const TEXT_RANK: Record<string, number> = { tinytext: 1, text: 2, mediumtext: 3, longtext: 4 };
const BLOB_RANK: Record<string, number> = { tinyblob: 1, blob: 2, mediumblob: 3, longblob: 4 };

/** Why changing `from` into `to` may lose data, or undefined when it cannot. */
export function narrowing(from: Column, to: Column, fromCs: string, toCs: string): string | undefined {
  const a = from.type;
  const b = to.type;
  const what = `column ${quoteIdent(to.name)} from ${printType(a)} to ${printType(b)}`;
  if (fromCs !== toCs) return `changes the charset of ${quoteIdent(to.name)} from ${fromCs} to ${toCs}`;
  if (from.generated === undefined && to.generated !== undefined) {
    return `turns ${quoteIdent(to.name)} into a generated column`;
  }
  if (a.base === b.base) {
    if (a.base === "enum" || a.base === "set") {
      const gone = a.args.filter((v) => !b.args.includes(v));
      return gone.length
        ? `drops ${a.base} value${gone.length > 1 ? "s" : ""} ${gone.join(", ")} of ${quoteIdent(to.name)}`
        : undefined;
    }
    if (a.unsigned !== b.unsigned) return `changes the signedness of ${what}`;
    if (a.base === "decimal") {
      const [m1, d1] = a.args.map(Number) as [number, number];
      const [m2, d2] = b.args.map(Number) as [number, number];
      return m2 - d2 < m1 - d1 || d2 < d1 ? `narrows ${what}` : undefined;
    }
    if (a.args.length && b.args.length && Number(b.args[0]) < Number(a.args[0])) return `narrows ${what}`;
    if (a.args.length && !b.args.length && ["datetime", "timestamp", "time"].includes(a.base)) return `narrows ${what}`;
    return undefined;
  }
  if (INTEGER_TYPES.has(a.base) && INTEGER_TYPES.has(b.base)) {
    if (a.unsigned !== b.unsigned) return `changes the signedness of ${what}`;
    return INT_RANK[b.base]! < INT_RANK[a.base]! ? `narrows ${what}` : undefined;
  }
  if ((a.base === "char" || a.base === "varchar") && (b.base === "char" || b.base === "varchar")) {
    return Number(b.args[0]) < Number(a.args[0]) ? `narrows ${what}` : undefined;
  }
  if ((a.base === "char" || a.base === "varchar") && TEXT_RANK[b.base]) return undefined;
  if (TEXT_RANK[a.base] && TEXT_RANK[b.base]) {
    return TEXT_RANK[b.base]! < TEXT_RANK[a.base]! ? `narrows ${what}` : undefined;
  }
  if ((a.base === "binary" || a.base === "varbinary") && (b.base === "binary" || b.base === "varbinary")) {
    return Number(b.args[0]) < Number(a.args[0]) ? `narrows ${what}` : undefined;
  }
  if (BLOB_RANK[a.base] && BLOB_RANK[b.base]) {
    return BLOB_RANK[b.base]! < BLOB_RANK[a.base]! ? `narrows ${what}` : undefined;
  }
  if (a.base === "float" && b.base === "double") return undefined;
  if (INTEGER_TYPES.has(a.base) && b.base === "decimal") {
    const digits = { tinyint: 3, smallint: 5, mediumint: 8, int: 10, bigint: 20 }[a.base]!;
    return Number(b.args[0]) - Number(b.args[1]) >= digits ? undefined : `narrows ${what}`;
  }
  return `changes the type of ${what}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Topological order of tables by foreign keys (referenced first); cycles keep input order. */
function topoOrder(tables: Table[]): Table[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: Table[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (t: Table) => {
    if (state.get(t.name)) return;
    state.set(t.name, "visiting");
    for (const fk of t.foreignKeys) {
      const ref = byName.get(fk.refTable);
      if (ref && ref !== t && !state.get(ref.name)) visit(ref);
    }
    state.set(t.name, "done");
    out.push(t);
  };
  for (const t of tables) visit(t);
  return out;
}

/** Diffs `from` into `to`. */
export function diffMysqlSchemas(from: Schema, to: Schema, options?: MysqlDiffOptions): Change[] {
  const server = options?.serverCharset ?? { charset: "utf8mb4", collate: "utf8mb4_general_ci" };
  const changes: Change[] = [];
  const t = (name: string) => quoteIdent(name);

  // Pair tables, honouring renames.
  // A table renamed out of the way while a new one takes its name (gh-ost's cut-over) is a rename and a create.
  const { pairs, renamed, created, dropped } = pairTables(from, to, { oldNameReused: "rename" });
  const renames: Change[] = renamed.map(([current, desired]) => ({
    kind: "rename_table",
    table: desired.name,
    sql: `RENAME TABLE ${t(current.name)} TO ${t(desired.name)}`,
    description: `rename table ${current.name} to ${desired.name}`,
  }));

  // A renamed table's triggers follow it, but MariaDB keeps their text naming the old table (SHOW CREATE TRIGGER
  // and a later diff see that): they are dropped before the rename and made again from the target.
  const renamedFrom = new Set(renamed.map(([current]) => current.name.toLowerCase()));
  const renamedTo = new Set(renamed.map(([, desired]) => desired.name.toLowerCase()));

  // 1. Triggers and views that go away or change.
  for (const tr of from.triggers) {
    const next = findBy(to.triggers, tr.name);
    if (!next || next.canonical !== tr.canonical || renamedFrom.has(tr.table.toLowerCase())) {
      changes.push({
        kind: "drop_trigger",
        table: tr.table,
        sql: `DROP TRIGGER ${t(tr.name)}`,
        description: `drop trigger ${tr.name}`,
      });
    }
  }
  for (const v of from.views) {
    if (!findByName(to.views, v.name)) {
      changes.push({ kind: "drop_view", sql: `DROP VIEW ${t(v.name)}`, description: `drop view ${v.name}` });
    }
  }

  // Procedures, functions and events that go away or change (dropped early, created again before the views).
  const routineCreates: Change[] = [];
  for (const r of from.routines) {
    const next = to.routines.find((x) => x.kind === r.kind && lower(x.name) === lower(r.name));
    if (!next || next.canonical !== r.canonical) {
      changes.push({
        kind: "drop_routine",
        sql: `DROP ${r.kind.toUpperCase()} IF EXISTS ${t(r.name)}`,
        description: `drop ${r.kind} ${r.name}${next ? " (changed)" : ""}`,
      });
    }
  }
  for (const r of to.routines) {
    const prev = from.routines.find((x) => x.kind === r.kind && lower(x.name) === lower(r.name));
    if (prev && prev.canonical === r.canonical) continue;
    routineCreates.push({ kind: "create_routine", sql: r.sql, description: `create ${r.kind} ${r.name}` });
  }

  // 2. Foreign keys that go away or change, on tables that stay.
  const fkAdds: { table: Table; fk: ForeignKey }[] = [];
  // InnoDB points a foreign key at its table's new name on RENAME TABLE: a key to a table renamed away whose
  // old name the target gives a new table must be dropped and made again, one to a plain rename need not.
  const newName = new Map(renamed.map(([current, desired]) => [current.name, desired.name]));
  // A column whose type or charset changes may not be in a foreign key meanwhile, on either side (MariaDB
  // errors 1832 and 1833: Rails' int to bigint id): such keys are dropped first and made again after.
  const retyped = new Map<string, Set<string>>();
  for (const [was, des] of pairs) {
    const names = new Set<string>();
    const prevOf = pairColumns(des.name, was.columns, des.columns, NOCASE);
    for (const c of des.columns) {
      const prev = prevOf.get(c);
      if (!prev) continue;
      // A table's charset reaches only its textual columns (as in sameColumn).
      const textual = prev.charset !== undefined || c.charset !== undefined || TEXTUAL.has(c.type.base);
      const [a, b] = [columnCharset(prev, was, server), columnCharset(c, des, server)];
      const recharset = textual && (a.charset !== b.charset || a.collate !== b.collate);
      if (printType(prev.type) !== printType(c.type) || recharset) {
        names.add(lower(prev.name)).add(lower(c.name));
      }
    }
    if (names.size) retyped.set(des.name, names);
  }
  const touchesRetyped = (table: string, fk: ForeignKey) =>
    fk.columns.some((c) => retyped.get(table)?.has(lower(c))) ||
    fk.refColumns.some((c) => retyped.get(fk.refTable)?.has(lower(c)));
  for (const [was, des] of pairs) {
    const cur = {
      ...was,
      foreignKeys: was.foreignKeys.map((fk) => ({ ...fk, refTable: newName.get(fk.refTable) ?? fk.refTable })),
    };
    // Unnamed foreign keys get the server's names (t_ibfk_1, ...) by position, which change when one goes:
    // they are matched by content.
    const auto = (fk: ForeignKey, table: Table) =>
      new RegExp(`^${escapeRegExp(table.name)}_ibfk_\\d+$`, "i").test(fk.name);
    const kept = (fk: ForeignKey, other: Table, otherTable: Table) =>
      other.foreignKeys.some((x) => auto(x, otherTable) && sameForeignKey(fk, x));
    const taken = new Set(cur.foreignKeys.map((fk) => lower(fk.name)));
    for (const fk of cur.foreignKeys) {
      const next = findBy(des.foreignKeys, fk.name);
      const retype = touchesRetyped(des.name, fk);
      if (retype || ((!next || !sameForeignKey(fk, next)) && !(auto(fk, cur) && kept(fk, des, des)))) {
        changes.push({
          kind: "drop_foreign_key",
          table: des.name,
          sql: `ALTER TABLE ${t(cur.name)} DROP FOREIGN KEY ${t(fk.name)}`,
          description: `drop foreign key ${fk.name} on ${cur.name}`,
        });
      }
    }
    for (const fk of des.foreignKeys) {
      const prev = findBy(cur.foreignKeys, fk.name);
      const retype = touchesRetyped(des.name, fk);
      if (prev && sameForeignKey(prev, fk) && !retype) continue;
      if (auto(fk, des) && kept(fk, cur, cur) && !retype) continue;
      let name = fk.name;
      if (auto(fk, des) && prev && !sameForeignKey(prev, fk) && kept(prev, des, des)) {
        // The name belongs to a kept key: take the next free one, as the server would.
        for (let n = 1; taken.has(lower(name)); n++) name = `${des.name}_ibfk_${n}`;
      }
      taken.add(lower(name));
      fkAdds.push({ table: des, fk: { ...fk, name } });
    }
  }

  // 3. Renames.
  changes.push(...renames);

  // 4. New tables, referenced ones first; a foreign key goes inline when its target exists by then.
  const existing = new Set(pairs.map(([, d]) => d.name));
  for (const table of topoOrder(created)) {
    const deferred: ForeignKey[] = [];
    const inline = (fk: ForeignKey) => {
      // A key to a column this plan changes the type of waits for that change (MariaDB errno 150).
      const ok = (existing.has(fk.refTable) || fk.refTable === table.name) && !touchesRetyped(table.name, fk);
      if (!ok) deferred.push(fk);
      return ok;
    };
    changes.push({
      kind: "create_table",
      table: table.name,
      sql: printCreateTable(table, inline).replace(/;$/, ""),
      description: `create table ${table.name}`,
    });
    existing.add(table.name);
    for (const fk of deferred) fkAdds.push({ table, fk });
  }

  // 5 and 6. Changed tables.
  const destructiveLater: Change[] = [];
  const partitionLater: Change[] = [];
  for (const [cur, des] of pairs) {
    const { safe, destructive } = alterTable(cur, des, server);
    // Partitioning: removed before the keys change (every unique key must hold the partitioning columns),
    // set again after. Neither loses rows: the server copies every row, and refuses one that fits no partition.
    const pa = cur.options.partition;
    const pb = des.options.partition;
    const keysChange = safe.some((c) => /^(DROP PRIMARY KEY|DROP INDEX|ADD (PRIMARY|UNIQUE))/.test(c.clause));
    const repartition = pa?.canonical !== pb?.canonical;
    if (pa && (pb === undefined || (repartition && keysChange))) {
      changes.push({
        kind: "partition_table",
        table: des.name,
        sql: `ALTER TABLE ${t(des.name)} REMOVE PARTITIONING`,
        description: `remove the partitioning of ${des.name}`,
      });
    }
    if (pb && repartition) {
      partitionLater.push({
        kind: "partition_table",
        table: des.name,
        sql: `ALTER TABLE ${t(des.name)} ${pb.sql}`,
        description: `partition ${des.name}`,
      });
    }
    if (safe.length) {
      const withDrop = safe.find((c) => c.withDrop !== undefined)?.withDrop;
      changes.push({
        kind: "alter_table",
        table: des.name,
        sql: `ALTER TABLE ${t(des.name)}\n  ${safe.map((c) => c.clause).join(",\n  ")}`,
        description: `alter table ${des.name}: ${safe.map((c) => c.description).join("; ")}`,
        ...(withDrop === undefined ? {} : { destructive: withDrop }),
      });
    }
    destructiveLater.push(...destructive);
  }
  changes.push(...destructiveLater, ...partitionLater);

  // 7. Dropped tables, referencing ones first.
  for (const table of topoOrder(dropped).reverse()) {
    changes.push({
      kind: "drop_table",
      table: table.name,
      sql: `DROP TABLE ${t(table.name)}`,
      description: `drop table ${table.name}`,
      destructive: `drops table ${t(table.name)} and its rows`,
    });
  }

  // 8. Foreign keys last.
  for (const { table, fk } of fkAdds) {
    changes.push({
      kind: "add_foreign_key",
      table: table.name,
      sql: `ALTER TABLE ${t(table.name)} ADD ${printForeignKey(fk)}`,
      description: `add foreign key ${fk.name} on ${table.name}`,
    });
  }

  // 9. Routines, views and triggers.
  changes.push(...routineCreates);
  for (const v of to.views) {
    const prev = findByName(from.views, v.name);
    if (prev && prev.canonical === v.canonical) continue;
    const sql = v.sql.replace(/^CREATE\s+(OR\s+REPLACE\s+)?/i, "CREATE OR REPLACE ");
    changes.push({ kind: "create_view", sql: `${sql}`, description: `${prev ? "replace" : "create"} view ${v.name}` });
  }
  for (const tr of to.triggers) {
    const prev = findBy(from.triggers, tr.name);
    if (
      prev && prev.canonical === tr.canonical && !renamedTo.has(tr.table.toLowerCase()) &&
      !renamedFrom.has(prev.table.toLowerCase())
    ) continue;
    changes.push({ kind: "create_trigger", table: tr.table, sql: tr.sql, description: `create trigger ${tr.name}` });
  }
  return changes;
}

interface Clause {
  clause: string;
  description: string;
  /** Why the whole ALTER holding this clause waits for --allow-destructive (the clause depends on a drop). */
  withDrop?: string;
}

function alterTable(
  cur: Table,
  des: Table,
  server: { charset: string; collate: string },
): { safe: Clause[]; destructive: Change[] } {
  const safe: Clause[] = [];
  const destructive: Change[] = [];
  const tn = quoteIdent(des.name);
  const dropClauses: Clause[] = [];
  const addIndexClauses: Clause[] = [];

  // Indexes: renamed by annotation, dropped, changed (drop + add), added.
  const curIdx = [...cur.indexes];
  for (const idx of des.indexes) {
    let prev = findBy(curIdx, idx.name);
    if (!prev && idx.renamedFrom) {
      const old = findBy(curIdx, idx.renamedFrom);
      if (old && sameIndex(old, idx) && !findBy(des.indexes, old.name)) {
        dropClauses.push({
          clause: `RENAME INDEX ${quoteIdent(old.name)} TO ${quoteIdent(idx.name)}`,
          description: `rename index ${old.name} to ${idx.name}`,
        });
        curIdx.splice(curIdx.indexOf(old), 1);
        continue;
      }
    }
    if (prev && sameIndex(prev, idx)) continue;
    if (prev && sameIndex({ ...prev, invisible: idx.invisible }, idx)) {
      // MariaDB drops IGNORED when the index is dropped and added in one ALTER; ALTER INDEX sets it alone.
      dropClauses.push({
        clause: `ALTER INDEX ${quoteIdent(idx.name)} ${idx.invisible ? "IGNORED" : "NOT IGNORED"}`,
        description: `${idx.invisible ? "ignore" : "use"} index ${idx.name}`,
      });
      continue;
    }
    if (prev) {
      dropClauses.push({
        clause: prev.kind === "primary" ? "DROP PRIMARY KEY" : `DROP INDEX ${quoteIdent(prev.name)}`,
        description: `drop ${prev.kind === "primary" ? "primary key" : `index ${prev.name}`} (changed)`,
      });
      prev = undefined;
    }
    addIndexClauses.push({
      clause: `ADD ${printIndex(idx)}`,
      description: `add ${idx.kind === "primary" ? "primary key" : `index ${idx.name}`}`,
    });
  }
  const droppedColumns = cur.columns.filter((c) =>
    !findBy(des.columns, c.name) && !des.columns.some((d) => d.renamedFrom && lower(d.renamedFrom) === lower(c.name))
  );
  for (const prev of curIdx) {
    if (findBy(des.indexes, prev.name)) continue;
    // Dropping the column drops the index (and an AUTO_INCREMENT column may not lose its key before).
    if (prev.parts.every((p) => droppedColumns.some((c) => lower(c.name) === lower(p.column)))) continue;
    if (des.indexes.some((i) => i.renamedFrom && lower(i.renamedFrom) === lower(prev.name) && sameIndex(prev, i))) {
      continue;
    }
    dropClauses.push({
      clause: prev.kind === "primary" ? "DROP PRIMARY KEY" : `DROP INDEX ${quoteIdent(prev.name)}`,
      description: `drop ${prev.kind === "primary" ? "primary key" : `index ${prev.name}`}`,
    });
  }
  // An AUTO_INCREMENT column must lead some key (MariaDB error 1075). One that goes in a later, destructive
  // statement while this ALTER replaces its key (a surrogate id giving way to a composite primary key) loses
  // AUTO_INCREMENT here, which keeps every value; the column itself goes with the DROP COLUMN. This ALTER then
  // waits for --allow-destructive too: run without the drop, it left a NOT NULL column without AUTO_INCREMENT or
  // a default, and every insert that does not name it failed (error 1364).
  for (const col of droppedColumns) {
    if (!col.autoIncrement) continue;
    const leads = (idx: Index) => lower(idx.parts[0]?.column ?? "") === lower(col.name);
    const keptUntilDrop = cur.indexes.some((idx) =>
      leads(idx) && !findBy(des.indexes, idx.name) &&
      idx.parts.every((p) => droppedColumns.some((c) => lower(c.name) === lower(p.column)))
    );
    if (keptUntilDrop) continue;
    dropClauses.unshift({
      clause: `MODIFY COLUMN ${printColumn({ ...col, autoIncrement: false })}`,
      description: `drop AUTO_INCREMENT from column ${col.name} (its key goes before the column)`,
      withDrop: `takes AUTO_INCREMENT from column ${quoteIdent(col.name)} of ${tn}, which is dropped after it`,
    });
  }

  // Checks: changed ones are dropped and added.
  const addCheckClauses: Clause[] = [];
  for (const c of cur.checks) {
    const next = findBy(des.checks, c.name);
    if (!next || next.sql !== c.sql) {
      dropClauses.push({ clause: `DROP CONSTRAINT ${quoteIdent(c.name)}`, description: `drop check ${c.name}` });
    }
  }
  for (const c of des.checks) {
    const prev: Check | undefined = findBy(cur.checks, c.name);
    if (!prev || prev.sql !== c.sql) {
      addCheckClauses.push({ clause: `ADD ${printCheck(c)}`, description: `add check ${c.name}` });
    }
  }

  // Columns.
  const columnClauses: Clause[] = [];
  const desOf = pairColumns(des.name, cur.columns, des.columns, NOCASE);
  const matched = new Map([...desOf].map(([d, p]) => [p, d]));
  for (const prev of cur.columns) {
    if (matched.has(prev)) continue;
    destructive.push({
      kind: "drop_column",
      table: des.name,
      sql: `ALTER TABLE ${tn} DROP COLUMN ${quoteIdent(prev.name)}`,
      description: `drop column ${prev.name} of ${des.name}`,
      destructive: `drops column ${quoteIdent(prev.name)} of ${tn} and its data`,
    });
  }
  // Simulated order after drops; columns are moved into the desired order.
  const order = cur.columns.filter((c) => matched.has(c)).map((c) => matched.get(c)!);
  des.columns.forEach((c, i) => {
    const prev = desOf.get(c);
    const position = i === 0 ? " FIRST" : ` AFTER ${quoteIdent(des.columns[i - 1]!.name)}`;
    if (!prev) {
      order.splice(i, 0, c);
      columnClauses.push({ clause: `ADD COLUMN ${printColumn(c)}${position}`, description: `add column ${c.name}` });
      return;
    }
    const moved = order[i] !== c;
    if (moved) {
      order.splice(order.indexOf(c), 1);
      order.splice(i, 0, c);
    }
    const renamed = prev.name !== c.name;
    const differs = !sameColumn(prev, c, cur, des, server);
    if (!moved && !renamed && !differs) return;
    const fromCs = columnCharset(prev, cur, server);
    const toCs = columnCharset(c, des, server);
    const textual = prev.charset !== undefined || c.charset !== undefined ||
      ["char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"].includes(c.type.base);
    const csChanged = textual && (fromCs.charset !== toCs.charset || fromCs.collate !== toCs.collate);
    const def = printColumn(c, csChanged ? { charset: toCs } : {});
    // MariaDB cannot MODIFY a VIRTUAL column into a plain one: it is dropped and added, and the
    // plain column starts without the values the expression gave (a STORED one keeps them under MODIFY).
    if (differs && prev.generated && c.generated && prev.generated.stored !== c.generated.stored) {
      // Nor between VIRTUAL and STORED: dropped and added, which loses nothing (the expression gives the values).
      columnClauses.push({
        clause: `DROP COLUMN ${quoteIdent(prev.name)}, ADD COLUMN ${def}${position}`,
        description: `make generated column ${c.name} ${c.generated.stored ? "stored" : "virtual"}`,
      });
      return;
    }
    if (differs && prev.generated && !prev.generated.stored && !c.generated) {
      destructive.push({
        kind: "modify_column",
        table: des.name,
        sql: `ALTER TABLE ${tn} DROP COLUMN ${quoteIdent(prev.name)}, ADD COLUMN ${def}${position}`,
        description: `turn virtual column ${c.name} into a plain column`,
        destructive: `the values of virtual column ${quoteIdent(c.name)} are not stored: the plain column starts empty`,
      });
      return;
    }
    const verb = renamed ? `CHANGE COLUMN ${quoteIdent(prev.name)} ${def}` : `MODIFY COLUMN ${def}`;
    const why = differs ? narrowing(prev, c, textual ? fromCs.charset : "", textual ? toCs.charset : "") : undefined;
    const description = renamed ? `rename column ${prev.name} to ${c.name}` : `modify column ${c.name}`;
    if (why) {
      destructive.push({
        kind: "modify_column",
        table: des.name,
        sql: `ALTER TABLE ${tn} ${verb}${moved ? position : ""}`,
        description,
        destructive: why,
      });
    } else columnClauses.push({ clause: `${verb}${moved || renamed ? position : ""}`, description });
  });

  // Table options: what a schema does not state is the server's default, as the server would make it.
  const optionParts: string[] = [];
  const o = des.options;
  const p = cur.options;
  if (lower(o.engine ?? "InnoDB") !== lower(p.engine ?? "InnoDB")) optionParts.push(`ENGINE=${o.engine ?? "InnoDB"}`);
  const dc = effectiveCharset(des, server);
  const cc = effectiveCharset(cur, server);
  if (dc.charset !== cc.charset || dc.collate !== cc.collate) {
    optionParts.push(`DEFAULT CHARSET=${dc.charset}`, `COLLATE=${dc.collate}`);
  }
  if ((o.rowFormat ?? "DEFAULT") !== (p.rowFormat ?? "DEFAULT")) {
    optionParts.push(`ROW_FORMAT=${o.rowFormat ?? "DEFAULT"}`);
  }
  for (const [k, v] of Object.entries(o.other)) if (p.other[k] !== v) optionParts.push(`${k}=${v}`);
  // An option the target drops goes back to its default; PAGE_CHECKSUM stays as Aria set it (=DEFAULT keeps it).
  for (const k of Object.keys(p.other)) if (!(k in o.other) && k !== "PAGE_CHECKSUM") optionParts.push(`${k}=DEFAULT`);
  if ((o.comment ?? "") !== (p.comment ?? "")) optionParts.push(`COMMENT=${quoteString(o.comment ?? "")}`);
  const optionClauses = optionParts.length
    ? [{ clause: optionParts.join(" "), description: `table options ${printTableOptions({ ...des, options: o })}` }]
    : [];

  safe.push(...dropClauses, ...columnClauses, ...addIndexClauses, ...addCheckClauses, ...optionClauses);
  return { safe, destructive };
}
