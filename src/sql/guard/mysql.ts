/**
 * Guards for MariaDB and MySQL 8 scripts: each statement of a diff is
 * rewritten so that running it again, after it or a later statement already
 * ran, does nothing wrong.
 *
 * - MariaDB has `IF [NOT] EXISTS` on nearly every clause (columns, indexes,
 *   constraints, foreign keys, RENAME TABLE/INDEX) and `CREATE OR REPLACE`
 *   for triggers and routines; an ALTER TABLE keeps all its clauses, each
 *   guarded, so that it stays one atomic statement.
 * - MySQL 8 has none of the clause guards: each ALTER TABLE is built at run
 *   time from the clauses whose `information_schema` check says they are
 *   still to do (`CONCAT_WS` of `IF(check, 'clause', NULL)`), then run as a
 *   prepared statement. Clauses stay in one ALTER rather than one per
 *   statement because some must go together (an AUTO_INCREMENT column and
 *   its key, a changed index dropped and added), and one ALTER is atomic.
 *
 * A name dropped and added in the same ALTER (a changed index, check or
 * generated column) is dropped if it exists and added unconditionally: on a
 * second run it is rebuilt, which reaches the same target. The one clause
 * pair whose second run would lose data (a VIRTUAL column turned into a plain
 * one) runs only while the column is still VIRTUAL.
 *
 * @module
 */

import type { Change } from "../model.ts";
import { topLevelItems } from "../_ddl.ts";
import type { GuardedStatement } from "./model.ts";

/**
 * A string literal that reads the same whatever the server's sql_mode:
 * quotes doubled rather than backslash-escaped (with NO_BACKSLASH_ESCAPES,
 * `\'` would end the literal and let a name from the schema file write
 * SQL), and text holding a backslash written as a hex literal, which no
 * mode reads differently. Hand-written: the mysql2 escaper always uses
 * backslashes.
 */
function literal(value: string): string {
  if (!value.includes("\\")) return `'${value.replaceAll("'", "''")}'`;
  const hex = Array.from(new TextEncoder().encode(value), (b) => b.toString(16).padStart(2, "0")).join("");
  return `_utf8mb4 X'${hex}'`;
}

/** Which server the guarded script is for. */
export type MysqlFlavor = "mariadb" | "mysql";

const ID = "(`(?:[^`]|``)*`)";

/** The name inside a backtick-quoted identifier. */
function unquote(ident: string): string {
  return ident.slice(1, -1).replaceAll("``", "`");
}

type Space = "column" | "index" | "constraint";

interface Clause {
  sql: string;
  op: "add" | "drop" | "modify" | "change" | "rename" | "remove_partitioning" | "always";
  space?: Space;
  name?: string;
  /** ADD PRIMARY KEY. */
  primary?: boolean;
  /** The new name of a renamed column or index. */
  to?: string;
}

