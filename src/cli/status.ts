/**
 * `patchops status --dir <dir> [--json]`.
 *
 * @module
 */

import { openInstallDir } from "../apply/mod.ts";
import { isLockHeld, readHolder } from "../apply/lock.ts";
import { readState } from "../apply/state.ts";
import { listBackups, listTransactions, readJournalAt, readProgress } from "../apply/transaction.ts";
import type { Workspace } from "../apply/workspace.ts";
import { listDownloads } from "../apply/receive.ts";
import { formatBytes } from "../format.ts";
import { parseFlags, positionals, stringFlag } from "./_common.ts";
import { printOut } from "./_print.ts";

/** Usage line of the command. */
export const usage = "patchops status --dir <dir> [--json] [--allow-untrusted-owner]";

/** Parsed flags of `status`. */
export interface StatusFlags {
  dir: string;
  json: boolean;
  allowUntrustedOwner: boolean;
}

/** Parses `status`'s arguments. Pure; throws `UsageError`. */
export function parseStatusArgs(args: string[]): StatusFlags {
  const { values, positionals: pos } = parseFlags(args, {
    dir: { type: "string" },
    json: { type: "boolean" },
    "allow-untrusted-owner": { type: "boolean" },
  });
  positionals(pos, []);
  return {
    dir: stringFlag(values, "dir", true),
    json: values.json === true,
    allowUntrustedOwner: values["allow-untrusted-owner"] === true,
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: StatusFlags): string {
  return `cannot read the status of "${flags.dir}"`;
}

/** Runs `status`; returns the exit code. Reads only: takes no lock. */
export async function run(flags: StatusFlags): Promise<number> {
  const ws = await openInstallDir(flags.dir, { allowUntrustedOwner: flags.allowUntrustedOwner });
  try {
    ws.openBase(false);
    return await report(ws, flags);
  } finally {
    ws.close();
  }
}

async function report(ws: Workspace, flags: StatusFlags): Promise<number> {
  const state = await readState(ws);
  const backups = await listBackups(ws);
  const pending: {
    id: string;
    kind: string | null;
    state: string;
    stepsDone: number;
    steps: number;
  }[] = [];
  for (const id of await listTransactions(ws)) {
    const path = `${ws.txnDir(id)}/journal.json`;
    // No journal yet: staging only.
    const journal = readJournalAt(path, id, ws.show(path));
    pending.push({
      id,
      kind: journal?.kind ?? null,
      state: journal?.state ?? "staging",
      stepsDone: await readProgress(ws, id),
      steps: journal?.steps.length ?? 0,
    });
  }
  const downloads = ws.isOpen ? await listDownloads(ws.downloadsBase) : [];
  const held = ws.isOpen && await isLockHeld(ws.lockPath);
  const holder = held ? await readHolder(ws.lockPath) : undefined;
  const last = state.history.at(-1);
  if (flags.json) {
    console.log(JSON.stringify({
      dir: ws.root,
      version: state.version ?? null,
      appliedAt: state.appliedAt ?? null,
      lastTransaction: last ?? null,
      pending,
      backups,
      downloads,
      lock: held ? (holder ?? { pid: null }) : null,
      history: state.history,
    }));
    return 0;
  }
  printOut(`directory: ${ws.root}`);
  printOut(`version:   ${state.version ?? "(none recorded)"}`);
  if (state.appliedAt) {
    printOut(
      `applied:   ${state.appliedAt}${last ? ` (${last.kind} ${last.id})` : ""}`,
    );
  }
  printOut(
    `pending:   ${
      pending.length
        ? pending.map((p) => `${p.id} (${p.kind ?? "apply"} ${p.state}, ${p.stepsDone}/${p.steps} steps)`).join(", ")
        : "none"
    }`,
  );
  printOut(`backups:   ${backups.length ? backups.join(", ") : "none"}`);
  printOut(
    `downloads: ${
      downloads.length ? downloads.map((d) => `${d.name} (${formatBytes(d.size)})`).join(", ") : "none"
    } (partial, kept to resume; recover --discard-downloads removes them)`,
  );
  printOut(
    `lock:      ${
      held ? (holder ? `held by pid ${holder.pid} on ${holder.host} (${holder.command})` : "held") : "free"
    }`,
  );
  printOut(`history:   ${state.history.length} transaction(s)`);
  return 0;
}
