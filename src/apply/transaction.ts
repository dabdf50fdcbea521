/**
 * The commit engine: a journaled list of rename steps that either all take
 * effect or are undone. Undo is derived from what is on disk (is the backup
 * there? is the staged item still in staging?), so it is idempotent and a
 * crash at any instant, even during an undo, is repaired by running it again.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import {
  forEachLimit,
  lstatOrUndefined,
  mkdirAll,
  mkdirSync,
  openAppend,
  readOwnedText,
  removeIfExists,
  removeSync,
  renameSync,
  syncDir,
  writeFileAtomic,
} from "./_fs.ts";
import { chmodDirNoFollow, type DirTree } from "./_dirs.ts";
import { checkRecordId, validateJournal } from "./records.ts";
import { checkOwnEntry } from "./trust.ts";
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
  const file = await openAppend(`${ws.txnDir(id)}/progress.log`);
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
export function readProgress(ws: Workspace, id: string): Promise<number> {
  try {
    const path = `${ws.txnDir(id)}/progress.log`;
    const lines = (readOwnedText(path, ws.show(path), 16 << 20) ?? "").trim().split("\n");
    const n = Number(lines.at(-1));
    return Promise.resolve(Number.isSafeInteger(n) && n >= 0 ? n : 0);
  } catch {
    return Promise.resolve(0);
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

/** Reads and validates a journal (untrusted input); `undefined` when there is none. */
export function readJournalAt(path: string, id: string, shown: string): Journal | undefined {
  const text = readOwnedText(path, shown);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PatchopsError(
      "StateInvalid",
      `journal "${shown}" is unreadable (${(err as Error).message}); recovery needs a person`,
    );
  }
  return validateJournal(value, id, shown);
}

function readJournal(ws: Workspace, id: string): Journal | undefined {
  return readJournalAt(journalPath(ws, id), id, ws.show(journalPath(ws, id)));
}

function sourceOf(ws: Workspace, j: Journal, step: Step): string {
  return `${ws.base}/${j.source}/${step.path}`;
}
function backupOf(ws: Workspace, j: Journal, step: Step): string {
  return `${ws.base}/${j.backup}/${step.path}`;
}

/**
 * Renames `from` to `to`. Moving a directory to another parent rewrites its
 * `..` entry, which needs write permission on the directory itself: without
 * root's override, a package's read-only (0555) directory could never be
 * moved in or out. Such a directory gets owner write for the move only.
 */
function move(from: string, to: string): void {
  try {
    renameSync(from, to);
    return;
  } catch (err) {
    if (!(err instanceof Deno.errors.PermissionDenied)) throw err;
    const info = Deno.lstatSync(from);
    const mode = (info.mode ?? 0) & 0o7777;
    if (!info.isDirectory || (mode & 0o200) !== 0) throw err;
    chmodDirNoFollow(from, mode | 0o200);
    try {
      renameSync(from, to);
    } catch (again) {
      chmodDirNoFollow(from, mode);
      throw again;
    }
    chmodDirNoFollow(to, mode);
  }
}

/** Creates a directory of the tree with its mode (set through a descriptor, never through a link). */
function mkdirIn(tree: DirTree, rel: string, mode: number): void {
  const path = tree.entry(rel);
  try {
    mkdirSync(path, mode);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return;
    throw err;
  }
  chmodDirNoFollow(path, mode);
}

/**
 * Every rename into or out of the install directory names the parent through
 * `ws.tree`, which reaches it without following a symlink that leaves the
 * tree, and pins it where it can (see `_dirs.ts`). A renamed directory's
 * cached descriptors are forgotten.
 */
function doStep(ws: Workspace, j: Journal, step: Step): void {
  const tree = ws.tree;
  if (step.hadTarget) {
    const backup = backupOf(ws, j, step);
    mkdirAll(parentOf(backup));
    move(tree.entry(step.path), backup);
    tree.forget(step.path);
  }
  if (step.action === "replace") {
    for (const p of step.parents) mkdirIn(tree, p.path, p.mode);
    move(sourceOf(ws, j, step), tree.entry(step.path));
  }
  for (const p of [...(step.prune ?? [])].reverse()) removeEmptyDir(tree, p.path);
}