/** Reads one ALTER TABLE clause as printed by the MySQL diff. */
function classify(sql: string): Clause | undefined {
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^ADD COLUMN ${ID}`).exec(sql))) return { sql, op: "add", space: "column", name: unquote(m[1]!) };
  if ((m = new RegExp(`^DROP COLUMN ${ID}$`).exec(sql))) {
    return { sql, op: "drop", space: "column", name: unquote(m[1]!) };
  }
  if ((m = new RegExp(`^MODIFY COLUMN ${ID}`).exec(sql))) {
    return { sql, op: "modify", space: "column", name: unquote(m[1]!) };
  }
  if ((m = new RegExp(`^CHANGE COLUMN ${ID} ${ID}`).exec(sql))) {
    return { sql, op: "change", space: "column", name: unquote(m[1]!), to: unquote(m[2]!) };
  }
  if (/^ADD PRIMARY KEY /.test(sql)) return { sql, op: "add", space: "index", name: "PRIMARY", primary: true };
  if ((m = new RegExp(`^ADD (?:UNIQUE |FULLTEXT |SPATIAL )?KEY ${ID}`).exec(sql))) {
    return { sql, op: "add", space: "index", name: unquote(m[1]!) };
  }
  if (sql === "DROP PRIMARY KEY") return { sql, op: "drop", space: "index", name: "PRIMARY" };
  if ((m = new RegExp(`^DROP INDEX ${ID}$`).exec(sql))) {
    return { sql, op: "drop", space: "index", name: unquote(m[1]!) };
  }
  if ((m = new RegExp(`^RENAME INDEX ${ID} TO ${ID}$`).exec(sql))) {
    return { sql, op: "rename", space: "index", name: unquote(m[1]!), to: unquote(m[2]!) };
  }
  if (new RegExp(`^ALTER INDEX ${ID} (NOT )?IGNORED$`).test(sql)) return { sql, op: "always" };
  if ((m = new RegExp(`^ADD CONSTRAINT ${ID} (CHECK|FOREIGN KEY) `).exec(sql))) {
    return { sql, op: "add", space: "constraint", name: unquote(m[1]!) };
  }
  if ((m = new RegExp(`^DROP (?:CONSTRAINT|FOREIGN KEY) ${ID}$`).exec(sql))) {
    return { sql, op: "drop", space: "constraint", name: unquote(m[1]!) };
  }
  if (sql === "REMOVE PARTITIONING") return { sql, op: "remove_partitioning" };
  // Setting table options or partitioning again to the same values changes nothing.
  if (/^PARTITION BY /.test(sql) || /^(?:[A-Z_]+(?: [A-Z_]+)?)=/.test(sql)) return { sql, op: "always" };
  return undefined;
}

/** Where the MySQL client needs a DELIMITER around a statement. */
function hasBody(c: Change): boolean {
  return (c.kind === "create_trigger" || c.kind === "create_routine") && c.sql.includes(";");
}

/** `information_schema` checks, evaluated on the server when the statement runs. */
function exists(space: Space | "table" | "partitioned" | "virtual", table: string, name = ""): string {
  const where = `TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${literal(table)}`;
  switch (space) {
    case "table":
      return `EXISTS (SELECT 1 FROM information_schema.TABLES WHERE ${where})`;
    case "column":
      return `EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE ${where} AND COLUMN_NAME = ${literal(name)})`;
    case "virtual":
      return `EXISTS (SELECT 1 FROM information_schema.COLUMNS WHERE ${where} AND COLUMN_NAME = ${
        literal(name)
      } AND EXTRA = 'VIRTUAL GENERATED')`;
    case "index":
      return `EXISTS (SELECT 1 FROM information_schema.STATISTICS WHERE ${where} AND INDEX_NAME = ${literal(name)})`;
    case "constraint":
      return `EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE ${where} AND CONSTRAINT_NAME = ${
        literal(name)
      })`;
    case "partitioned":
      return `EXISTS (SELECT 1 FROM information_schema.PARTITIONS WHERE ${where} AND PARTITION_NAME IS NOT NULL)`;
  }
}

/**
 * A statement built at run time: the clauses whose condition holds, joined
 * into one ALTER TABLE (or `DO 0` when none is left), run as a prepared
 * statement. Every step may run again: each SET recomputes from the catalog.
 */
function dynamicAlter(head: string, items: { when?: string; sql: string }[], change: Change) {
  const parts = items.map((i) => i.when === undefined ? literal(i.sql) : `IF(${i.when}, ${literal(i.sql)}, NULL)`);
  const stmts = [
    `SET @patchops_ddl = CONCAT_WS(', ', ${parts.join(", ")})`,
    `SET @patchops_ddl = IF(@patchops_ddl = '', 'DO 0', CONCAT(${literal(head + " ")}, @patchops_ddl))`,
    "PREPARE patchops_ddl FROM @patchops_ddl",
    "EXECUTE patchops_ddl",
    "DEALLOCATE PREPARE patchops_ddl",
  ];
  return stmts.map((sql): GuardedStatement => ({ sql, change }));
}

function guardAlter(change: Change, flavor: MysqlFlavor): GuardedStatement[] {
  const m = new RegExp(`^ALTER TABLE ${ID}\\s+`).exec(change.sql);
  if (!m) return [{ sql: change.sql, change, unguarded: "not an ALTER TABLE patchops knows how to guard" }];
  const table = unquote(m[1]!);
  const head = `ALTER TABLE ${m[1]!}`;
  const rest = change.sql.slice(m[0].length);
  const { items } = topLevelItems(rest, 0, { backslashEscapes: true });
  const clauses: Clause[] = [];
  for (const [from, to] of items) {
    const text = rest.slice(from, to).trim();
    const c = classify(text);
    if (!c) return [{ sql: change.sql, change, unguarded: `clause "${text.slice(0, 40)}" has no known guard` }];
    clauses.push(c);
  }
  const key = (c: Clause) => `${c.space}:${c.name!.toLowerCase()}`;
  const dropped = new Set(clauses.filter((c) => c.op === "drop").map(key));
  const paired = (c: Clause) => c.op === "add" && dropped.has(key(c));

  // A VIRTUAL column turned into a plain one: a second run would empty the column again.
  const virtualToPlain = change.kind === "modify_column" && clauses.length === 2 && clauses[0]!.op === "drop" &&
    clauses[1]!.op === "add" && paired(clauses[1]!) && change.destructive !== undefined;
  if (virtualToPlain) {
    const col = clauses[0]!.name!;
    return dynamicAlter(head, [
      { when: exists("virtual", table, col), sql: clauses[0]!.sql },
      { when: exists("virtual", table, col), sql: clauses[1]!.sql },
    ], change);
  }

  // A column renamed and its old name added again (b was a, a is new): once both exist, neither may run
  // again. MariaDB's IF [NOT] EXISTS cannot say that, so such an ALTER takes the MySQL 8 form there too.
  const at = (space: Space | "partitioned", name?: string) => exists(space, table, name);
  const renaming = clauses.filter((c) => c.to !== undefined);
  const renameDue = (r: Clause) =>
    r.name!.toLowerCase() === r.to!.toLowerCase()
      ? at(r.space!, r.name!)
      : `(${at(r.space!, r.name!)} AND NOT ${at(r.space!, r.to!)})`;
  const renamedAway = (c: Clause) => renaming.find((r) => key(r) === key(c));
  if (flavor === "mysql" || clauses.some((c) => c.op === "add" && renamedAway(c))) {
    const items = clauses.map((c) => {
      switch (c.op) {
        case "add": {
          if (paired(c)) return { sql: c.sql };
          const r = renamedAway(c);
          const missing = `NOT ${at(c.space!, c.name!)}`;
          return { when: r ? `(${missing} OR ${renameDue(r)})` : missing, sql: c.sql };
        }
        case "change":
        case "rename":
          return { when: renameDue(c), sql: c.sql };
        case "drop":
        case "modify":
          return { when: at(c.space!, c.name!), sql: c.sql };
        case "remove_partitioning":
          return { when: at("partitioned"), sql: c.sql };
        default:
          return { sql: c.sql };
      }
    });
    if (items.every((i) => i.when === undefined)) return [{ sql: change.sql, change }];
    return dynamicAlter(head, items, change);
  }

  if (clauses.some((c) => c.op === "remove_partitioning")) {
    return dynamicAlter(
      head,
      clauses.map((c) => c.op === "remove_partitioning" ? { when: exists("partitioned", table), sql: c.sql } : c),
      change,
    );
  }
  const guarded = clauses.map((c) => {
    switch (c.op) {
      case "add":
        if (c.primary) return paired(c) ? c.sql : `DROP INDEX IF EXISTS \`PRIMARY\`, ${c.sql}`;
        if (paired(c)) return c.sql;
        if (c.space === "column") return c.sql.replace(/^ADD COLUMN /, "ADD COLUMN IF NOT EXISTS ");
        if (c.space === "index") {
          return c.sql.replace(/^ADD ((?:UNIQUE |FULLTEXT |SPATIAL )?KEY) /, "ADD $1 IF NOT EXISTS ");
        }
        if (/^ADD CONSTRAINT `(?:[^`]|``)*` CHECK /.test(c.sql)) {
          return c.sql.replace(/^ADD CONSTRAINT /, "ADD CONSTRAINT IF NOT EXISTS ");
        }
        // After the constraint's name: " FOREIGN KEY (" may also be inside that name.
        return c.sql.replace(new RegExp(`^(ADD CONSTRAINT ${ID} FOREIGN KEY) `), "$1 IF NOT EXISTS ");
      case "drop":
        if (c.name === "PRIMARY" && c.space === "index") return "DROP INDEX IF EXISTS `PRIMARY`";
        return c.sql.replace(/^DROP (COLUMN|INDEX|CONSTRAINT|FOREIGN KEY) /, "DROP $1 IF EXISTS ");
      case "modify":
        return c.sql.replace(/^MODIFY COLUMN /, "MODIFY COLUMN IF EXISTS ");
      case "change":
        return c.sql.replace(/^CHANGE COLUMN /, "CHANGE COLUMN IF EXISTS ");
      case "rename":
        return c.sql.replace(/^RENAME INDEX /, "RENAME INDEX IF EXISTS ");
      default:
        return c.sql;
    }
  });
  return [{ sql: `${head}\n  ${guarded.join(",\n  ")}`, change }];
}

/** The name a CREATE TRIGGER / PROCEDURE / FUNCTION / EVENT statement creates. */
function createdName(sql: string): { kind: string; name: string } | undefined {
  const m =
    /^CREATE\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=\s*(?:`[^`]*`|'[^']*'|\S+?)(?:@(?:`[^`]*`|'[^']*'|\S+?))?\s+)?(?:AGGREGATE\s+)?(TRIGGER|PROCEDURE|FUNCTION|EVENT)\s+(?:IF\s+NOT\s+EXISTS\s+)?(`(?:[^`]|``)*`|[\w$]+(?:\.(?:`(?:[^`]|``)*`|[\w$]+))?)/i
      .exec(sql);
  return m ? { kind: m[1]!.toUpperCase(), name: m[2]! } : undefined;
}

