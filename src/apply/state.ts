/**
 * The record of what is installed: `.patchops/state.json`.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { readOwnedText, writeFileAtomic } from "./_fs.ts";
import { validateState } from "./records.ts";
import type { Workspace } from "./workspace.ts";

/** One committed transaction in the history. */
export interface HistoryEntry {
  id: string;
  /** `adopt` records a version patchops did not install (no steps, no backup). */
  kind: "apply" | "rollback" | "adopt";
  /** Version installed by this transaction. */
  version: string | undefined;
  /** Version installed before it. */
  previousVersion: string | undefined;
  /** SHA-256 of the package (apply only). */
  hash: string | undefined;
  at: string;
  steps: number;
}

/** How a hook run ended, as recorded; `running` is written before it starts, `crashed` by recovery. */
export type HookRecordOutcome = "running" | "ok" | "failed" | "timed-out" | "interrupted" | "crashed";

/** One hook run, as `state.json` records it (the last {@linkcode MAX_HOOK_RECORDS}). */
export interface HookRecord {
  /** The transaction it ran for. */
  txn: string;
  stage: "pre-apply" | "post-apply" | "pre-rollback" | "post-rollback";
  name: string;
  outcome: HookRecordOutcome;
  exitCode: number | null;
  signal: string | null;
  at: string;
  /** While `running`: the hook's pid (and process group) and start time, for recovery to kill what is left of it. */
  pid?: number | undefined;
  startTime?: number | undefined;
  /** The boot `startTime` counts from (`/proc/sys/kernel/random/boot_id`). */
  bootId?: string | undefined;
}

/** Hook runs kept in the state. */
export const MAX_HOOK_RECORDS = 32;

/** Contents of `state.json`. */
export interface State {
  format: 1;
  /** Installed version: the manifest's `version`, else `sha256:<hash>`. */
  version: string | undefined;
  appliedAt: string | undefined;
  history: HistoryEntry[];
  /** The last hook runs, oldest first (absent before any hook ran). */
  hooks?: HookRecord[] | undefined;
}

/** A state for a directory patchops has never touched. */
export function emptyState(): State {
  return { format: 1, version: undefined, appliedAt: undefined, history: [] };
}

/** Reads the state, or an empty one when there is none. */
export function readState(ws: Workspace): Promise<State> {
  if (!ws.isOpen) return Promise.resolve(emptyState());
  const shown = ws.show(ws.statePath);
  const text = readOwnedText(ws.statePath, shown);
  if (text === undefined) return Promise.resolve(emptyState());
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PatchopsError("StateInvalid", `state file "${shown}" is unreadable (${(err as Error).message})`);
  }
  return Promise.resolve(validateState(value, shown));
}

/** Writes the state atomically. */
export async function writeState(ws: Workspace, state: State): Promise<void> {
  await writeFileAtomic(ws.statePath, JSON.stringify(state, null, 2) + "\n");
}
