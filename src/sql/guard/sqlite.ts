/**
 * Guards for SQLite scripts. SQLite has `IF [NOT] EXISTS` on CREATE and
 * DROP of tables, indexes, views and triggers, and nothing else: no
 * conditional ALTER TABLE and no procedural block to ask the catalog first.
 * So the script runs in one transaction (a run that stops anywhere leaves
 * the database as it was, and the next run starts from the beginning), the
 * rebuild recipe drops a temporary table an earlier run outside a
 * transaction may have left, and the statements that fail when run on a
 * database that already has them and could not be guarded as below (the
 * ADD/RENAME COLUMN cases listed at the end, and a table rename whose old
 * name the target uses, see guardRename) are named in the header: run
 * such a script once; if it fails, nothing was changed and it can run
 * again.
 *
 * ADD COLUMN and RENAME COLUMN (issue 20). SQLite's SQL has no control
 * flow outside triggers, and triggers cannot run DDL, so a statement cannot
 * ask whether a column exists and then alter. What does work is SQLite's
 * naming of result columns (sqlite3ColumnsFromExprList in select.c): in
 * `CREATE TABLE s AS SELECT *, 5 AS c FROM t`, when t has no column c the
 * result column `c` is the 5; when t already has c, t's own column keeps
 * the name `c` and the added one is renamed `c:1` (or `c:2`, ... when t
 * has a `c:1`). So `c` in s is always the right value: the default on a
 * first run, t's data on a second. The guarded script therefore replaces
 * the ALTERs of one table with a rebuild that copies through such a
 * snapshot: snapshot into a TEMP table, drop t, create t with its target
 * definition under its own name, copy back, remake t's indexes and
 * triggers. (The usual recipe creates the new table under a temporary name
 * and renames it, but that RENAME fails while a view names t, and the
 * views are kept here.) A renamed column p -> d is snapshotted as
 * `*, NULL AS p, NULL AS d` (both names exist on either run) and copied as
 * p when, before the drop, `pragma_table_xinfo` showed t had p, else d.
 *
 * The price: a guarded ADD COLUMN or RENAME COLUMN copies the whole table
 * twice (the plain script keeps the cheap ALTER). It is kept unguarded,
 * and named in the header, where the rebuild is not sound: a renamed
 * column whose old name the target still uses (a swap), a rowid table with
 * no name left for its rowid, or a table patchops has no target definition
 * for. A table another table references with an ON DELETE action is
 * rebuilt (here or by the diff's own rebuild) only with foreign keys off
 * (with them on, the drop would fire the action): the script checks and
 * otherwise stops with a one-line error (see foreignKeysOff). A rebuild (for another
 * change) that copies a renamed column reads it the same way, through
 * `(SELECT *, NULL AS p, NULL AS d FROM t)`, as t still exists then.
 *
 * @module
 */

import type { Change, Schema, Table } from "../model.ts";
import type { GuardedStatement } from "./model.ts";
import { printCreateIndex, printCreateTable } from "../sqlite/diff.ts";
import { quoteIdent as q, quoteString } from "../sqlite/quote.ts";

const ID = '("(?:[^"]|"")*")';

const NO_CONDITIONAL_ALTER = "SQLite has no conditional ALTER TABLE: a second run after this one succeeded fails " +
  "(the transaction then rolls back, changing nothing)";

