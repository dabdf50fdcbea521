/**
 * The commit engine: a journaled list of rename steps that either all take
 * effect or are undone. Undo is derived from what is on disk (is the backup
 * there? is the staged item still in staging?), so it is idempotent and a
 * crash at any instant, even during an undo, is repaired by running it again.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { forEachLimit, lstatOrUndefined, removeIfExists, syncDir, writeFileAtomic } from "./_fs.ts";
import { readState, type State, writeState } from "./state.ts";
import type { Workspace } from "./workspace.ts";
import { parentOf } from "../path_policy.ts";

/** A directory a step creates before moving its item into place. */
export interface CreatedParent {
  path: string;
  mode: number;
}

/** One rename step of a transaction. */
export interface Step {
  /** `replace` moves `source/<path>` into place; `delete` only moves the target away. */
  action: "replace" | "delete";
  path: string;
  /** Whether the target existed when the plan was made (it goes to the backup). */
  hadTarget: boolean;
  /** Missing parents this step creates, outermost first. */
  parents: CreatedParent[];
  /**
   * Directories a delete leaves empty and removes, outermost first (a
   * rollback removing what a patch created).
   */
  prune?: CreatedParent[];
}

/** The journal of one transaction: `.patchops/txn/<id>/journal.json`. */
export interface Journal {
  format: 1;
  id: string;
  kind: "apply" | "rollback";
  state: "prepared" | "committed";
  /** Where replacement items come from, relative to `.patchops/`. */
  source: string;
  /** Where displaced items go, relative to `.patchops/`. */
  backup: string;
  /** Package hash (apply) or the id of the transaction rolled back. */
  origin: string;
  /** Version installed once committed. */
  version: string | undefined;
  /** Version installed before. */
  previousVersion: string | undefined;
  createdAt: string;
  steps: Step[];
}

/** Progress of a commit, for callers that draw it. */
export type StepCallback = (done: number, total: number) => void;

/** Options of {@linkcode commitTransaction}. */
export interface CommitOptions {
  onStep?: StepCallback;
  /** Checked between steps; when it returns true the transaction is undone. */
  interrupted?: () => boolean;
  /**
   * Committed backups to keep for rollback.
   * @default 1
   */
  keep?: number;
  /** Test hook: fail before step `n` (0-based) to exercise undo. */
  failBeforeStep?: number;
  /** Test hook: called at each named point (`step:3`, `committed`, ...), e.g. to kill the process there. */
  onPoint?: PointHook;
}

/** Called at named points of a transaction; tests use it to crash there. */
export type PointHook = (point: string) => void;

function journalPath(ws: Workspace, id: string): string {
  return `${ws.txnDir(id)}/journal.json`;
}

/**
 * An append-only record of completed steps (`progress.log`) for `status`.
 * Recovery does not need it (undo is derived from the disk), so it is
 * synced in batches rather than once per step.
 */
async function openProgressLog(ws: Workspace, id: string) {
  const file = await Deno.open(`${ws.txnDir(id)}/progress.log`, {
    append: true,
    create: true,
    mode: 0o600,
  });
  const encoder = new TextEncoder();
  let pending = 0;
  let closed = false;
  return {
    async record(done: number) {
      await file.write(encoder.encode(`${done}\n`));
      if (++pending >= 256) {
        pending = 0;
        await file.syncData();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await file.syncData();
      } finally {
        file.close();
      }
    },
  };
}

/** Reads how many steps a transaction's progress log records as done. */
export async function readProgress(ws: Workspace, id: string): Promise<number> {
  try {
    const lines = (await Deno.readTextFile(`${ws.txnDir(id)}/progress.log`))
      .trim().split("\n");
    return Number(lines.at(-1)) || 0;
  } catch {
    return 0;
  }
}

/** Writes the journal durably. */
export async function writeJournal(
  ws: Workspace,
  journal: Journal,
): Promise<void> {
  await writeFileAtomic(
    journalPath(ws, journal.id),
    JSON.stringify(journal) + "\n",
  );
}

async function readJournal(
  ws: Workspace,
  id: string,
): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(journalPath(ws, id));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  try {
    const j = JSON.parse(text) as Journal;
    if (j.format !== 1 || !Array.isArray(j.steps)) {
      throw new Error("unknown format");
    }
    return j;
  } catch (err) {
    throw new PatchopsError(
      "StateInvalid",
      `journal "${journalPath(ws, id)}" is unreadable (${(err as Error).message}); recovery needs a person`,
    );
  }
}

