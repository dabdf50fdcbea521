/**
 * `patchops recover --dir <dir>`.
 *
 * @module
 */

import { openInstallDir, Session } from "../apply/mod.ts";
import { parseFlags, positionals, stringFlag } from "./_common.ts";

/** Usage line of the command. */
export const usage = "patchops recover --dir <dir> [--allow-untrusted-owner]";

/** Parsed flags of `recover`. */
export interface RecoverFlags {
  dir: string;
  allowUntrustedOwner: boolean;
}

/** Parses `recover`'s arguments. Pure; throws `UsageError`. */
export function parseRecoverArgs(args: string[]): RecoverFlags {
  const { values, positionals: pos } = parseFlags(args, {
    dir: { type: "string" },
    "allow-untrusted-owner": { type: "boolean" },
  });
  positionals(pos, []);
  return { dir: stringFlag(values, "dir", true), allowUntrustedOwner: values["allow-untrusted-owner"] === true };
}

/** What the command was doing, for its error line. */
export function describe(flags: RecoverFlags): string {
  return `cannot recover "${flags.dir}"`;
}

/** Runs `recover`; returns the exit code. */
export async function run(flags: RecoverFlags): Promise<number> {
  const ws = await openInstallDir(flags.dir, { allowUntrustedOwner: flags.allowUntrustedOwner });
  const session = await Session.open(ws, "recover", {
    onWarning: (m) => console.error(`warning: ${m}`),
  });
  try {
    const r = session.recovered;
    if (r.rolledBack.length + r.finished.length + r.discarded.length === 0) {
      console.log(`nothing to recover in ${flags.dir}`);
    } else {
      console.log(
        `recovered ${flags.dir}: ${r.rolledBack.length} rolled back, ${r.finished.length} finished, ${r.discarded.length} discarded`,
      );
    }
    return 0;
  } finally {
    await session.close();
  }
}
