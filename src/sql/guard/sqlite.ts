/**
 * Guards for SQLite scripts. SQLite has `IF [NOT] EXISTS` on CREATE and
 * DROP of tables, indexes, views and triggers, and nothing else: no
 * conditional ALTER TABLE and no procedural block to ask the catalog first.
 * So the script runs in one transaction (a run that stops anywhere leaves
 * the database as it was, and the next run starts from the beginning), the
 * rebuild recipe drops a temporary table an earlier run outside a
 * transaction may have left, and the statements that fail when run on a
 * database that already has them (ADD COLUMN, RENAME, a rebuild that copies
 * from a renamed column) are named in the header: run such a script once;
 * if it fails, nothing was changed and it can run again.
 *
 * Ways to make a second run of ADD COLUMN or RENAME succeed were weighed
 * (issue 20) and none is sound: SQLite's SQL has no control flow outside
 * triggers, and triggers cannot run DDL; a rebuild copying `SELECT *` or the
 * new column by name fails on one of the two runs, and one that leaves the
 * column out resets its data on every run; a name that may be missing can
 * be read only through the double-quoted-string misfeature, which turns it
 * into a string; editing `sqlite_schema` under `PRAGMA writable_schema`
 * needs a `schema_version` bump that takes only a literal (unknown to a
 * script) and is refused in defensive mode. So they stay named in the header.
 *
 * @module
 */

import type { Change } from "../model.ts";
import type { GuardedStatement } from "./model.ts";

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

/** The statements of a rebuild (create under a temporary name, copy, drop, rename), guarded. */
function guardRebuild(change: Change): GuardedStatement[] {
  const parts = change.sql.split(/;\n(?=INSERT INTO |DROP TABLE |ALTER TABLE )/);
  const create = new RegExp(`^CREATE TABLE ${ID}`).exec(parts[0] ?? "");
  if (parts.length !== 4 || !create) {
    return [{ sql: change.sql, change, unguarded: "a rebuild patchops does not know the shape of" }];
  }
  const tmp = create[1]!;
  const [, insert, drop, rename] = parts as [string, string, string, string];
  // The copy reads the old table by its old column names: a second run finds the new names and fails.
  const cols = /\) SELECT (.*) FROM "(?:[^"]|"")*"$/s.exec(insert);
  const into = /^INSERT INTO "(?:[^"]|"")*" \((.*)\) SELECT /s.exec(insert);
  const renamesColumns = cols !== null && into !== null && cols[1] !== into[1];
  return [
    // A temporary table left by an earlier run that stopped outside a transaction.
    { sql: `DROP TABLE IF EXISTS ${tmp}`, change },
    { sql: parts[0]!, change },
    renamesColumns ? { sql: insert, change, unguarded: NO_CONDITIONAL_ALTER } : { sql: insert, change },
    { sql: drop, change },
    { sql: rename, change },
  ];
}

/**
 * Rewrites the changes of a SQLite diff as guarded statements, in order. A
 * statement patchops cannot guard is kept as it is, with the reason in
 * `unguarded`.
 */
export function guardSqliteChanges(changes: Change[]): GuardedStatement[] {
  const out: GuardedStatement[] = [];
  for (const change of changes) {
    if (change.kind === "rebuild_table") out.push(...guardRebuild(change));
    else {
      const g = guardOne(change.sql, change);
      out.push(change.kind === "create_trigger" ? { ...g, body: true } : g);
    }
  }
  return out;
}
