/**
 * `patchops rollback --dir <dir>`.
 *
 * @module
 */

import { rollbackLast } from "../apply/rollback.ts";
import { intFlag, parseFlags, positionals, stringFlag } from "./_common.ts";
import { printErr, printOut } from "./_print.ts";

/** Usage line of the command. */
export const usage = "patchops rollback --dir <dir> [--keep <n>] [--allow-untrusted-owner]";

/** Parsed flags of `rollback`. */
export interface RollbackFlags {
  dir: string;
  keep: number;
  allowUntrustedOwner: boolean;
}

/** Parses `rollback`'s arguments. Pure; throws `UsageError`. */
export function parseRollbackArgs(args: string[]): RollbackFlags {
  const { values, positionals: pos } = parseFlags(args, {
    dir: { type: "string" },
    keep: { type: "string" },
    "allow-untrusted-owner": { type: "boolean" },
  });
  positionals(pos, []);
  return {
    dir: stringFlag(values, "dir", true),
    keep: intFlag(values, "keep", 1, 0),
    allowUntrustedOwner: values["allow-untrusted-owner"] === true,
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: RollbackFlags): string {
  return `cannot roll back "${flags.dir}"`;
}

/** Runs `rollback`; returns the exit code. */
export async function run(flags: RollbackFlags): Promise<number> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    const r = await rollbackLast(flags.dir, {
      keep: flags.keep,
      allowUntrustedOwner: flags.allowUntrustedOwner,
      onWarning: (m) => printErr(`warning: ${m}`),
      signal: abort.signal,
    });
    const to = r.version ?? `the tree before ${r.undone} (no version recorded)`;
    printOut(`rolled back ${flags.dir} from ${r.from ?? "(no version recorded)"} to ${to}: ${r.steps} steps`);
    return 0;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}
