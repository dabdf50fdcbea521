/**
 * `patchops rollback --dir <dir>`.
 *
 * @module
 */

import { rollbackLast } from "../apply/rollback.ts";
import { previewRollback } from "../apply/preview.ts";
import {
  COMMON_FLAGS,
  type FlagTable,
  HOOK_FLAGS,
  hookFlags,
  intFlag,
  parseFlags,
  positionals,
  stringFlag,
} from "./_common.ts";
import { hookOptions, hookSummary } from "./_hooks.ts";
import { helpText, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { printOut } from "./_print.ts";
import { plural } from "../format.ts";

/** Flags of `rollback`. */
export const flags: FlagTable = {
  dir: { type: "string", value: "<dir>", required: true, help: "install directory" },
  keep: { type: "string", value: "<n>", help: "committed backups kept afterwards", default: "1" },
  "allow-untrusted-owner": { type: "boolean", help: "accept an install directory writable by another user" },
  "dry-run": { type: "boolean", help: "show what would be rolled back, change nothing (takes no lock)" },
  ...HOOK_FLAGS,
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("rollback", "", flags);

/** `--help` text. */
export const help: string = helpText("rollback", "undo the last applied patch from its backup", "", flags);

/** Parsed flags of `rollback`. */
export interface RollbackFlags {
  dir: string;
  keep: number;
  allowUntrustedOwner: boolean;
  dryRun: boolean;
  hooksDir: string | undefined;
  hookTimeout: number;
}

/** Parses `rollback`'s arguments. Pure; throws `UsageError`. */
export function parseRollbackArgs(args: string[]): RollbackFlags {
  const { values, positionals: pos } = parseFlags(args, flags);
  positionals(pos, []);
  return {
    dir: stringFlag(values, "dir", true),
    keep: intFlag(values, "keep", 1, 0),
    allowUntrustedOwner: values["allow-untrusted-owner"] === true,
    dryRun: values["dry-run"] === true,
    ...hookFlags(values),
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: RollbackFlags): string {
  return `cannot roll back "${flags.dir}"`;
}

/** A rollback stops itself between steps and undoes what it did. */
export const abortable = true;

/** What an interrupted rollback left. */
export function kept(flags: RollbackFlags): Promise<string> {
  return Promise.resolve(`${flags.dir} is as it was`);
}

/** Runs `rollback`; returns the exit code. */
export async function run(flags: RollbackFlags, out: Output): Promise<number> {
  if (flags.dryRun) return await dryRun(flags, out);
  const r = await rollbackLast(flags.dir, {
    keep: flags.keep,
    allowUntrustedOwner: flags.allowUntrustedOwner,
    onWarning: (m) => out.warn(m),
    signal: out.signal,
    ...hookOptions(flags, out),
  });
  if (out.json) {
    out.event("result", {
      exitCode: 0,
      from: r.from ?? null,
      version: r.version ?? null,
      undone: r.undone,
      steps: r.steps,
      hooks: r.hooks.map(hookSummary),
    });
    return 0;
  }
  const to = r.version ?? `the tree before ${r.undone} (no version recorded)`;
  printOut(`rolled back ${flags.dir} from ${r.from ?? "(no version recorded)"} to ${to}: ${plural(r.steps, "step")}`);
  return 0;
}

/** `rollback --dry-run`: the steps a rollback would take now, changing nothing. */
async function dryRun(flags: RollbackFlags, out: Output): Promise<number> {
  const p = await previewRollback(flags.dir, { allowUntrustedOwner: flags.allowUntrustedOwner });
  const repairs = [...p.recovery.rolledBack, ...p.recovery.finished, ...p.recovery.discarded];
  if (out.json) {
    out.event("result", {
      exitCode: 0,
      dryRun: true,
      recovery: p.recovery,
      from: p.from ?? null,
      version: p.version ?? null,
      undone: p.undone ?? null,
      steps: p.steps,
    });
    return 0;
  }
  if (p.undone === undefined) {
    printOut(
      `dry run: ${flags.dir} has ${plural(repairs.length, "interrupted transaction")} (${
        repairs.join(", ")
      }) that a rollback repairs first, and the repair decides what is rolled back; run "patchops recover" first to see it`,
    );
    return 0;
  }
  const to = p.version ?? `the tree before ${p.undone} (no version recorded)`;
  printOut(
    `dry run: would roll back ${flags.dir} from ${p.from ?? "(no version recorded)"} to ${to}, undoing ${p.undone}: ${
      plural(p.steps.length, "step")
    }; nothing changed`,
  );
  for (const s of p.steps) printOut(`  ${s.action} ${s.path}`);
  return 0;
}
