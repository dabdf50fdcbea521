/**
 * `patchops sql diff <from.sql> <to.sql>` and `patchops sql apply <target.sql> --db <url>`.
 *
 * @module
 */

import { PatchopsError, UsageError } from "../errors.ts";
import { type Dialect, generateSchemaDiff } from "../sql/mod.ts";
import { migrateDatabase, MigrationError } from "../sql/live/migrate.ts";
import { parseDbUrl } from "../sql/live/url.ts";
import { intFlag, parseFlags, positionals, stringFlag } from "./_common.ts";
import { printErr } from "./_print.ts";

/** Usage line of the command. */
export const usage = [
  "patchops sql diff <from.sql> <to.sql> [--dialect mysql|mariadb|postgres|sqlite] [--allow-destructive]",
  "  patchops sql apply <target.sql> --db <url> [--dry-run] [--allow-destructive] [--lock-timeout <s>]",
].join("\n");

const DIALECTS: Dialect[] = ["mysql", "mariadb", "postgres", "sqlite"];

/** Parsed flags of `sql diff`. */
export interface SqlDiffFlags {
  sub: "diff";
  from: string;
  to: string;
  dialect: Dialect;
  allowDestructive: boolean;
}

/** Parsed flags of `sql apply`. */
export interface SqlApplyFlags {
  sub: "apply";
  target: string;
  db: string;
  dryRun: boolean;
  allowDestructive: boolean;
  lockTimeoutSeconds: number;
}

/** Parsed flags of `sql`. */
export type SqlFlags = SqlDiffFlags | SqlApplyFlags;

/** Parses `sql`'s arguments. Pure; throws `UsageError`. */
export function parseSqlArgs(args: string[]): SqlFlags {
  const [sub, ...rest] = args;
  if (sub === "apply") {
    const { values, positionals: pos } = parseFlags(rest, {
      db: { type: "string" },
      "dry-run": { type: "boolean" },
      "allow-destructive": { type: "boolean" },
      "lock-timeout": { type: "string" },
    });
    const [target] = positionals(pos, ["target.sql"]);
    const db = stringFlag(values, "db", true);
    parseDbUrl(db);
    return {
      sub: "apply",
      target: target!,
      db,
      dryRun: values["dry-run"] === true,
      allowDestructive: values["allow-destructive"] === true,
      lockTimeoutSeconds: intFlag(values, "lock-timeout", 60, 0),
    };
  }
  if (sub !== "diff") {
    throw new UsageError(sub === undefined ? "missing sql subcommand" : `unknown sql subcommand "${sub}"`);
  }
  const { values, positionals: pos } = parseFlags(rest, {
    dialect: { type: "string" },
    "allow-destructive": { type: "boolean" },
  });
  const [from, to] = positionals(pos, ["from.sql", "to.sql"]);
  const dialect = (stringFlag(values, "dialect") ?? "mysql") as Dialect;
  if (!DIALECTS.includes(dialect)) {
    throw new UsageError(`--dialect must be one of ${DIALECTS.join(", ")}, got "${dialect}"`);
  }
  return { sub: "diff", from: from!, to: to!, dialect, allowDestructive: values["allow-destructive"] === true };
}

/** What the command was doing, for its error line. */
export function describe(flags: SqlFlags): string {
  return flags.sub === "diff"
    ? `cannot diff "${flags.from}" against "${flags.to}"`
    : `cannot migrate "${parseDbUrl(flags.db).display}" to "${flags.target}"`;
}

async function read(path: string, which: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new UsageError(`${which} schema "${path}" does not exist`);
    throw err;
  }
}

/** Exit code when destructive statements were withheld. */
export const EXIT_DESTRUCTIVE = 3;

const encoder = new TextEncoder();

/** Runs `sql diff` or `sql apply`. */
export async function run(flags: SqlFlags): Promise<number> {
  if (flags.sub === "apply") return await runApply(flags);
  const [from, to] = await Promise.all([read(flags.from, "from"), read(flags.to, "to")]);
  const diff = generateSchemaDiff(from, to, { dialect: flags.dialect, allowDestructive: flags.allowDestructive });
  await Deno.stdout.write(encoder.encode(diff.sql));
  if (diff.withheld.length > 0) {
    printErr(
      `warning: ${diff.withheld.length} destructive change(s) withheld as comments; rerun with --allow-destructive to apply them`,
    );
    return EXIT_DESTRUCTIVE;
  }
  return 0;
}

async function runApply(flags: SqlApplyFlags): Promise<number> {
  const target = await read(flags.target, "target");
  try {
    const r = await migrateDatabase(target, flags.db, {
      dryRun: flags.dryRun,
      allowDestructive: flags.allowDestructive,
      lockTimeoutSeconds: flags.lockTimeoutSeconds,
      onStatement: (_sql, i, total) => printErr(`ran statement ${i + 1}/${total}`),
    });
    await Deno.stdout.write(encoder.encode(r.plan.sql));
    if (r.dryRun) {
      printErr(`dry run: ${r.plan.changes.length} change(s) planned, nothing changed`);
      return r.plan.withheld.length > 0 ? EXIT_DESTRUCTIVE : 0;
    }
    printErr(`migrated: ${r.executed.length} statement(s) ran; the database now matches "${flags.target}"`);
    return 0;
  } catch (err) {
    if (err instanceof PatchopsError && err.code === "DestructiveWithheld") {
      printErr(`error: ${describe(flags)} (${err.message})`);
      return EXIT_DESTRUCTIVE;
    }
    if (err instanceof MigrationError) {
      for (const sql of err.executed) printErr(`ran: ${sql.split("\n")[0]}`);
    }
    throw err;
  }
}