/** One statement of the SQLite diff, guarded. */
function guardOne(sql: string, change: Change): GuardedStatement {
  const ok = (guarded: string): GuardedStatement => ({ sql: guarded, change });
  if (new RegExp(`^CREATE TABLE ${ID}`).test(sql)) {
    return ok(sql.replace(/^CREATE TABLE /, "CREATE TABLE IF NOT EXISTS "));
  }
  if (new RegExp(`^DROP (TABLE|INDEX|VIEW|TRIGGER) ${ID}$`).test(sql)) {
    return ok(sql.replace(/^DROP (TABLE|INDEX|VIEW|TRIGGER) /, "DROP $1 IF EXISTS "));
  }
  if (new RegExp(`^CREATE (UNIQUE )?INDEX ${ID}`).test(sql)) {
    return ok(sql.replace(/^CREATE (UNIQUE )?INDEX /, "CREATE $1INDEX IF NOT EXISTS "));
  }
  // Views, triggers and virtual tables are kept as written: insert IF NOT EXISTS after the object keyword.
  const vt = /^CREATE\s+VIRTUAL\s+TABLE\s+(?!IF\s+NOT\s+EXISTS\b)/i.exec(sql);
  if (vt) return ok(`${vt[0]}IF NOT EXISTS ${sql.slice(vt[0].length)}`);
  const m = /^CREATE\s+(?:(TEMP|TEMPORARY)\s+)?(VIEW|TRIGGER)\s+(?!IF\s+NOT\s+EXISTS\b)/i.exec(sql);
  if (m) return ok(`${m[0]}IF NOT EXISTS ${sql.slice(m[0].length)}`);
  if (/^CREATE\s+(?:(TEMP|TEMPORARY)\s+)?(VIEW|TRIGGER)\s+IF\s+NOT\s+EXISTS\b/i.test(sql)) return ok(sql);
  if (new RegExp(`^ALTER TABLE ${ID} (ADD COLUMN|RENAME) `).test(sql)) {
    return { sql, change, unguarded: NO_CONDITIONAL_ALTER };
  }
  return { sql, change, unguarded: "patchops has no guard for this statement" };
}

/** Names printed by quoteIdent, joined by ", ", or undefined when `text` is not such a list. */
function names(text: string): string[] | undefined {
  const list = [...text.matchAll(/"(?:[^"]|"")*"/g)].map((m) => m[0]);
  return list.join(", ") === text ? list : undefined;
}

/**
 * A rebuild's copy. When it reads a renamed column by its old name, a second run (which finds the new name) would
 * fail: it then reads through `(SELECT *, NULL AS old, NULL AS new FROM t)`, where both names exist on either run
 * and SQLite's naming of duplicate result columns (see the module comment) leaves t's own column under its name,
 * and takes the old one when `pragma_table_xinfo` shows t still has it.
 */
function copyStatement(insert: string, change: Change): GuardedStatement {
  const m = new RegExp(`^INSERT INTO (${ID}) \\((.*)\\) SELECT (.*) FROM (${ID})$`, "s").exec(insert);
  const into = m ? names(m[3]!) : undefined;
  const from = m ? names(m[4]!) : undefined;
  if (!m || !into || !from || into.length !== from.length) {
    return { sql: insert, change, unguarded: "a rebuild copy patchops does not know the shape of" };
  }
  if (into.every((x, i) => x === from[i])) return { sql: insert, change };
  const targets = new Set(into.map((x) => lower(unquote(x))));
  const source = m[5]!;
  const extra: string[] = [];
  const vals = into.map((to, i) => {
    const old = from[i]!;
    if (old === to) return old;
    extra.push(`NULL AS ${old}`, `NULL AS ${to}`);
    const has = `EXISTS (SELECT 1 FROM pragma_table_xinfo(${quoteString(unquote(source))}) WHERE name = ${
      quoteString(unquote(old))
    } COLLATE NOCASE)`;
    return `CASE WHEN ${has} THEN ${old} ELSE ${to} END`;
  });
  // A swap (the target still has a column of the old name) cannot tell the runs apart.
  if (from.some((old, i) => old !== into[i] && targets.has(lower(unquote(old))))) {
    return { sql: insert, change, unguarded: NO_CONDITIONAL_ALTER };
  }
  return {
    sql: `INSERT INTO ${m[1]} (${m[3]}) SELECT ${vals.join(", ")} FROM (SELECT *, ${extra.join(", ")} FROM ${source})`,
    change,
  };
}

/**
 * With foreign keys on, dropping a table fires the ON DELETE actions of the tables that reference it (a deferred
 * check does not stop them), and PRAGMA foreign_keys cannot change inside the transaction. So before a rebuild drops
 * such a table, the script stops with a one-line error (a CHECK named by its text) unless foreign keys are off.
 * Tables of the source count too: one the target drops still exists when the rebuild runs (drops come last).
 */
