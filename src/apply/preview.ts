/**
 * Dry runs of `rollback` and `recover`: what they would do, read from the
 * records and the tree without taking the lock or changing anything (the
 * working area is not even created).
 *
 * @module
 */

import { inverseSteps, lastBackup } from "./rollback.ts";
import { openInstallDir } from "./session.ts";
import { readState } from "./state.ts";
import { planRecovery, type RecoverReport } from "./transaction.ts";
import type { TrustPolicyOptions } from "./trust.ts";

/** What `rollback` would do now. */
export interface RollbackPreview {
  /** Interrupted transactions a real run repairs first. */
  recovery: RecoverReport;
  /** The transaction that would be undone; undefined while a repair is pending (it may change the answer). */
  undone: string | undefined;
  /** Version installed now, and the one the rollback would install. */
  from: string | undefined;
  version: string | undefined;
  /** The steps, in order (empty while a repair is pending). */
  steps: { action: "replace" | "delete"; path: string }[];
}

function pending(r: RecoverReport): number {
  return r.rolledBack.length + r.finished.length + r.discarded.length;
}

/** What {@linkcode recoverInstallDir} would repair in `dir`, changing nothing. */
export async function previewRecovery(dir: string, options?: TrustPolicyOptions): Promise<RecoverReport> {
  const ws = await openInstallDir(dir, options);
  try {
    if (ws.openBase(false) === "missing") return { rolledBack: [], finished: [], discarded: [] };
    return await planRecovery(ws);
  } finally {
    ws.close();
  }
}

/**
 * What `rollback` would do in `dir`, changing nothing. Throws
 * `NothingToRollBack` when no backup is kept (as the real run does).
 */
export async function previewRollback(dir: string, options?: TrustPolicyOptions): Promise<RollbackPreview> {
  const ws = await openInstallDir(dir, options);
  try {
    if (ws.openBase(false) === "missing") await lastBackup(ws); // throws NothingToRollBack
    const recovery = await planRecovery(ws);
    const state = await readState(ws);
    if (pending(recovery) > 0) {
      // Finishing a committed transaction adds a backup: the answer is known only after the repair.
      return { recovery, undone: undefined, from: state.version, version: undefined, steps: [] };
    }
    const { id: last, journal: orig } = await lastBackup(ws);
    const steps = await inverseSteps(ws, orig, `${ws.base}/backups/${last}/tree`);
    return {
      recovery,
      undone: last,
      from: state.version,
      version: orig.previousVersion,
      steps: steps.map((s) => ({ action: s.action, path: s.path })),
    };
  } finally {
    ws.close();
  }
}
