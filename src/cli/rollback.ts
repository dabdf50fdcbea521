/**
 * `patchops rollback --dir <dir>`.
 *
 * @module
 */

import { rollbackLast } from "../apply/rollback.ts";
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
