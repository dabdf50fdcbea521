/**
 * `patchops recover --dir <dir>`.
 *
 * @module
 */

import { openInstallDir, Session } from "../apply/mod.ts";
import { runRecoveryHooks } from "../apply/run_hooks.ts";
import { previewRecovery } from "../apply/preview.ts";
import { describeRun } from "../apply/hooks.ts";
import { PatchopsError } from "../errors.ts";
import { hookOptions, hookSummary } from "./_hooks.ts";
import { COMMON_FLAGS, type FlagTable, HOOK_FLAGS, hookFlags, parseFlags, positionals, stringFlag } from "./_common.ts";
import { helpText, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { pruneDownloads } from "../apply/receive.ts";
import { printOut } from "./_print.ts";
import { plural } from "../format.ts";

/** Flags of `recover`. */
export const flags: FlagTable = {
  dir: { type: "string", value: "<dir>", required: true, help: "install directory" },
  "discard-downloads": { type: "boolean", help: "also remove partial downloads kept for resuming" },
  "allow-untrusted-owner": { type: "boolean", help: "accept an install directory writable by another user" },
  "dry-run": { type: "boolean", help: "show what would be repaired, change nothing (takes no lock)" },
  "run-hooks": {
    type: "boolean",
    help: "after a repair, run the post-apply or post-rollback hooks that match the tree",
  },
  ...HOOK_FLAGS,
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("recover", "", flags);

/** `--help` text. */
export const help: string = helpText(
  "recover",
  "repair what an interrupted run left (also done by every command that locks)",
  "",
  flags,
);

/** Parsed flags of `recover`. */
export interface RecoverFlags {
  dir: string;
  allowUntrustedOwner: boolean;
  discardDownloads: boolean;
  runHooks: boolean;
  dryRun: boolean;
  hooksDir: string | undefined;
  hookTimeout: number;
}

/** Parses `recover`'s arguments. Pure; throws `UsageError`. */
export function parseRecoverArgs(args: string[]): RecoverFlags {
  const { values, positionals: pos } = parseFlags(args, flags);
  positionals(pos, []);
  return {
    dir: stringFlag(values, "dir", true),
    allowUntrustedOwner: values["allow-untrusted-owner"] === true,
    discardDownloads: values["discard-downloads"] === true,
    runHooks: values["run-hooks"] === true,
    dryRun: values["dry-run"] === true,
    ...hookFlags(values),
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: RecoverFlags): string {
  return `cannot recover "${flags.dir}"`;
}

/** Runs `recover`; returns the exit code. */
export async function run(flags: RecoverFlags, out: Output): Promise<number> {
  if (flags.dryRun) {
    const r = await previewRecovery(flags.dir, { allowUntrustedOwner: flags.allowUntrustedOwner });
    if (out.json) {
      out.event("result", { exitCode: 0, dryRun: true, ...r });
      return 0;
    }
    const n = r.rolledBack.length + r.finished.length + r.discarded.length;
    if (n === 0) printOut(`dry run: nothing to recover in ${flags.dir}`);
    else {
      const list = (ids: string[]) => ids.length ? ` (${ids.join(", ")})` : "";
      printOut(
        `dry run: would recover ${flags.dir}: ${r.rolledBack.length} rolled back${
          list(r.rolledBack)
        }, ${r.finished.length} finished${list(r.finished)}, ${r.discarded.length} discarded${
          list(r.discarded)
        }; nothing changed`,
      );
    }
    return 0;
  }
  const ws = await openInstallDir(flags.dir, { allowUntrustedOwner: flags.allowUntrustedOwner });
  const session = await Session.open(ws, "recover", { onWarning: (m) => out.warn(m) });
  try {
    const r = session.recovered;
    const gone = flags.discardDownloads ? await pruneDownloads(session.ws.downloadsBase) : [];
    // Hooks run again only when asked: a person decides whether to restart a service after a crash.
    const repaired = [...r.rolledBack, ...r.finished, ...session.crashedHooks];
    const hooks = flags.runHooks
      ? await runRecoveryHooks(session.ws, repaired, { ...hookOptions(flags, out), signal: out.signal })
      : { runs: [], failed: undefined };
    if (hooks.failed) {
      throw new PatchopsError("HookFailed", `${describeRun(hooks.failed)}; the recovery itself is done`);
    }
    if (out.json) {
      out.event("result", {
        exitCode: 0,
        rolledBack: r.rolledBack,
        finished: r.finished,
        discarded: r.discarded,
        downloadsDiscarded: gone,
        hooks: hooks.runs.map(hookSummary),
      });
      return 0;
    }
    if (flags.discardDownloads) {
      printOut(`discarded ${plural(gone.length, "partial download file")} from ${flags.dir}`);
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
