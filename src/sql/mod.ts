/**
 * The SQL module's entry point: diff two schema versions into DDL.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { diffMysqlSchemas } from "./mysql/diff.ts";
import { type MysqlDialect, parseMysqlSchema } from "./mysql/parse.ts";
import type { Change, Schema } from "./model.ts";
import { parseSqliteSchema } from "./sqlite/parse.ts";
import { diffSqliteSchemas } from "./sqlite/diff.ts";
import { parsePostgresSchema } from "./postgres/parse.ts";
import { diffPostgresSchemas } from "./postgres/diff.ts";
import { guardChanges, type GuardedPlan, guardHeader, renderGuardedScript } from "./guard/mod.ts";

export type { Change } from "./model.ts";
export type { GuardedPlan, GuardedStatement } from "./guard/mod.ts";

/** Dialects `sql diff` knows. */
export type Dialect = MysqlDialect | "postgres" | "sqlite";

/** Options of {@linkcode generateSchemaDiff}. */
export interface SchemaDiffOptions {
  /** @default "mysql" */
  dialect?: Dialect;
  /** Emit data-losing statements as statements rather than comments. */
  allowDestructive?: boolean;
  /**
   * Guard every statement so that the script may run twice, or again after
   * it stopped at any statement (see src/sql/guard/). @default false
   */
  guarded?: boolean | undefined;
  /**
   * The target as written, when `toSql` is the same schema as a server
   * printed it: its `-- @renamed` annotations apply to `toSql`.
   */
  annotated?: string | undefined;
}

/** What {@linkcode generateSchemaDiff} returns. */
export interface SchemaDiff {
  /** The script: a header comment, then one statement per change. */
  sql: string;
  /** One line per change. */
  description: string;
  changes: Change[];
  /** Destructive changes that were commented out (empty with `allowDestructive`). */
  withheld: Change[];
  /** With `guarded`: the guarded statements in order (withheld ones included, marked by their change). */
  guarded?: GuardedPlan | undefined;
}

function parse(sql: string, dialect: Dialect): Schema {
  if (dialect === "mysql" || dialect === "mariadb") return parseMysqlSchema(sql, { dialect });
  if (dialect === "sqlite") return parseSqliteSchema(sql);
  if (dialect === "postgres") return parsePostgresSchema(sql);
  throw new PatchopsError("SqlUnsupported", `dialect "${dialect}" is not supported`);
}

function diff(from: Schema, to: Schema, dialect: Dialect): Change[] {
  if (dialect === "sqlite") return diffSqliteSchemas(from, to);
  if (dialect === "postgres") return diffPostgresSchemas(from, to);
  return diffMysqlSchemas(from, to);
}

/** A statement with its terminator; trigger bodies with semicolons get the client's DELIMITER dance. */
function terminate(c: Change, dialect: Dialect): string {
  const body = c.kind === "create_trigger" || c.kind === "create_routine";
  if ((dialect === "mysql" || dialect === "mariadb") && body && c.sql.includes(";")) {
    return `DELIMITER ;;\n${c.sql};;\nDELIMITER ;`;
  }
  return `${c.sql};`;
}

/** Carries the `@renamed` annotations of the schema file onto the same schema as the server printed it. */
function copyRenames(annotatedSql: string, to: Schema, dialect: Dialect): void {
  if (!/@renamed/.test(annotatedSql)) return;
  // A file with renames that cannot be read fails here: losing a rename would drop and re-create data.
  const written = parse(annotatedSql, dialect);
  for (const t of written.tables) {
    const target = to.tables.find((x) => x.name === t.name);
    if (!target) continue;
    target.renamedFrom = t.renamedFrom;
    for (const c of t.columns) {
      const col = target.columns.find((x) => x.name === c.name);
      if (col) col.renamedFrom = c.renamedFrom;
    }
    for (const i of t.indexes) {
      const idx = target.indexes.find((x) => x.name === i.name);
      if (idx) idx.renamedFrom = i.renamedFrom;
    }
  }
}

function commentOut(sql: string): string {
  return sql.split("\n").map((l) => `-- ${l}`).join("\n");
}

/**
 * Generates the SQL that turns schema `fromSql` into `toSql`. Without
 * `fromSql`, the full CREATE script of `toSql`. Destructive changes are
 * commented out with their reason unless `allowDestructive` is set.
 */
export function generateSchemaDiff(
  fromSql: string | undefined,
  toSql: string,
  options?: SchemaDiffOptions,
): SchemaDiff {
  const { dialect = "mysql", allowDestructive = false, guarded = false } = options ?? {};
  const from = fromSql === undefined ? { tables: [], views: [], triggers: [], routines: [] } : parse(fromSql, dialect);
  const to = parse(toSql, dialect);
  if (options?.annotated !== undefined) copyRenames(options.annotated, to, dialect);
  const changes = diff(from, to, dialect);
  const withheld = allowDestructive ? [] : changes.filter((c) => c.destructive);
  const count = changes.length;
  const header = count === 0
    ? "-- patchops sql diff: the schemas are equal; nothing to do"
    : `-- patchops sql diff (${dialect}${guarded ? ", guarded" : ""}): ${count} change${count === 1 ? "" : "s"}` +
      (withheld.length
        ? `, ${withheld.length} destructive withheld (commented out until destructive changes are allowed)`
        : "") +
      (allowDestructive && changes.some((c) => c.destructive) ? ", destructive changes included" : "");
  if (guarded) {
    const plan = guardChanges(changes, dialect, { from, to });
    const held = new Set(withheld);
    const mysql = dialect === "mysql" || dialect === "mariadb";
    const lines = count === 0 ? [] : guardHeader(plan, held);
    const body = count === 0 ? [] : renderGuardedScript(plan, { withheld: held, delimiter: mysql });
    return {
      sql: [header, ...lines, ...body].join("\n") + "\n",
      description: changes.map((c) => `${c.destructive ? "! " : ""}${c.description}`).join("\n"),
      changes,
      withheld,
      guarded: plan,
    };
  }
  const body = changes.map((c) => {
    const stmt = terminate(c, dialect);
    if (c.destructive && !allowDestructive) return `-- withheld, destructive: ${c.destructive}\n${commentOut(stmt)}`;
    return c.destructive ? `-- destructive: ${c.destructive}\n${stmt}` : stmt;
  });
  // SQLite drops a table by deleting its rows first, and with foreign keys on (node:sqlite's default, Android's)
  // that runs the ON DELETE actions of the tables referencing it: a rebuild would empty them. SQLite's own
  // procedure for rebuilding a table switches foreign keys off first (outside a transaction), and checks after.
  // `sql apply` does the same on its connection; a printed plan says it in SQL.
  if (dialect === "sqlite" && changes.some((c) => c.kind === "rebuild_table" || c.kind === "drop_table")) {
    body.unshift(
      "-- Rebuilt and dropped tables: foreign keys off, so that no ON DELETE action runs (no effect inside a transaction).",
      "PRAGMA foreign_keys = OFF;",
    );
    body.push("PRAGMA foreign_key_check;");
  }
  return {
    sql: [header, ...body].join("\n") + "\n",
    description: changes.map((c) => `${c.destructive ? "! " : ""}${c.description}`).join("\n"),
    changes,
    withheld,
  };
}
