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
import { COMMON_FLAGS, type FlagTable, parseFlags, positionals, stringFlag } from "./_common.ts";
import { helpText, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { printOut } from "./_print.ts";

/** Flags of `status`. */
export const flags: FlagTable = {
  dir: { type: "string", value: "<dir>", required: true, help: "install directory" },
  "allow-untrusted-owner": { type: "boolean", help: "accept an install directory writable by another user" },
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("status", "", flags);

/** `--help` text. */
export const help: string = helpText(
  "status",
  "show the installed version, history, pending work, backups and downloads",
  "",
  flags,
);

/** Parsed flags of `status`. */
export interface StatusFlags {
  dir: string;
  json: boolean;
  allowUntrustedOwner: boolean;
}

/** Parses `status`'s arguments. Pure; throws `UsageError`. */
export function parseStatusArgs(args: string[]): StatusFlags {
  const { values, positionals: pos } = parseFlags(args, flags);
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
export async function run(flags: StatusFlags, out: Output): Promise<number> {
  const ws = await openInstallDir(flags.dir, { allowUntrustedOwner: flags.allowUntrustedOwner });
  try {
    ws.openBase(false);
    return await report(ws, out);
  } finally {
    ws.close();
  }
}

async function report(ws: Workspace, out: Output): Promise<number> {
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
  if (out.json) {
    out.event("result", {
      exitCode: 0,
      dir: ws.root,
      version: state.version ?? null,
      appliedAt: state.appliedAt ?? null,
      lastTransaction: last ?? null,
      pending,
      backups,
      downloads,
      lock: held ? (holder ?? { pid: null }) : null,
      history: state.history,
      hooks: state.hooks ?? [],
    });
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
  printOut(`history:   ${state.history.length ? "" : "none"}`);
  // Newest first, the last five: enough to see what rollback would undo and where it leads.
  for (const h of state.history.slice(-5).reverse()) {
    const to = h.version ?? "(no version)";
    const what = h.kind === "adopt" ? `adopted as ${to}` : `${h.kind} ${h.previousVersion ?? "(none)"} -> ${to}`;
    printOut(`  ${h.at}  ${what}  (${h.id})`);
  }
  if (state.history.length > 5) printOut(`  ... ${state.history.length - 5} earlier`);
  const hooks = state.hooks ?? [];
  if (hooks.length > 0) printOut("hooks:");
  for (const h of hooks.slice(-5).reverse()) {
    const how = h.exitCode !== null ? `, exit ${h.exitCode}` : h.signal !== null ? `, ${h.signal}` : "";
    printOut(`  ${h.at}  ${h.name}  ${h.outcome}${how}  (${h.txn})`);
  }
  return 0;
}