/**
 * Rewrites the changes of a MySQL/MariaDB diff as guarded statements, in
 * order. A statement patchops cannot guard is kept as it is, with the reason
 * in `unguarded`.
 */
export function guardMysqlChanges(changes: Change[], flavor: MysqlFlavor): GuardedStatement[] {
  const out: GuardedStatement[] = [];
  // Names a table takes in this script: a rename away from one of them must not run again once the new
  // table of that name is there (MariaDB's RENAME TABLE IF EXISTS would, and fail on the taken new name).
  const taken = new Set(
    changes.filter((c) => c.kind === "create_table" || c.kind === "rename_table").map((c) => c.table),
  );
  for (const change of changes) {
    const sql = change.sql;
    switch (change.kind) {
      case "create_table":
        out.push({ sql: sql.replace(/^CREATE TABLE /, "CREATE TABLE IF NOT EXISTS "), change });
        break;
      case "drop_table":
        out.push({ sql: sql.replace(/^DROP TABLE /, "DROP TABLE IF EXISTS "), change });
        break;
      case "drop_trigger":
        out.push({ sql: sql.replace(/^DROP TRIGGER /, "DROP TRIGGER IF EXISTS "), change });
        break;
      case "drop_view":
        out.push({ sql: sql.replace(/^DROP VIEW /, "DROP VIEW IF EXISTS "), change });
        break;
      case "drop_routine":
        out.push({ sql, change });
        break;
      case "create_view":
        out.push(
          /^CREATE OR REPLACE /i.test(sql)
            ? { sql, change }
            : { sql, change, unguarded: "a view without CREATE OR REPLACE" },
        );
        break;
      case "rename_table": {
        const m = new RegExp(`^RENAME TABLE ${ID} TO ${ID}$`).exec(sql);
        if (!m) out.push({ sql, change, unguarded: "not a RENAME TABLE patchops knows how to guard" });
        else if (flavor === "mariadb" && !taken.has(unquote(m[1]!))) {
          out.push({ sql: sql.replace(/^RENAME TABLE /, "RENAME TABLE IF EXISTS "), change });
        } else {
          const when = `${exists("table", unquote(m[1]!))} AND NOT ${exists("table", unquote(m[2]!))}`;
          out.push(
            { sql: `SET @patchops_ddl = IF(${when}, ${literal(sql)}, 'DO 0')`, change },
            { sql: "PREPARE patchops_ddl FROM @patchops_ddl", change },
            { sql: "EXECUTE patchops_ddl", change },
            { sql: "DEALLOCATE PREPARE patchops_ddl", change },
          );
        }
        break;
      }
      case "create_trigger":
      case "create_routine": {
        const made = createdName(sql);
        if (!made) {
          out.push({ sql, change, unguarded: "a statement patchops cannot name", body: hasBody(change) });
        } else if (flavor === "mariadb") {
          out.push({
            sql: sql.replace(/^CREATE\s+(?:OR\s+REPLACE\s+)?/i, "CREATE OR REPLACE "),
            change,
            body: hasBody(change),
          });
        } else {
          // MySQL 8 has no CREATE OR REPLACE for these: drop first; either step may run again.
          out.push(
            { sql: `DROP ${made.kind} IF EXISTS ${made.name}`, change },
            { sql, change, body: hasBody(change) },
          );
        }
        break;
      }
      case "alter_table":
      case "drop_column":
      case "modify_column":
      case "drop_foreign_key":
      case "add_foreign_key":
      case "partition_table":
      case "drop_index":
      case "create_index":
      case "rename_column":
      case "add_column":
        out.push(...guardAlter(change, flavor));
        break;
      default:
        out.push({ sql, change, unguarded: `patchops has no guard for a ${change.kind.replaceAll("_", " ")}` });
    }
  }
  return out;
}
