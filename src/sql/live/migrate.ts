/**
 * `sql apply`: bring a live database to a target schema. Introspect, diff,
 * apply, introspect again and insist the re-diff is empty.
 *
 * @module
 */

import { PatchopsError } from "../../errors.ts";
import { generateSchemaDiff, type SchemaDiff } from "../mod.ts";
import type { LiveDatabase, OpenOptions } from "./database.ts";
import { openMysql } from "./mysql.ts";
import { openSqlite } from "./sqlite.ts";
import { openPostgres } from "./postgres.ts";
import { type DbUrl, parseDbUrl } from "./url.ts";

/** Options of {@linkcode migrateDatabase}. */
export interface MigrateOptions {
  /** Plan only: print, change nothing. */
  dryRun?: boolean;
  allowDestructive?: boolean;
  /**
   * Seconds to wait for another migration to finish.
   * @default 60
   */
  lockTimeoutSeconds?: number;
  /** Called after each statement that ran. */
  onStatement?: (sql: string, index: number, total: number) => void;
}

/** What {@linkcode migrateDatabase} did. */
export interface MigrateResult {
  plan: SchemaDiff;
  /** Statements that ran, in order. */
  executed: string[];
  dryRun: boolean;
}

/** A failed migration, with the statements that ran before the failure (MySQL cannot undo them). */
export class MigrationError extends PatchopsError {
  readonly executed: string[];
  /** The planned statements (the script), for the caller to show. */
  plan: string | undefined;
  constructor(message: string, executed: string[], options?: ErrorOptions) {
    super("MigrationFailed", message, options);
    this.executed = executed;
  }
}

/** A migration refused because it would drop data, with the plan that was refused. */
export class DestructiveWithheldError extends PatchopsError {
  readonly plan: string;
  constructor(message: string, plan: string) {
    super("DestructiveWithheld", message);
    this.plan = plan;
  }
}

/** The re-diff after a migration is not empty. */
class NotConverged extends Error {}

/** Opens the live database a URL names. */
export async function openDatabase(url: DbUrl, options?: OpenOptions): Promise<LiveDatabase> {
  if (url.dialect === "mysql" || url.dialect === "mariadb") return await openMysql(url);
  if (url.dialect === "sqlite") return openSqlite(url, options);
  if (url.dialect === "postgres") return await openPostgres(url);
  throw new PatchopsError("SqlUnsupported", `live ${url.dialect} databases are not supported yet`);
}

function firstLine(sql: string): string {
  const line = sql.split("\n")[0]!;
  return line.length > 100 ? `${line.slice(0, 100)}...` : line;
}

/**
 * Migrates the database at `dbUrl` to `targetSql`. Two migrators never run
 * at once (a server-side lock). Destructive changes without
 * `allowDestructive` stop the migration before anything runs.
 */
export async function migrateDatabase(
  targetSql: string,
  dbUrl: string,
  options?: MigrateOptions,
): Promise<MigrateResult> {
  const { dryRun = false, allowDestructive = false, lockTimeoutSeconds = 60, onStatement } = options ?? {};
  const url = parseDbUrl(dbUrl);
  const db = await openDatabase(url, { readOnly: dryRun });
  let planned: string | undefined;
  try {
    await db.lock(lockTimeoutSeconds);
    try {
      // Where the server can store the target in a scratch schema, both sides are compared as it prints them.
      const canonical = db.canonical ? await db.canonical(targetSql) : undefined;
      const target = canonical ?? targetSql;
      const annotated = canonical === undefined ? undefined : targetSql;
      const plan = generateSchemaDiff(await db.introspect(), target, {
        dialect: url.dialect,
        allowDestructive,
        annotated,
      });
      planned = plan.sql;
      if (dryRun) return { plan, executed: [], dryRun };
      if (plan.withheld.length > 0) {
        throw new DestructiveWithheldError(
          `${plan.withheld.length} destructive change(s) withheld (${
            plan.withheld[0]!.destructive
          }); nothing was changed`,
          plan.sql,
        );
      }
      const executed: string[] = [];
      const total = plan.changes.length;
      /** The re-introspected schema must diff empty against the target. */
      const verify = async () => {
        const again = generateSchemaDiff(await db.introspect(), target, {
          dialect: url.dialect,
          allowDestructive: true,
        });
        if (again.changes.length > 0) {
          throw new NotConverged(again.description.split("\n").join("; "));
        }
      };
      if (db.transactional) {
        // Verified inside the transaction: a migration that would not reach the target is rolled back,
        // so nothing is ever committed and then reported as a failure.
        try {
          await db.execAll!(plan.changes.map((c) => c.sql), verify);
        } catch (err) {
          const why = err instanceof NotConverged
            ? `the database would still differ from the target: ${err.message}`
            : (err as Error).message;
          throw new MigrationError(`migration failed and was rolled back, nothing was changed (${why})`, [], {
            cause: err,
          });
        }
        plan.changes.forEach((c, i) => onStatement?.(c.sql, i, total));
        executed.push(...plan.changes.map((c) => c.sql));
        return { plan, executed, dryRun };
      } else {
        for (const [i, change] of plan.changes.entries()) {
          try {
            await db.exec(change.sql);
          } catch (err) {
            const ran = executed.length ? `statements 1-${executed.length} ran and stay applied` : "no statement ran";
            throw new MigrationError(
              `statement ${i + 1} of ${total} failed (${(err as Error).message}): ${firstLine(change.sql)}; ${ran}`,
              executed,
              { cause: err },
            );
          }
          executed.push(change.sql);
          onStatement?.(change.sql, i, total);
        }
      }
      try {
        await verify();
      } catch (err) {
        if (!(err instanceof NotConverged)) throw err;
        // MySQL commits each DDL statement: what ran stays.
        throw new MigrationError(
          `after the migration the database still differs from the target: ${err.message}`,
          executed,
        );
      }
      return { plan, executed, dryRun };
    } finally {
      await db.unlock();
    }
  } catch (err) {
    if (err instanceof MigrationError) err.plan ??= planned;
    throw err;
  } finally {
    await db.close();
  }
}
