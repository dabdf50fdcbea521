/**
 * `patchops recover --dir <dir>`.
 *
 * @module
 */

import { openInstallDir, Session } from "../apply/mod.ts";
import { parseFlags, positionals, stringFlag } from "./_common.ts";
import { pruneDownloads } from "../apply/receive.ts";
import { printErr, printOut } from "./_print.ts";

/** Usage line of the command. */
export const usage = "patchops recover --dir <dir> [--discard-downloads] [--allow-untrusted-owner]";

/** Parsed flags of `recover`. */
export interface RecoverFlags {
  dir: string;
  allowUntrustedOwner: boolean;
  discardDownloads: boolean;
}

/** Parses `recover`'s arguments. Pure; throws `UsageError`. */
export function parseRecoverArgs(args: string[]): RecoverFlags {
  const { values, positionals: pos } = parseFlags(args, {
    dir: { type: "string" },
    "allow-untrusted-owner": { type: "boolean" },
    "discard-downloads": { type: "boolean" },
  });
  positionals(pos, []);
  return {
    dir: stringFlag(values, "dir", true),
    allowUntrustedOwner: values["allow-untrusted-owner"] === true,
    discardDownloads: values["discard-downloads"] === true,
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: RecoverFlags): string {
  return `cannot recover "${flags.dir}"`;
}

/** Runs `recover`; returns the exit code. */
export async function run(flags: RecoverFlags): Promise<number> {
  const ws = await openInstallDir(flags.dir, { allowUntrustedOwner: flags.allowUntrustedOwner });
  const session = await Session.open(ws, "recover", {
    onWarning: (m) => printErr(`warning: ${m}`),
  });
  try {
    const r = session.recovered;
    if (flags.discardDownloads) {
      const gone = await pruneDownloads(session.ws.downloadsBase);
      printOut(`discarded ${gone.length} partial download file(s) from ${flags.dir}`);
    }
    if (r.rolledBack.length + r.finished.length + r.discarded.length === 0) {
      printOut(`nothing to recover in ${flags.dir}`);
    } else {
      printOut(
        `recovered ${flags.dir}: ${r.rolledBack.length} rolled back, ${r.finished.length} finished, ${r.discarded.length} discarded`,
      );
    }
    return 0;
  } finally {
    await session.close();
  }
}