function sourceOf(ws: Workspace, j: Journal, step: Step): string {
  return `${ws.base}/${j.source}/${step.path}`;
}
function backupOf(ws: Workspace, j: Journal, step: Step): string {
  return `${ws.base}/${j.backup}/${step.path}`;
}

async function mkdirp(path: string, mode: number): Promise<void> {
  try {
    await Deno.mkdir(path, { mode });
    await Deno.chmod(path, mode);
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  }
}

async function doStep(ws: Workspace, j: Journal, step: Step): Promise<void> {
  const target = ws.target(step.path);
  if (step.hadTarget) {
    const backup = backupOf(ws, j, step);
    await Deno.mkdir(parentOf(backup), { recursive: true, mode: 0o700 });
    await Deno.rename(target, backup);
  }
  if (step.action === "replace") {
    for (const p of step.parents) await mkdirp(ws.target(p.path), p.mode);
    await Deno.rename(sourceOf(ws, j, step), target);
  }
  for (const p of [...(step.prune ?? [])].reverse()) {
    await removeEmptyDir(ws.target(p.path));
  }
}

/** Removes a directory if it exists and is empty. */
async function removeEmptyDir(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    // Not there (never created) or not empty (not ours to remove).
    const code = (err as { code?: string }).code;
    if (!(err instanceof Deno.errors.NotFound) && code !== "ENOTEMPTY") {
      throw err;
    }
  }
}

/** Undoes one step from whatever state a crash left it in. */
async function undoStep(ws: Workspace, j: Journal, step: Step): Promise<void> {
  const target = ws.target(step.path);
  const backup = backupOf(ws, j, step);
  const backupThere = (await lstatOrUndefined(backup)) !== undefined;
  if (step.action === "replace") {
    const source = sourceOf(ws, j, step);
    const sourceThere = (await lstatOrUndefined(source)) !== undefined;
    // The new item is in place exactly when it left the source; the original
    // has left only if it is in the backup.
    if (
      !sourceThere && (backupThere || !step.hadTarget) &&
      (await lstatOrUndefined(target))
    ) {
      await Deno.mkdir(parentOf(source), { recursive: true, mode: 0o700 });
      await Deno.rename(target, source);
    }
  }
  for (const p of step.prune ?? []) await mkdirp(ws.target(p.path), p.mode);
  if (step.hadTarget && backupThere) {
    await Deno.rename(backup, target);
  }
  for (const p of [...step.parents].reverse()) {
    await removeEmptyDir(ws.target(p.path));
  }
}

async function syncAffected(ws: Workspace, j: Journal): Promise<void> {
  const dirs = new Set<string>();
  for (const step of j.steps) {
    dirs.add(parentOf(ws.target(step.path)) || "/");
    if (step.hadTarget) dirs.add(parentOf(backupOf(ws, j, step)));
    if (step.action === "replace") dirs.add(parentOf(sourceOf(ws, j, step)));
    for (const p of [...step.parents, ...(step.prune ?? [])]) {
      dirs.add(parentOf(ws.target(p.path)) || "/");
    }
  }
  await forEachLimit([...dirs], 16, syncDir);
}

/**
 * Runs the journal's steps. The journal is written (prepared) before the
 * first rename and marked committed after the renames are durable; any
 * failure before that undoes the done steps in reverse and rethrows as
 * `CommitFailed`, naming any undo error too.
 */
