/**
 * Guards for PostgreSQL scripts. PostgreSQL has `IF [NOT] EXISTS` on
 * CREATE/DROP TABLE, INDEX, EXTENSION, on ADD/DROP COLUMN, DROP CONSTRAINT
 * and ALTER TABLE ... RENAME TO; what it lacks (ADD CONSTRAINT, RENAME
 * COLUMN) runs in a `DO` block that asks the catalog first. DDL is
 * transactional, so the whole script also runs in one transaction: a run
 * that stops changes nothing, and the guards cover a script whose
 * statements were run one by one (a client in autocommit, a tool that
 * splits the script).
 *
 * @module
 */

import type { Change } from "../model.ts";
import { splitStatements } from "../split.ts";
import type { GuardedStatement } from "./model.ts";

const ID = '("(?:[^"]|"")*")';

/** The name inside a double-quoted identifier. */
function unquote(ident: string): string {
  return ident.slice(1, -1).replaceAll('""', '"');
}

/**
 * A string literal that reads the same whatever standard_conforming_strings
 * says: with it off, a backslash in a plain literal escapes the next
 * character, so a name holding `\'` would end the literal early. An E''
 * literal always reads backslash escapes.
 */
function literal(value: string): string {
  if (!value.includes("\\")) return `'${value.replaceAll("'", "''")}'`;
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

const TAG = "$patchops$";

/** `statement` run only when `condition` holds, in a DO block (dollar-quoted: the text must not hold the tag). */
function doIf(condition: string, statement: string): string | undefined {
  if (statement.includes(TAG) || condition.includes(TAG)) return undefined;
  return `DO ${TAG} BEGIN IF ${condition} THEN ${statement}; END IF; END ${TAG}`;
}

/** A column of table `table` (a quoted identifier) exists. */
function columnExists(table: string, column: string): string {
  return `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${literal(table)}) AND attname = ${
    literal(column)
  } AND attnum > 0 AND NOT attisdropped)`;
}

/** A constraint named `name` exists on table `table` (a quoted identifier). */
function constraintExists(table: string, name: string): string {
  return `EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(${literal(table)}) AND conname = ${
    literal(name)
  })`;
}

/** One statement of the PostgreSQL diff, guarded. */
function guardOne(sql: string, change: Change): GuardedStatement {
  let m: RegExpExecArray | null;
  const ok = (guarded: string): GuardedStatement => ({ sql: guarded, change });
  const block = (condition: string, stmt: string): GuardedStatement => {
    const text = doIf(condition, stmt);
    return text === undefined
      ? { sql, change, unguarded: `the statement holds ${TAG}, which quotes the DO block` }
      : { sql: text, change, body: true };
  };
  if (/^CREATE TABLE "/.test(sql)) return ok(sql.replace(/^CREATE TABLE /, "CREATE TABLE IF NOT EXISTS "));
  if (/^DROP TABLE "/.test(sql)) return ok(sql.replace(/^DROP TABLE /, "DROP TABLE IF EXISTS "));
  if (/^CREATE (UNIQUE )?INDEX "/.test(sql)) {
    return ok(sql.replace(/^CREATE (UNIQUE )?INDEX /, "CREATE $1INDEX IF NOT EXISTS "));
  }
  if (/^DROP INDEX "/.test(sql)) return ok(sql.replace(/^DROP INDEX /, "DROP INDEX IF EXISTS "));
  if (/^(CREATE EXTENSION IF NOT EXISTS|DROP VIEW IF EXISTS|COMMENT ON) /.test(sql)) return ok(sql);
  if (/^DROP EXTENSION "/.test(sql)) return ok(sql.replace(/^DROP EXTENSION /, "DROP EXTENSION IF EXISTS "));
  // Views are dropped before and made again; on a second run the view is already the target one.
  if (/^CREATE VIEW /i.test(sql)) return ok(sql.replace(/^CREATE VIEW /i, "CREATE OR REPLACE VIEW "));
  if ((m = new RegExp(`^ALTER TABLE ${ID} (.*)$`, "s").exec(sql))) {
    const table = m[1]!;
    const rest = m[2]!;
    const head = `ALTER TABLE ${table}`;
    if (/^RENAME TO /.test(rest)) return ok(`ALTER TABLE IF EXISTS ${table} ${rest}`);
    if (/^ADD COLUMN /.test(rest)) return ok(`${head} ADD COLUMN IF NOT EXISTS ${rest.slice("ADD COLUMN ".length)}`);
    if (/^DROP COLUMN /.test(rest)) return ok(`${head} DROP COLUMN IF EXISTS ${rest.slice("DROP COLUMN ".length)}`);
    // Drops name the table as it was: after a rename, a second run finds no such table and has nothing to drop.
    if (/^DROP CONSTRAINT /.test(rest)) {
      return ok(`ALTER TABLE IF EXISTS ${table} DROP CONSTRAINT IF EXISTS ${rest.slice("DROP CONSTRAINT ".length)}`);
    }
    let n: RegExpExecArray | null;
    if ((n = new RegExp(`^ADD CONSTRAINT ${ID} `).exec(rest))) {
      return block(`NOT ${constraintExists(table, unquote(n[1]!))}`, sql);
    }
    if ((n = new RegExp(`^RENAME COLUMN ${ID} TO ${ID}$`).exec(rest))) {
      // Once the new name exists the rename is done, even where a new column took the old name since.
      return block(`${columnExists(table, unquote(n[1]!))} AND NOT ${columnExists(table, unquote(n[2]!))}`, sql);
    }
    let k: RegExpExecArray | null;
    // An identity added once is there: adding it again fails, so it is asked for first. Likewise DROP DEFAULT,
    // which fails on an identity column (a serial made an identity, run again).
    if (
      (k = new RegExp(`^ALTER COLUMN ${ID} (ADD GENERATED (ALWAYS|BY DEFAULT) AS IDENTITY|DROP DEFAULT)$`).exec(rest))
    ) {
      const identity = `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${
        literal(table)
      }) AND attname = ${literal(unquote(k[1]!))} AND attidentity <> '')`;
      return block(`NOT ${identity}`, sql);
    }
    if (new RegExp(`^ALTER COLUMN ${ID} DROP IDENTITY$`).test(rest)) return ok(`${sql} IF EXISTS`);
    // Switching an identity's kind, or a table's logging, to what it already is changes nothing.
    if (new RegExp(`^(ALTER COLUMN ${ID} SET GENERATED (ALWAYS|BY DEFAULT)|SET (UN)?LOGGED)$`).test(rest)) {
      return ok(sql);
    }
    // Setting a type, default or NOT NULL again to what it already is changes nothing.
    if (new RegExp(`^ALTER COLUMN ${ID} (TYPE |SET DEFAULT |DROP DEFAULT$|SET NOT NULL$|DROP NOT NULL$)`).test(rest)) {
      return ok(sql);
    }
  }
  // A sequence is dropped while it is there and not an identity's own (which, after a serial was made an
  // identity, has the serial sequence's name).
  if ((m = new RegExp(`^DROP SEQUENCE ${ID}$`).exec(sql))) {
    return block(
      `EXISTS (SELECT 1 FROM pg_class s WHERE s.oid = to_regclass(${literal(m[1]!)}) AND NOT EXISTS (
        SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'i'))`,
      sql,
    );
  }
  // Moving an identity's sequence past the highest value again moves it to the same place.
  if (
    new RegExp(
      `^SELECT setval\\(pg_get_serial_sequence\\('${ID}', '[^']*'\\), coalesce\\(max\\(${ID}\\), 0\\) \\+ 1, false\\) FROM ${ID}$`,
    ).test(sql)
  ) {
    return ok(sql);
  }
  if ((m = new RegExp(`^ALTER DOMAIN ${ID} DROP CONSTRAINT (${ID})$`).exec(sql))) {
    return ok(`ALTER DOMAIN ${m[1]!} DROP CONSTRAINT IF EXISTS ${m[2]!}`);
  }
  if ((m = new RegExp(`^ALTER DOMAIN ${ID} ADD CONSTRAINT ${ID} `).exec(sql))) {
    return block(
      `NOT EXISTS (SELECT 1 FROM pg_constraint WHERE contypid = to_regtype(${literal(m[1]!)}) AND conname = ${
        literal(unquote(m[2]!))
      })`,
      sql,
    );
  }
  // Only the type's own name is read: " ADD VALUE " inside a quoted name must not be taken for the clause.
  if ((m = new RegExp(`^(ALTER TYPE (?:${ID}\\.)?${ID} ADD VALUE )(?!IF NOT EXISTS )`).exec(sql))) {
    return {
      sql: `${m[1]!}IF NOT EXISTS ${sql.slice(m[0].length)}`,
      change,
      noTransaction: "before PostgreSQL 12 ALTER TYPE ... ADD VALUE cannot run in a transaction",
    };
  }
  if (new RegExp(`^ALTER TYPE (?:${ID}\\.)?${ID} ADD VALUE IF NOT EXISTS `).test(sql)) {
    return { sql, change, noTransaction: "before PostgreSQL 12 ALTER TYPE ... ADD VALUE cannot run in a transaction" };
  }
  const concurrently = "CONCURRENTLY cannot run in a transaction";
  if ((m = /^(CREATE (?:UNIQUE )?INDEX CONCURRENTLY |DROP INDEX CONCURRENTLY )(?!IF )/.exec(sql))) {
    const guard = m[1]!.startsWith("CREATE") ? "IF NOT EXISTS " : "IF EXISTS ";
    return { sql: `${m[1]!}${guard}${sql.slice(m[0].length)}`, change, noTransaction: concurrently };
  }
  if (/^(CREATE (UNIQUE )?INDEX CONCURRENTLY IF NOT EXISTS|DROP INDEX CONCURRENTLY IF EXISTS) /.test(sql)) {
    return { sql, change, noTransaction: concurrently };
  }
  // CONCURRENTLY elsewhere (or in a literal): kept out of the transaction, but not claimed to be guarded.
  if (/ CONCURRENTLY /i.test(sql)) {
    return { sql, change, noTransaction: concurrently, unguarded: "patchops has no guard for this statement" };
  }
  return { sql, change, unguarded: "patchops has no guard for this statement" };
}

/**
 * Whether `text` ends outside any string, quoted name, dollar quote or
 * comment: a statement that follows it starts a statement of its own.
 */
function endsAtTopLevel(text: string): boolean {
  try {
    const { statements } = splitStatements(`${text};\nSELECT 1`, { dialect: "postgres" });
    return statements.at(-1)?.text === "SELECT 1";
  } catch {
    return false;
  }
}

/**
 * The statements of a change made of several, split where the diff joined
 * them. A `;\n` followed by ALTER TABLE inside a literal (a default or a
 * CHECK written by the schema's author) is not a split: cut there, the rest
 * of the literal would run as statements of its own.
 */
function statementsOf(sql: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const part of sql.split(/;\n(?=ALTER TABLE )/)) {
    current = current === undefined ? part : `${current};\n${part}`;
    if (endsAtTopLevel(current)) {
      out.push(current);
      current = undefined;
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}

/**
 * Rewrites the changes of a PostgreSQL diff as guarded statements, in order.
 * A change made of several statements gives several; a statement patchops
 * cannot guard is kept as it is, with the reason in `unguarded`.
 */
export function guardPostgresChanges(changes: Change[]): GuardedStatement[] {
  const out: GuardedStatement[] = [];
  for (const change of changes) {
    const parts = statementsOf(change.sql);
    const guarded = parts.map((sql) => guardOne(sql, change));
    if (parts.length > 1 && change.kind === "modify_column" && change.destructive) {
      // A column recreated (identity, serial, generated): each step may run again, but a second run
      // recreates the column once more and loses what was written to it since.
      guarded[0] = { ...guarded[0]!, unguarded: "a second run recreates the column again, losing its values again" };
    }
    out.push(...guarded);
  }
  return out;
}
