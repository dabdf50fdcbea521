/**
 * `patchops sql diff <from.sql> <to.sql>` and `patchops sql apply <target.sql> --db <url>`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { type Dialect, generateSchemaDiff } from "../sql/mod.ts";
import { DestructiveWithheldError, migrateDatabase, MigrationError } from "../sql/live/migrate.ts";
import { parseDbUrl } from "../sql/live/url.ts";
import { COMMON_FLAGS, type FlagTable, intFlag, parseFlags, positionals, stringFlag } from "./_common.ts";
import { helpText, suggest, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { printErr } from "./_print.ts";

/** Flags of `sql diff`. */
export const diffFlags: FlagTable = {
  dialect: {
    type: "string",
    value: "<d>",
    help: "SQL dialect: mysql, mariadb, postgres or sqlite",
    default: "mysql",
  },
  "allow-destructive": { type: "boolean", help: "print drops instead of withholding them (exit 3 when withheld)" },
  guarded: { type: "boolean", help: "guard each statement so the script may be rerun or resumed after a failure" },
  ...COMMON_FLAGS,
};

/** Flags of `sql apply`. */
export const applyFlags: FlagTable = {
  db: {
    type: "string",
    value: "<url>",
    required: true,
    help: "database: mysql://, mariadb://, postgres:// or sqlite:<file>",
  },
  "dry-run": { type: "boolean", help: "print the plan without changing the database" },
  "allow-destructive": { type: "boolean", help: "run drops too (otherwise refused, exit 3)" },
  "lock-timeout": { type: "string", value: "<s>", help: "seconds to wait for the database's locks", default: "60" },
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = [
  usageLine("sql diff", "<from.sql> <to.sql>", diffFlags),
  `  ${usageLine("sql apply", "<target.sql>", applyFlags)}`,
].join("\n");

/** `--help` text. */
export const help: string = [
  helpText("sql diff", "print the SQL that migrates schema <from.sql> to <to.sql>", "<from.sql> <to.sql>", diffFlags),
  "",
  helpText("sql apply", "migrate a live database to the schema in <target.sql>", "<target.sql>", applyFlags),
].join("\n");

const DIALECTS: Dialect[] = ["mysql", "mariadb", "postgres", "sqlite"];

/** Parsed flags of `sql diff`. */
export interface SqlDiffFlags {
  sub: "diff";
  from: string;
  to: string;
  dialect: Dialect;
  allowDestructive: boolean;
  guarded: boolean;
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
    const { values, positionals: pos } = parseFlags(rest, applyFlags);
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
    const guess = sub === undefined ? undefined : suggest(sub, ["diff", "apply"]);
    throw new UsageError(
      sub === undefined
        ? "missing sql subcommand (diff or apply)"
        : `unknown sql subcommand "${sub}"${guess ? ` (did you mean "${guess}"?)` : ""}`,
    );
  }
  const { values, positionals: pos } = parseFlags(rest, diffFlags);
  const [from, to] = positionals(pos, ["from.sql", "to.sql"]);
  const dialect = (stringFlag(values, "dialect") ?? "mysql") as Dialect;
  if (!DIALECTS.includes(dialect)) {
    throw new UsageError(`--dialect must be one of ${DIALECTS.join(", ")}, got "${dialect}"`);
  }
  return {
    sub: "diff",
    from: from!,
    to: to!,
    dialect,
    allowDestructive: values["allow-destructive"] === true,
    guarded: values.guarded === true,
  };
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
export async function run(flags: SqlFlags, out: Output): Promise<number> {
  if (flags.sub === "apply") return await runApply(flags, out);
  const [from, to] = await Promise.all([read(flags.from, "from"), read(flags.to, "to")]);
  const diff = generateSchemaDiff(from, to, {
    dialect: flags.dialect,
    allowDestructive: flags.allowDestructive,
    guarded: flags.guarded,
  });
  const code = diff.withheld.length > 0 ? EXIT_DESTRUCTIVE : 0;
  if (diff.withheld.length > 0) {
    out.warn(
      `${diff.withheld.length} destructive change(s) withheld as comments; rerun with --allow-destructive to apply them`,
    );
  }
  if (out.json) {
    out.event("result", { exitCode: code, sql: diff.sql, withheld: diff.withheld.length });
  } else {
    await Deno.stdout.write(encoder.encode(diff.sql));
  }
  return code;
}

async function runApply(flags: SqlApplyFlags, out: Output): Promise<number> {
  const target = await read(flags.target, "target");
  try {
    const r = await migrateDatabase(target, flags.db, {
      dryRun: flags.dryRun,
      allowDestructive: flags.allowDestructive,
      lockTimeoutSeconds: flags.lockTimeoutSeconds,
      onStatement: (_sql, i, total) => {
        if (!out.json) printErr(`ran statement ${i + 1}/${total}`);
      },
    });
    const code = r.dryRun && r.plan.withheld.length > 0 ? EXIT_DESTRUCTIVE : 0;
    if (out.json) {
      out.event("result", {
        exitCode: code,
        dryRun: r.dryRun,
        sql: r.plan.sql,
        changes: r.plan.changes.length,
        withheld: r.plan.withheld.length,
        executed: r.executed,
      });
      return code;
    }
    await Deno.stdout.write(encoder.encode(r.plan.sql));
    if (r.dryRun) {
      printErr(`dry run: ${r.plan.changes.length} change(s) planned, nothing changed`);
      return code;
    }
    printErr(`migrated: ${r.executed.length} statement(s) ran; the database now matches "${flags.target}"`);
    return 0;
  } catch (err) {
    if (err instanceof MigrationError && !out.json) {
      for (const sql of err.executed) printErr(`ran: ${sql.split("\n")[0]}`);
    }
    // The plan that failed or was refused goes where a successful one would: stdout.
    const plan = err instanceof MigrationError || err instanceof DestructiveWithheldError ? err.plan : undefined;
    if (plan !== undefined && !out.json) await Deno.stdout.write(encoder.encode(plan));
    // A refusal to run destructive statements is exit 3 through main's one error path.
    throw err;
  }
}