export async function commitTransaction(
  ws: Workspace,
  journal: Journal,
  options?: CommitOptions,
): Promise<void> {
  const { onStep, interrupted, failBeforeStep, onPoint } = options ?? {};
  await writeJournal(ws, journal);
  let done = 0;
  const progress = await openProgressLog(ws, journal.id);
  try {
    for (const step of journal.steps) {
      if (interrupted?.()) throw new Error("interrupted by a signal");
      if (failBeforeStep === done) throw new Error("injected failure");
      await doStep(ws, journal, step);
      done++;
      await progress.record(done);
      onStep?.(done, journal.steps.length);
      onPoint?.(`step:${done}`);
    }
    await progress.close();
    await syncAffected(ws, journal);
    journal.state = "committed";
    await writeJournal(ws, journal);
    onPoint?.("committed");
  } catch (err) {
    await progress.close().catch(() => {});
    const step = journal.steps[done];
    const what = step ? `${step.action} "${step.path}"` : "the commit";
    try {
      await undoTransaction(ws, journal, onPoint);
    } catch (undoErr) {
      throw new PatchopsError(
        "CommitFailed",
        `${what} failed (${(err as Error).message}) and undo failed too (${
          (undoErr as Error).message
        }); run "patchops recover" to finish the undo`,
        { cause: err },
      );
    }
    throw new PatchopsError(
      "CommitFailed",
      `${what} failed, all changes undone (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  await finishTransaction(ws, journal, options?.keep ?? 1, onPoint);
}

/** Undoes every step in reverse, then removes the transaction's working area. */
export async function undoTransaction(
  ws: Workspace,
  journal: Journal,
  onPoint?: PointHook,
): Promise<void> {
  let undone = 0;
  for (const step of [...journal.steps].reverse()) {
    await undoStep(ws, journal, step);
    onPoint?.(`undo:${++undone}`);
  }
  await syncAffected(ws, journal);
  await removeIfExists(ws.txnDir(journal.id));
}

/**
 * Finishes a committed transaction: keeps its backup for rollback (apply),
 * or drops the consumed backup (rollback), records the state, prunes old
 * backups and removes the working area. Safe to run again after a crash.
 */
export async function finishTransaction(
  ws: Workspace,
  journal: Journal,
  keep: number,
  onPoint?: PointHook,
): Promise<void> {
  const state = await readState(ws);
  if (journal.kind === "apply") {
    const kept = ws.backupDir(journal.id);
    const txnBackup = `${ws.base}/${journal.backup}`;
    await Deno.mkdir(kept, { recursive: true, mode: 0o700 });
    await writeFileAtomic(
      `${kept}/journal.json`,
      JSON.stringify(journal) + "\n",
    );
    if (await lstatOrUndefined(txnBackup)) {
      await Deno.rename(txnBackup, `${kept}/tree`);
    } else await Deno.mkdir(`${kept}/tree`, { recursive: true, mode: 0o700 });
    onPoint?.("finish:backup");
  } else {
    // The rolled-back transaction's backup was the source: its items are now in place.
    await removeIfExists(ws.backupDir(journal.origin));
  }
  if (!state.history.some((h) => h.id === journal.id)) {
    const next: State = {
      ...state,
      version: journal.version,
      appliedAt: new Date().toISOString(),
      history: [...state.history, {
        id: journal.id,
        kind: journal.kind,
        version: journal.version,
        previousVersion: journal.previousVersion,
        hash: journal.kind === "apply" ? journal.origin : undefined,
        at: new Date().toISOString(),
        steps: journal.steps.length,
      }],
    };
    await writeState(ws, next);
    onPoint?.("finish:state");
  }
  await pruneBackups(ws, keep);
  await removeIfExists(ws.txnDir(journal.id));
  await syncDir(ws.base);
}

/** Ids of the kept backups, oldest first. */
export async function listBackups(ws: Workspace): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(ws.backupsBase)) {
      if (e.isDirectory) ids.push(e.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return ids.sort();
}

async function pruneBackups(ws: Workspace, keep: number): Promise<void> {
  const ids = await listBackups(ws);
  for (const id of ids.slice(0, Math.max(0, ids.length - keep))) {
    await removeIfExists(ws.backupDir(id));
  }
}

/** Reads the journal a kept backup was made by. */
export async function readBackupJournal(
  ws: Workspace,
  id: string,
): Promise<Journal> {
  const text = await Deno.readTextFile(`${ws.backupDir(id)}/journal.json`);
  return JSON.parse(text) as Journal;
}

/** What {@linkcode recover} did. */
export interface RecoverReport {
  rolledBack: string[];
  finished: string[];
  discarded: string[];
}

/**
 * Repairs whatever an interrupted run left: prepared transactions are
 * undone, committed ones finished, and working areas without a journal
 * (staging that never reached commit) removed.
 */
export async function recover(
  ws: Workspace,
  keep = 1,
  onPoint?: PointHook,
): Promise<RecoverReport> {
  const report: RecoverReport = { rolledBack: [], finished: [], discarded: [] };
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(ws.txnBase)) {
      if (e.isDirectory) ids.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return report;
    throw err;
  }
  for (const id of ids.sort()) {
    const journal = await readJournal(ws, id);
    if (journal === undefined) {
      await removeIfExists(ws.txnDir(id));
      report.discarded.push(id);
    } else if (journal.state === "committed") {
      await finishTransaction(ws, journal, keep, onPoint);
      report.finished.push(id);
    } else {
      await undoTransaction(ws, journal, onPoint);
      report.rolledBack.push(id);
    }
  }
  return report;
}