function foreignKeysOff(tables: string[], schemas: { from: Schema; to: Schema }, change: Change): GuardedStatement[] {
  const actions = ["CASCADE", "SET NULL", "SET DEFAULT"];
  const names = new Set(tables.map(lower));
  const referenced = [...schemas.to.tables, ...schemas.from.tables].some((t) =>
    !names.has(lower(t.name)) &&
    t.foreignKeys.some((fk) => names.has(lower(fk.refTable)) && actions.includes(fk.onDelete))
  );
  if (!referenced) return [];
  const check = 'temp."patchops_foreign_keys_off"';
  return [
    `DROP TABLE IF EXISTS ${check}`,
    `CREATE TABLE ${check} ("foreign_keys" INT, CONSTRAINT ${q(FOREIGN_KEYS_OFF)} CHECK ("foreign_keys" = 0))`,
    `INSERT INTO ${check} SELECT foreign_keys FROM pragma_foreign_keys`,
    `DROP TABLE ${check}`,
  ].map((sql) => ({ sql, change }));
}

/** The statements of a rebuild (create under a temporary name, copy, drop, rename), guarded. */
function guardRebuild(change: Change, schemas?: { from: Schema; to: Schema }): GuardedStatement[] {
  const parts = change.sql.split(/;\n(?=INSERT INTO |DROP TABLE |ALTER TABLE )/);
  const create = new RegExp(`^CREATE TABLE ${ID}`).exec(parts[0] ?? "");
  if (parts.length !== 4 || !create) {
    return [{ sql: change.sql, change, unguarded: "a rebuild patchops does not know the shape of" }];
  }
  const tmp = create[1]!;
  const [, insert, drop, rename] = parts as [string, string, string, string];
  const dropped = new RegExp(`^DROP TABLE (${ID})$`).exec(drop);
  return [
    ...(schemas
      ? foreignKeysOff([change.table ?? "", ...(dropped ? [unquote(dropped[1]!)] : [])], schemas, change)
      : []),
    // A temporary table left by an earlier run that stopped outside a transaction.
    { sql: `DROP TABLE IF EXISTS ${tmp}`, change },
    { sql: parts[0]!, change },
    copyStatement(insert, change),
    { sql: drop, change },
    { sql: rename, change },
  ];
}

const lower = (s: string) => s.toLowerCase();

/** The error a guarded rebuild of a table referenced with ON DELETE actions stops with when foreign keys are on. */
export const FOREIGN_KEYS_OFF = "this script rebuilds a table that others reference with ON DELETE actions: " +
  "run it with PRAGMA foreign_keys = OFF (the sqlite3 client's default)";

/** The name inside a double-quoted identifier as patchops prints it. */
const unquote = (id: string) => id.slice(1, -1).replaceAll('""', '"');

/**
 * The ADD COLUMN and RENAME COLUMN changes of one table as one rebuild that
 * may run again (see the module comment), or a reason it cannot be.
 */
