/**
 * Library forms of `recover` and `status`: repair a directory, or read what
 * is recorded about it without taking the lock.
 *
 * @module
 */

import type { RecoverReport } from "./transaction.ts";
import { openInstallDir, Session } from "./session.ts";
import { readState, type State } from "./state.ts";
import type { TrustPolicyOptions } from "./trust.ts";

export type { HistoryEntry, State } from "./state.ts";
export type { RecoverReport } from "./transaction.ts";

/** Options of {@linkcode recoverInstallDir}. */
export interface RecoverOptions extends TrustPolicyOptions {
  /** Committed backups to keep. @default 1 */
  keep?: number | undefined;
  /** Non-fatal findings (a stale lock taken over, a transaction repaired). */
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * Takes the lock on `dir` and repairs whatever an interrupted run left:
 * prepared transactions are undone, committed ones finished. Every command
 * that changes a directory does this first; this is the explicit form.
 */
export async function recoverInstallDir(dir: string, options?: RecoverOptions): Promise<RecoverReport> {
  const ws = await openInstallDir(dir, options);
  const session = await Session.open(ws, "recover", { keep: options?.keep ?? 1, onWarning: options?.onWarning });
  try {
    return session.recovered;
  } finally {
    await session.close();
  }
}

/** Reads the installed version and history of `dir` (empty when patchops never touched it). Takes no lock. */
export async function readInstallState(dir: string, options?: TrustPolicyOptions): Promise<State> {
  const ws = await openInstallDir(dir, options);
  try {
    ws.openBase(false);
    return await readState(ws);
  } finally {
    ws.close();
  }
}
