/**
 * Rollback: restores the tree from before the last committed patch, using
 * that patch's kept backup, as a transaction of its own.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { ancestorsOf } from "../path_policy.ts";
import { lstatOrUndefined, mkdirAll } from "./_fs.ts";
import { openInstallDir, Session } from "./session.ts";
import {
  commitTransaction,
  type CreatedParent,
  type Journal,
  listBackups,
  type PointHook,
  readBackupJournal,
  type Step,
} from "./transaction.ts";
import { readState } from "./state.ts";
import { newTxnId, type Workspace } from "./workspace.ts";
import type { TrustPolicyOptions } from "./trust.ts";
import { checkHooks, type HookOptions, runHooks, runHooksOrThrow } from "./run_hooks.ts";
import { describeRun, type HookRun } from "./hooks.ts";

/** Options of {@linkcode rollbackLast}. */
export interface RollbackOptions extends TrustPolicyOptions, HookOptions {
  /** @default 1 */
  keep?: number;
  onWarning?: (message: string) => void;
  onStep?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Test hook: fail before commit step `n`. */
  failBeforeStep?: number;
  /** Test hook: called at named points of the transaction. */
  onPoint?: PointHook;
}

/** What {@linkcode rollbackLast} did. */
export interface RollbackResult {
  id: string;
  /** The transaction that was undone. */
  undone: string;
  /** Version now installed. */
  version: string | undefined;
  /** Version that was installed before. */
  from: string | undefined;
  steps: number;
  /** The hooks that ran. */
  hooks: HookRun[];
}

async function missingParents(
  ws: Workspace,
  path: string,
  planned: Set<string>,
): Promise<CreatedParent[]> {
  const out: CreatedParent[] = [];
  for (const a of ancestorsOf(path)) {
    if (planned.has(a)) continue;
    if ((await lstatOrUndefined(ws.target(a))) === undefined) {
      planned.add(a);
      out.push({ path: a, mode: 0o755 });
    }
  }
  return out;
}

/** Inverts a committed apply's steps against the tree as it is now (reads only). */
export async function inverseSteps(
  ws: Workspace,
  orig: Journal,
  source: string,
): Promise<Step[]> {
  const steps: Step[] = [];
  const planned = new Set<string>();
  for (const s of [...orig.steps].reverse()) {
    const exists = (await lstatOrUndefined(ws.target(s.path))) !== undefined;
    if (s.hadTarget) {
      if ((await lstatOrUndefined(`${source}/${s.path}`)) === undefined) {
        throw new PatchopsError(
          "StateInvalid",
          `backup of "${s.path}" is missing from "${source}"`,
        );
      }
      steps.push({
        action: "replace",
        path: s.path,
        hadTarget: exists,
        parents: await missingParents(ws, s.path, planned),
      });
    } else {
      const prune: CreatedParent[] = [];
      for (const p of s.parents) {
        if (await lstatOrUndefined(ws.target(p.path))) prune.push(p);
      }
      if (exists || prune.length > 0) {
        steps.push({
          action: "delete",
          path: s.path,
          hadTarget: exists,
          parents: [],
          prune,
        });
      }
    }
  }
  return steps;
}

/**
 * Rolls the install directory back to the version before the last
 * committed patch. Throws `NothingToRollBack` when no backup is kept.
 */
export async function rollbackLast(
  dir: string,
  options?: RollbackOptions,
): Promise<RollbackResult> {
  const { keep = 1, onWarning } = options ?? {};
  const ws = await openInstallDir(dir, options);
  const session = await Session.open(ws, "rollback", { keep, onWarning });
  try {
    return await rollbackInSession(ws, options);
  } finally {
    await session.close();
  }
}

/** The newest kept backup and its journal; throws `NothingToRollBack` when none is kept. */
export async function lastBackup(ws: Workspace): Promise<{ id: string; journal: Journal }> {
  const last = (await listBackups(ws)).at(-1);
  if (last === undefined) {
    throw new PatchopsError(
      "NothingToRollBack",
      `no backup is kept in "${ws.shownBase}", so there is nothing to roll back to`,
    );
  }
  return { id: last, journal: await readBackupJournal(ws, last) };
}

/**
 * Rolls back the last committed patch in a session that is open already
 * (`rollbackLast`, or `applyPatch` when a post-apply hook fails), with the
 * pre- and post-rollback hooks around the swap.
 */
export async function rollbackInSession(ws: Workspace, options?: RollbackOptions): Promise<RollbackResult> {
  const { keep = 1, onWarning, onStep, signal } = options ?? {};
  const hookOptions = { ...(options ?? {}), signal, onWarning };
  checkHooks(["pre-rollback", "post-rollback"], hookOptions);
  const { id: last, journal: orig } = await lastBackup(ws);
  const state = await readState(ws);
  const id = newTxnId();
  const source = `backups/${last}/tree`;
  const journal: Journal = {
    format: 1,
    id,
    kind: "rollback",
    state: "prepared",
    source,
    backup: `txn/${id}/backup`,
    origin: last,
    version: orig.previousVersion,
    previousVersion: state.version,
    createdAt: new Date().toISOString(),
    steps: await inverseSteps(ws, orig, `${ws.base}/${source}`),
  };
  const env = { installDir: ws.root, oldVersion: state.version, newVersion: orig.previousVersion, txnId: id };
  const hooks = await runHooksOrThrow(ws, "pre-rollback", env, hookOptions, "nothing was rolled back");
  mkdirAll(ws.txnDir(id));
  await commitTransaction(ws, journal, {
    keep,
    ...(onStep ? { onStep } : {}),
    ...(signal ? { interrupted: () => signal.aborted } : {}),
    ...(options?.failBeforeStep !== undefined ? { failBeforeStep: options.failBeforeStep } : {}),
    ...(options?.onPoint ? { onPoint: options.onPoint } : {}),
  });
  const post = await runHooks(ws, "post-rollback", env, hookOptions);
  hooks.push(...post.runs);
  if (post.failed !== undefined) {
    throw new PatchopsError(
      "HookFailed",
      `${describeRun(post.failed)}; the rollback to ${orig.previousVersion ?? "the previous tree"} is done and kept`,
    );
  }
  return {
    id,
    undone: last,
    version: orig.previousVersion,
    from: state.version,
    steps: journal.steps.length,
    hooks,
  };
}