function guardAlters(
  changes: Change[],
  table: string,
  schemas: { from: Schema; to: Schema },
): GuardedStatement[] | string {
  const last = changes[changes.length - 1]!;
  const des = schemas.to.tables.find((t) => lower(t.name) === lower(table));
  if (!des) return "patchops has no target definition for the table";
  const renames = new Map<string, string>(); // lower-case new name -> old name
  for (const c of changes.filter((x) => x.kind === "rename_column")) {
    const m = new RegExp(`^ALTER TABLE ${ID} RENAME COLUMN ${ID} TO ${ID}$`).exec(c.sql);
    if (!m) return "a column rename patchops does not know the shape of";
    renames.set(lower(unquote(m[3]!)), unquote(m[2]!));
  }
  const names = new Set(des.columns.map((c) => lower(c.name)));
  for (const old of renames.values()) {
    if (names.has(lower(old))) return "the target still has a column of the renamed column's old name";
  }
  const added = des.columns.slice(des.columns.length - changes.filter((x) => x.kind === "add_column").length);
  const withoutRowid = des.options.other["WITHOUT ROWID"] !== undefined;
  // A rowid table keeps its rowids, as ALTER TABLE does, through a name no column of it has.
  const taken = new Set([...names, ...[...renames.values()].map(lower)]);
  const rowid = withoutRowid ? undefined : ["rowid", "_rowid_", "oid"].find((n) => !taken.has(n));
  if (!withoutRowid && rowid === undefined) return "every name of the table's rowid is a column name";
  const fresh = (base: string) => {
    let name = base;
    for (let n = 2; taken.has(lower(name)); n++) name = `${base}_${n}`;
    taken.add(lower(name));
    return name;
  };
  const snap = `temp.${q(fresh(`patchops_snapshot_${des.name}`))}`;
  const flags = `temp.${q(fresh(`patchops_flags_${des.name}`))}`;
  const rowidAs = rowid === undefined ? undefined : fresh("patchops_rowid");
  const autoIncrement = des.columns.some((c) => c.autoIncrement);
  const name = quoteString(des.name);
  // Defaults of columns ADD COLUMN can append are literals: what a first run gives the existing rows.
  const extra = added.filter((c) => !c.generated).map((c) => {
    const d = c.default;
    const value = d === undefined
      ? "NULL"
      : d.kind === "literal"
      ? (d.quoted ? quoteString(d.value) : d.value)
      : `(${d.sql})`;
    return `${value} AS ${q(c.name)}`;
  });
  for (const [to, from] of renames) {
    extra.push(
      `NULL AS ${q(from)}`,
      `NULL AS ${q(des.columns.find((c) => lower(c.name) === to)!.name)}`,
    );
  }
  if (rowidAs) extra.push(`${rowid} AS ${q(rowidAs)}`);
  const flagCols = [...renames.values()].map((from, i) =>
    `EXISTS (SELECT 1 FROM pragma_table_xinfo(${name}) WHERE name = ${quoteString(from)} COLLATE NOCASE) AS "r${i}"`
  );
  if (autoIncrement) flagCols.push(`(SELECT seq FROM sqlite_sequence WHERE name = ${name} COLLATE NOCASE) AS "seq"`);
  const renameIndex = new Map([...renames.keys()].map((k, i) => [k, i]));
  const copy = des.columns.filter((c) => !c.generated);
  const value = (c: Table["columns"][number]) => {
    const i = renameIndex.get(lower(c.name));
    return i === undefined
      ? q(c.name)
      : `CASE WHEN (SELECT "r${i}" FROM ${flags}) THEN ${q(renames.get(lower(c.name))!)} ELSE ${q(c.name)} END`;
  };
  const cols = [...(rowidAs ? [rowid!] : []), ...copy.map((c) => q(c.name))];
  const vals = [...(rowidAs ? [q(rowidAs)] : []), ...copy.map(value)];
  const st = (sql: string): GuardedStatement => ({ sql, change: last });
  const out: GuardedStatement[] = foreignKeysOff([des.name], schemas, last);
  out.push(
    st(`DROP TABLE IF EXISTS ${snap}`),
    st(`DROP TABLE IF EXISTS ${flags}`),
    st(`CREATE TABLE ${flags} AS SELECT ${flagCols.length ? flagCols.join(", ") : '0 AS "none"'}`),
    st(`CREATE TABLE ${snap} AS SELECT *, ${extra.join(", ")} FROM ${q(des.name)}`),
    // With foreign keys on, the drop deletes t's rows first: checked at COMMIT, the copy has put them back.
    st("PRAGMA defer_foreign_keys = ON"),
    st(`DROP TABLE ${q(des.name)}`),
    st(printCreateTable(des)),
    st(`INSERT INTO ${q(des.name)} (${cols.join(", ")}) SELECT ${vals.join(", ")} FROM ${snap}`),
  );
  if (autoIncrement) {
    // Dropping the table dropped its sqlite_sequence row: a deleted top id must not be handed out again.
    out.push(
      st(
        `INSERT INTO sqlite_sequence (name, seq) SELECT ${name}, 0 FROM ${flags} WHERE "seq" IS NOT NULL AND ` +
          `NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ${name})`,
      ),
      st(`UPDATE sqlite_sequence SET seq = max(seq, (SELECT "seq" FROM ${flags})) WHERE name = ${name}`),
    );
  }
  for (const idx of des.indexes.filter((i) => !i.implicit)) {
    out.push({ ...guardOne(printCreateIndex(idx, des.name), last), change: last });
  }
  for (const t of schemas.to.triggers.filter((x) => lower(x.table) === lower(des.name))) {
    out.push({ ...guardOne(t.sql.replace(/;\s*$/, ""), last), body: true });
  }
  out.push(st(`DROP TABLE ${snap}`), st(`DROP TABLE ${flags}`));
  return out;
}

/** The schema guarded table renames attach (see guardRename). */
const RENAME_SCHEMA = q("patchops_rename_guard");

