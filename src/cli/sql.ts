/**
 * `patchops sql diff <from.sql> <to.sql>`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { type Dialect, generateSchemaDiff } from "../sql/mod.ts";
import { parseFlags, positionals, stringFlag } from "./_common.ts";

/** Usage line of the command. */
export const usage =
  "patchops sql diff <from.sql> <to.sql> [--dialect mysql|mariadb|postgres|sqlite] [--allow-destructive]";

const DIALECTS: Dialect[] = ["mysql", "mariadb", "postgres", "sqlite"];

/** Parsed flags of `sql`. */
export interface SqlFlags {
  sub: "diff";
  from: string;
  to: string;
  dialect: Dialect;
  allowDestructive: boolean;
}

/** Parses `sql`'s arguments. Pure; throws `UsageError`. */
export function parseSqlArgs(args: string[]): SqlFlags {
  const [sub, ...rest] = args;
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
  return `cannot diff "${flags.from}" against "${flags.to}"`;
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

/** Runs `sql diff`: SQL on stdout; exit 3 when destructive changes were withheld. */
export async function run(flags: SqlFlags): Promise<number> {
  const [from, to] = await Promise.all([read(flags.from, "from"), read(flags.to, "to")]);
  const diff = generateSchemaDiff(from, to, { dialect: flags.dialect, allowDestructive: flags.allowDestructive });
  await Deno.stdout.write(new TextEncoder().encode(diff.sql));
  if (diff.withheld.length > 0) {
    console.error(
      `warning: ${diff.withheld.length} destructive change(s) withheld as comments; rerun with --allow-destructive to apply them`,
    );
    return EXIT_DESTRUCTIVE;
  }
  return 0;
}
