/**
 * Guarded scripts (`sql diff --guarded`): the statements of a diff
 * rewritten, per dialect, so that the script can be run a second time, or
 * after it stopped at any statement, and still reach the target. The header
 * names every statement that could not be guarded, and why.
 *
 * @module
 */

import { PatchopsError } from "../../errors.ts";
import { escapeText } from "../../format.ts";
import type { Change, Schema } from "../model.ts";
import { guardMysqlChanges } from "./mysql.ts";
import { guardPostgresChanges } from "./postgres.ts";
import { FOREIGN_KEYS_OFF, guardSqliteChanges } from "./sqlite.ts";
import type { GuardedPlan, GuardedStatement } from "./model.ts";

export type { GuardedPlan, GuardedStatement } from "./model.ts";

/** Dialects a plan can be guarded for (the names `sql diff` takes). */
export type GuardDialect = "mysql" | "mariadb" | "postgres" | "sqlite";

/**
 * Guards the changes of a diff for `dialect`. With the two schemas, SQLite
 * guards ADD COLUMN and RENAME COLUMN too (by a rebuild; see sqlite.ts).
 */
export function guardChanges(
  changes: Change[],
  dialect: GuardDialect,
  schemas?: { from: Schema; to: Schema },
): GuardedPlan {
  switch (dialect) {
    case "mariadb":
    case "mysql":
      return { statements: guardMysqlChanges(changes, dialect), transaction: undefined };
    case "postgres":
      return { statements: guardPostgresChanges(changes), transaction: { begin: "BEGIN", commit: "COMMIT" } };
    case "sqlite": {
      const { statements, after } = guardSqliteChanges(changes, schemas);
      const fkOff = statements.some((s) => s.sql.includes(FOREIGN_KEYS_OFF));
      return {
        statements,
        transaction: { begin: "BEGIN", commit: "COMMIT" },
        after,
        notes: [
          ...(fkOff ? [FOREIGN_KEYS_OFF] : []),
          "SQLite guards CREATE and DROP with IF [NOT] EXISTS, and ADD and RENAME COLUMN by rebuilding the table" +
          " through a TEMP snapshot: a run that stops part way relies on the transaction, which leaves the" +
          " database as it was, so run the whole script again",
          ...(after.length
            ? [
              "a table rename is guarded by a placeholder of the old name in an in-memory database the script" +
              " attaches (found only when main has no such table) and detaches after COMMIT; run the script" +
              " again in a new connection",
            ]
            : []),
        ],
      };
    }
    default:
      throw new PatchopsError("SqlUnsupported", `guarded scripts are not available for dialect "${dialect}"`);
  }
}

/** Options of {@linkcode renderGuardedScript}. */
export interface RenderGuardedOptions {
  /** Changes whose statements are commented out (withheld destructive changes). */
  withheld?: ReadonlySet<Change> | undefined;
  /** Use the MySQL client's DELIMITER for statements with bodies. @default false */
  delimiter?: boolean | undefined;
}

function terminate(s: GuardedStatement, delimiter: boolean): string {
  if (delimiter && s.body && s.sql.includes(";")) return `DELIMITER ;;\n${s.sql};;\nDELIMITER ;`;
  return `${s.sql};`;
}

/**
 * Text for a `--` comment: names from the schema may hold a newline, which
 * would end the comment and make the rest of the line a statement.
 */
function commentText(text: string): string {
  return escapeText(text);
}

function commentOut(sql: string): string {
  return sql.split("\n").map((l) => `-- ${l}`).join("\n");
}

/** The header lines that say what the guarded script promises and what it cannot. */
export function guardHeader(plan: GuardedPlan, withheld?: ReadonlySet<Change>): string[] {
  const live = plan.statements.filter((s) => !withheld?.has(s.change));
  const lines: string[] = [];
  const bad = live.map((s, i) => ({ s, i })).filter(({ s }) => s.unguarded !== undefined);
  if (bad.length === 0) {
    lines.push("-- guarded: every statement may run again; the script may be rerun, or resumed after any statement");
  } else {
    lines.push(`-- guarded, except ${bad.length} statement${bad.length === 1 ? "" : "s"} that may fail if run twice:`);
    for (const { s, i } of bad) {
      lines.push(`--   statement ${i + 1} (${commentText(s.change.description)}): ${commentText(s.unguarded!)}`);
    }
  }
  const outside = live.filter((s) => s.noTransaction !== undefined);
  if (plan.transaction && outside.length === 0) lines.push("-- the whole script runs in one transaction");
  for (const note of plan.notes ?? []) lines.push(`-- ${note}`);
  for (const s of outside) {
    lines.push(`-- outside the transaction: ${commentText(s.change.description)} (${commentText(s.noTransaction!)})`);
  }
  return lines;
}

/**
 * The guarded statements as a script body (no header): one transaction
 * around them where the plan has one and every statement allows it;
 * withheld changes commented out.
 */
export function renderGuardedScript(plan: GuardedPlan, options?: RenderGuardedOptions): string[] {
  const { withheld, delimiter = false } = options ?? {};
  const body: string[] = [];
  const seen = new Set<Change>();
  for (const s of plan.statements) {
    const stmt = terminate(s, delimiter);
    const first = !seen.has(s.change);
    seen.add(s.change);
    if (withheld?.has(s.change)) {
      const why = first ? `-- withheld, destructive: ${commentText(s.change.destructive ?? "")}\n` : "";
      body.push(`${why}${commentOut(stmt)}`);
    } else if (first && s.change.destructive) {
      body.push(`-- destructive: ${commentText(s.change.destructive)}\n${stmt}`);
    } else body.push(stmt);
  }
  // A withheld statement is a comment: it does not keep the others out of a transaction (the header says the same).
  const inTx = plan.transaction &&
    plan.statements.every((s) => s.noTransaction === undefined || withheld?.has(s.change));
  const after = (plan.after ?? []).filter((s) => !withheld?.has(s.change)).map((s) => terminate(s, delimiter));
  return inTx
    ? [`${plan.transaction!.begin};`, ...body, `${plan.transaction!.commit};`, ...after]
    : [...body, ...after];
}