/**
 * A table rename that may run again. SQLite has no conditional ALTER TABLE, but it looks an unqualified table
 * name up in TEMP, then in main, then in attached databases in the order attached (sqlite3FindTable in build.c).
 * So the script attaches an empty in-memory database, each guarded rename makes a placeholder table of the old
 * name there, and the rename runs unchanged: on a first run main has the old table, found before the
 * placeholder, and is renamed (its references in other tables, views and triggers with it); on a second run main
 * no longer has it, and the placeholder is renamed instead, in its own schema, touching nothing of main's. The
 * database is attached inside the script's transaction and detached after its COMMIT (SQLite refuses to detach
 * a database written in an open transaction), which drops the placeholders; a run stopped in between leaves it
 * attached to that connection only, where a new ATTACH fails and changes nothing, and a client's next run is a
 * new connection. Not sound, and so kept unguarded, when main has a table or view of the old name on the second
 * run (the target has one): the rename would find that one.
 */
function guardRename(change: Change, schemas?: { from: Schema; to: Schema }): GuardedStatement[] {
  const m = new RegExp(`^ALTER TABLE (${ID}) RENAME TO ${ID}$`).exec(change.sql);
  if (!m) return [{ sql: change.sql, change, unguarded: "a table rename patchops does not know the shape of" }];
  if (!schemas) return [{ sql: change.sql, change, unguarded: NO_CONDITIONAL_ALTER }];
  const old = lower(unquote(m[1]!));
  if ([...schemas.to.tables, ...schemas.to.views].some((t) => lower(t.name) === old)) {
    return [{
      sql: change.sql,
      change,
      unguarded: `${NO_CONDITIONAL_ALTER}; the target has a table or view of the old name, which a second run ` +
        "would rename",
    }];
  }
  return [
    { sql: `CREATE TABLE IF NOT EXISTS ${RENAME_SCHEMA}.${m[1]} ("patchops_placeholder" INT)`, change },
    { sql: change.sql, change },
  ];
}

/** What {@linkcode guardSqliteChanges} gives: the statements, and those that run after the transaction. */
export interface GuardedSqlite {
  statements: GuardedStatement[];
  /** Statements that run after the COMMIT (the DETACH of guarded renames). */
  after: GuardedStatement[];
}

/**
 * Rewrites the changes of a SQLite diff as guarded statements, in order. A
 * statement patchops cannot guard is kept as it is, with the reason in
 * `unguarded`. With the schemas, the ADD COLUMN and RENAME COLUMN changes
 * of a table become one rebuild that may run again, where the last of them
 * stood (see the module comment).
 */
export function guardSqliteChanges(changes: Change[], schemas?: { from: Schema; to: Schema }): GuardedSqlite {
  const alters = new Map<string, Change[]>();
  for (const c of changes) {
    if ((c.kind === "add_column" || c.kind === "rename_column") && c.table !== undefined) {
      alters.set(lower(c.table), [...(alters.get(lower(c.table)) ?? []), c]);
    }
  }
  const out: GuardedStatement[] = [];
  let attached: Change | undefined;
  for (const change of changes) {
    const group = change.table === undefined ? undefined : alters.get(lower(change.table));
    if (schemas && group?.includes(change)) {
      if (change !== group[group.length - 1]) continue;
      const rebuilt = guardAlters(group, change.table!, schemas);
      if (typeof rebuilt !== "string") {
        out.push(...rebuilt);
        continue;
      }
      for (const c of group) out.push({ sql: c.sql, change: c, unguarded: `${NO_CONDITIONAL_ALTER}; ${rebuilt}` });
      continue;
    }
    if (change.kind === "rebuild_table") out.push(...guardRebuild(change, schemas));
    else if (change.kind === "rename_table") {
      const guarded = guardRename(change, schemas);
      if (!attached && guarded.length > 1) {
        attached = change;
        out.push({ sql: `ATTACH DATABASE ':memory:' AS ${RENAME_SCHEMA}`, change });
      }
      out.push(...guarded);
    } else {
      const g = guardOne(change.sql, change);
      out.push(change.kind === "create_trigger" ? { ...g, body: true } : g);
    }
  }
  return { statements: out, after: attached ? [{ sql: `DETACH DATABASE ${RENAME_SCHEMA}`, change: attached }] : [] };
}