/** Removes a directory of the tree if it exists and is empty. */
function removeEmptyDir(tree: DirTree, rel: string): void {
  try {
    removeSync(tree.entry(rel));
    tree.forget(rel);
  } catch (err) {
    // Not there (never created) or not empty (not ours to remove).
    const code = (err as { code?: string }).code;
    if (!(err instanceof Deno.errors.NotFound) && code !== "ENOTEMPTY") {
      throw err;
    }
  }
}

/** Whether an entry of the tree exists, reached like the renames reach it. */
function inTree(tree: DirTree, rel: string): boolean {
  try {
    Deno.lstatSync(tree.entry(rel));
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return false;
    throw err;
  }
}

/** Undoes one step from whatever state a crash left it in. */
async function undoStep(ws: Workspace, j: Journal, step: Step): Promise<void> {
  const tree = ws.tree;
  const backup = backupOf(ws, j, step);
  const backupThere = (await lstatOrUndefined(backup)) !== undefined;
  if (step.action === "replace") {
    const source = sourceOf(ws, j, step);
    const sourceThere = (await lstatOrUndefined(source)) !== undefined;
    // The new item is in place exactly when it left the source; the original
    // has left only if it is in the backup.
    if (!sourceThere && (backupThere || !step.hadTarget) && inTree(tree, step.path)) {
      mkdirAll(parentOf(source));
      move(tree.entry(step.path), source);
      tree.forget(step.path);
    }
  }
  for (const p of step.prune ?? []) mkdirIn(tree, p.path, p.mode);
  if (step.hadTarget && backupThere) {
    move(backup, tree.entry(step.path));
  }
  for (const p of [...step.parents].reverse()) removeEmptyDir(tree, p.path);
}

async function syncAffected(ws: Workspace, j: Journal): Promise<void> {
  const own = new Set<string>();
  const inside = new Set<string>();
  for (const step of j.steps) {
    inside.add(parentOf(step.path));
    if (step.hadTarget) own.add(parentOf(backupOf(ws, j, step)));
    if (step.action === "replace") own.add(parentOf(sourceOf(ws, j, step)));
    for (const p of [...step.parents, ...(step.prune ?? [])]) inside.add(parentOf(p.path));
  }
  // Directories of the tree are reached as the renames reached them; one that is gone needs no sync.
  const paths = [...own];
  for (const rel of inside) {
    try {
      paths.push(ws.tree.dir(rel));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  await forEachLimit(paths, 16, syncDir);
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
      doStep(ws, journal, step);
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
    mkdirAll(kept);
    await writeFileAtomic(
      `${kept}/journal.json`,
      JSON.stringify(journal) + "\n",
    );
    if (await lstatOrUndefined(txnBackup)) {
      renameSync(txnBackup, `${kept}/tree`);
    } else mkdirAll(`${kept}/tree`);
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
  if (!ws.isOpen) return ids;
  try {
    for await (const e of Deno.readDir(ws.backupsBase)) {
      ids.push(checkRecordId(e.name, ws.show(`${ws.backupsBase}/${e.name}`)));
      checkOwnEntry(Deno.lstatSync(ws.backupDir(e.name)), ws.show(ws.backupDir(e.name)), "directory");
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
export function readBackupJournal(
  ws: Workspace,
  id: string,
): Promise<Journal> {
  const path = `${ws.backupDir(id)}/journal.json`;
  const j = readJournalAt(path, id, ws.show(path));
  if (j === undefined || j.kind !== "apply" || j.state !== "committed") {
    throw new PatchopsError("StateInvalid", `backup "${ws.show(ws.backupDir(id))}" has no committed apply journal`);
  }
  return Promise.resolve(j);
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
  const ids = await listTransactions(ws);
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

/**
 * Ids of the working areas in `txn/`, oldest first. Every entry must be a
 * directory of ours named by a transaction id: anything else there was not
 * made by patchops and is refused rather than acted on.
 */
export async function listTransactions(ws: Workspace): Promise<string[]> {
  const ids: string[] = [];
  if (!ws.isOpen) return ids;
  try {
    for await (const e of Deno.readDir(ws.txnBase)) {
      ids.push(checkRecordId(e.name, ws.show(`${ws.txnBase}/${e.name}`)));
      checkOwnEntry(Deno.lstatSync(ws.txnDir(e.name)), ws.show(ws.txnDir(e.name)), "directory");
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return ids.sort();
}
