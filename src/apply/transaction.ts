/**
 * The commit engine: a journaled list of rename steps that either all take
 * effect or are undone. Renames go in batches with fsync barriers between
 * them, so that after a power cut at any instant each step's copies are in
 * one of the places the invariant allows ({@linkcode UndoPlan}). Undo is
 * derived from what is on disk (where are the old and new copies?), so it is
 * idempotent and a crash or cut at any instant, even during an undo, is
 * repaired by running it again.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import {
  forEachLimit,
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

/**
 * A journal as JSON, in parts of at most 1,024 steps: the same document as
 * `JSON.stringify(journal)`, without holding all of it at once.
 */
export function* journalText(journal: Journal): Generator<string> {
  const { steps, ...rest } = journal;
  const head = JSON.stringify(rest);
  yield `${head.slice(0, -1)}${head.length > 2 ? "," : ""}"steps":[`;
  for (let i = 0; i < steps.length; i += 1024) {
    yield (i > 0 ? "," : "") + steps.slice(i, i + 1024).map((s) => JSON.stringify(s)).join(",");
  }
  yield "]}\n";
}

/** Writes the journal durably. */
export async function writeJournal(
  ws: Workspace,
  journal: Journal,
): Promise<void> {
  await writeFileAtomic(journalPath(ws, journal.id), journalText(journal));
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
 * Where undo puts a second name that a cut left for an item held elsewhere
 * too; `run` is new for each undo, since an earlier, cut one may have left
 * its own there.
 */
function displacedOf(ws: Workspace, j: Journal, run: string, step: Step): string {
  return `${ws.txnDir(j.id)}/displaced/${run}/${step.path}`;
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

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return false;
    throw err;
  }
}

/** `root` and every directory below it on the way to `rel`'s parent. */
function chain(root: string, rel: string, into: Set<string>): void {
  into.add(root);
  let dir = root;
  const parent = parentOf(rel);
  if (parent === "") return;
  for (const part of parent.split("/")) {
    dir = `${dir}/${part}`;
    into.add(dir);
  }
}

/** fsyncs directories of the tree (by relative path) and of the working area (by path); gone ones need none. */
async function syncDirs(ws: Workspace, tree: Iterable<string>, own: Iterable<string> = []): Promise<void> {
  const paths = [...new Set(own)];
  for (const rel of new Set(tree)) {
    try {
      paths.push(ws.tree.dir(rel));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound) && !(err instanceof Deno.errors.NotADirectory)) throw err;
    }
  }
  await forEachLimit(paths, 16, syncDir);
}

/**
 * The durability invariant: where the copies of one step can be after a
 * power cut at any instant. T is the step's path in the tree, B its backup,
 * S its source (staging; for a rollback, the kept backup). Under the strict
 * model (a rename is durable once the directories involved are fsynced, and
 * each directory on its own), every batch of renames is followed by a
 * barrier that fsyncs the destinations first and the sources second, and
 * the next batch starts only after it. A cut between the two halves leaves
 * an item under both names ("dup": a second name for what B or S holds).
 *
 * | journal prepared                    | T       | B   | S   |
 * | ----------------------------------- | ------- | --- | --- |
 * | before the move out                 | old     | -   | new |
 * | moved out, backup barrier not done  | old dup | old | new |
 * | after the backup barrier            | -       | old | new |
 * | moved in, commit barrier not done   | new dup | old | new |
 * | after the commit barrier            | new     | old | -   |
 *
 * Without a target, B stays empty and T starts empty; a delete has no S
 * and stops after the backup barrier. The journal says `committed` only
 * after the commit barrier. Undo walks the rows back up with barriers of its
 * own in the same order (new copies back to S, then old copies from B), so a
 * cut during undo leaves a state in the same table. A copy missing from T
 * alone is taken as removed by the install directory's owner (see
 * {@linkcode planUndo}) and left missing, named in the result; anything
 * else outside the table (a copy missing from B or S too) is refused
 * rather than guessed at.
 */
interface UndoPlan {
  /** What to do with the item at T first: leave it, return it to S (it is new), or set it aside (a dup). */
  first: "none" | "return" | "displace";
  /** Whether the old copy then comes back from B. */
  restore: boolean;
  /** The old copy is in neither T nor B: the path is left missing, as found. */
  lost?: boolean;
}

/**
 * Places each step's copies in the invariant's table, or says why they fit no row.
 *
 * A copy missing from T alone is not refused: the install directory's owner may
 * remove anything in it at any moment (a target after the plan
 * saw it and before it was moved out, a replacement just after it was moved in). What
 * they removed is theirs to remove, and refusing there left every old copy moved out
 * so far in the backup and every later command refusing too (tests/apply/owner_removes_test.ts).
 * A copy missing from B or S, which only patchops can reach, is still refused. An old
 * copy in neither T nor B is left missing and named (`lost`): besides the owner's
 * removal, a file system that makes each directory durable on its own could leave
 * that after a cut if the owner fsynced the tree's directory between our rename and
 * the barrier, so the person reading the report should know which paths.
 */
function planUndo(ws: Workspace, j: Journal, step: Step): UndoPlan | string {
  const t = inTree(ws.tree, step.path);
  const b = exists(backupOf(ws, j, step));
  if (!step.hadTarget && b) return "a backup exists of a path that had none";
  if (step.action === "delete") {
    if (!step.hadTarget) return { first: "none", restore: false };
    if (b) return { first: t ? "displace" : "none", restore: true };
    // The old copy in neither T nor B: removed from T before it was moved out.
    return { first: "none", restore: false, lost: !t };
  }
  const s = exists(sourceOf(ws, j, step));
  // The new copy in neither T nor S: moved in, then removed from T. The old one comes back;
  // a removal can take only the copy in T, so the old one is in B (nothing else leaves this).
  if (!s && !t) {
    if (step.hadTarget && !b) return "neither copy is in place, in the staging area or in the backup";
    return { first: "none", restore: b };
  }
  if (!step.hadTarget) return { first: t ? (s ? "displace" : "return") : "none", restore: false };
  if (b) return { first: t ? (s ? "displace" : "return") : "none", restore: true };
  // The old copy in neither T nor B (the new one still in S): removed from T before it was moved out.
  if (!t) return { first: "none", restore: false, lost: true };
  if (!s) return "the new copy is in place but the old copy is not in the backup";
  return { first: "none", restore: false };
}

/**
 * Runs the journal's steps in two batches: every target to its backup, a
 * barrier, every replacement into place, a barrier (see {@linkcode UndoPlan}
 * for why). The journal is written (prepared) before the first rename and
 * marked committed after the second barrier; any failure before that undoes
 * everything and rethrows as `CommitFailed`, naming any undo error too.
 *
 * Every rename into or out of the install directory names the parent
 * through `ws.tree`, which reaches it without following a symlink that
 * leaves the tree, and pins it where it can (see `_dirs.ts`). A renamed
 * directory's cached descriptors are forgotten.
 */
export async function commitTransaction(
  ws: Workspace,
  journal: Journal,
  options?: CommitOptions,
): Promise<void> {
  const { onStep, interrupted, failBeforeStep, onPoint } = options ?? {};
  const tree = ws.tree;
  await writeJournal(ws, journal);
  // The working area may be new: its name in each parent must be durable before anything
  // moves, or a cut could hide the journal from recovery.
  await syncDirs(ws, [""], [ws.txnBase, ws.base]);
  let done = 0;
  let current: Step | undefined;
  const progress = await openProgressLog(ws, journal.id);
  try {
    const backups = new Set<string>([ws.txnDir(journal.id)]);
    const left = new Set<string>();
    for (const step of journal.steps) {
      current = step;
      if (interrupted?.()) throw new Error("interrupted by a signal");
      if (!step.hadTarget) continue;
      const backup = backupOf(ws, journal, step);
      mkdirAll(parentOf(backup));
      move(tree.entry(step.path), backup);
      tree.forget(step.path);
      chain(`${ws.base}/${journal.backup}`, step.path, backups);
      left.add(parentOf(step.path));
    }
    await syncDirs(ws, [], backups);
    await syncDirs(ws, left);
    onPoint?.("backed-up");

    const placed = new Set<string>();
    const sources = new Set<string>();
    for (const step of journal.steps) {
      current = step;
      if (interrupted?.()) throw new Error("interrupted by a signal");
      if (failBeforeStep === done) throw new Error("injected failure");
      if (step.action === "replace") {
        for (const p of step.parents) {
          mkdirIn(tree, p.path, p.mode);
          placed.add(parentOf(p.path));
        }
        move(sourceOf(ws, journal, step), tree.entry(step.path));
        placed.add(parentOf(step.path));
        sources.add(parentOf(sourceOf(ws, journal, step)));
      }
      for (const p of [...(step.prune ?? [])].reverse()) {
        removeEmptyDir(tree, p.path);
        placed.add(parentOf(p.path));
      }
      done++;
      await progress.record(done);
      onStep?.(done, journal.steps.length);
      onPoint?.(`step:${done}`);
    }
    current = undefined;
    await progress.close();
    await syncDirs(ws, placed);
    await syncDirs(ws, [], sources);
    journal.state = "committed";
    await writeJournal(ws, journal);
    onPoint?.("committed");
  } catch (err) {
    await progress.close().catch(() => {});
    const what = current ? `${current.action} "${current.path}"` : "the commit";
    let lost: string[];
    try {
      lost = await undoTransaction(ws, journal, onPoint);
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
      `${what} failed, all changes undone${lostNote(lost)} (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  await finishTransaction(ws, journal, options?.keep ?? 1, onPoint);
}

/**
 * Undoes every step from whatever state a crash or power cut left, in three
 * batches with a barrier after each: new copies back to their source (and
 * second names set aside), old copies back from the backup, created parents
 * removed. Refuses, changing nothing, when a step's copies fit no row of the
 * invariant ({@linkcode UndoPlan}). Then removes the transaction's working area.
 * Returns the paths left missing as found (old copy in neither place).
 */
export async function undoTransaction(
  ws: Workspace,
  journal: Journal,
  onPoint?: PointHook,
): Promise<string[]> {
  const tree = ws.tree;
  const steps = [...journal.steps].reverse();
  const plans: UndoPlan[] = [];
  for (const step of steps) {
    const plan = planUndo(ws, journal, step);
    if (typeof plan === "string") {
      throw new PatchopsError(
        "StateInvalid",
        `cannot undo transaction ${journal.id} at "${step.path}": ${plan}, which no interruption leaves; nothing was changed`,
      );
    }
    plans.push(plan);
  }

  const sources = new Set<string>();
  const left = new Set<string>();
  const run = crypto.randomUUID();
  steps.forEach((step, i) => {
    const { first } = plans[i]!;
    if (first === "none") return;
    const to = first === "return" ? sourceOf(ws, journal, step) : displacedOf(ws, journal, run, step);
    mkdirAll(parentOf(to));
    move(tree.entry(step.path), to);
    tree.forget(step.path);
    if (first === "return") chain(`${ws.base}/${journal.source}`, step.path, sources);
    else {
      sources.add(ws.txnDir(journal.id)).add(`${ws.txnDir(journal.id)}/displaced`);
      chain(`${ws.txnDir(journal.id)}/displaced/${run}`, step.path, sources);
    }
    left.add(parentOf(step.path));
  });
  await syncDirs(ws, [], sources);
  await syncDirs(ws, left);

  const restored = new Set<string>();
  const backups = new Set<string>();
  let undone = 0;
  steps.forEach((step, i) => {
    for (const p of step.prune ?? []) {
      mkdirIn(tree, p.path, p.mode);
      restored.add(parentOf(p.path));
    }
    if (plans[i]!.restore) {
      move(backupOf(ws, journal, step), tree.entry(step.path));
      restored.add(parentOf(step.path));
      backups.add(parentOf(backupOf(ws, journal, step)));
    }
    onPoint?.(`undo:${++undone}`);
  });
  await syncDirs(ws, restored);
  await syncDirs(ws, [], backups);

  const removed = new Set<string>();
  for (const step of steps) {
    for (const p of [...step.parents].reverse()) {
      removeEmptyDir(tree, p.path);
      removed.add(parentOf(p.path));
    }
  }
  await syncDirs(ws, removed);
  await dropTransaction(ws, journal.id);
  return steps.filter((_, i) => plans[i]!.lost).map((step) => step.path);
}

/**
 * Removes a transaction's working area: the journal first, durably, so that
 * a cut part-way through the removal leaves a working area without a
 * journal, which is only ever discarded.
 */
async function dropTransaction(ws: Workspace, id: string): Promise<void> {
  try {
    removeSync(journalPath(ws, id));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await syncDir(ws.txnDir(id));
  await removeIfExists(ws.txnDir(id));
  await syncDir(ws.txnBase);
}

/**
 * Finishes a committed transaction: keeps its backup for rollback (apply),
 * or drops the consumed backup (rollback), records the state, prunes old
 * backups and removes the working area. Safe to run again after a crash or
 * a power cut: the kept backup is durable before the working area that held
 * it goes, and the state before the journal that vouches for it.
 */
export async function finishTransaction(
  ws: Workspace,
  journal: Journal,
  keep: number,
  onPoint?: PointHook,
): Promise<void> {
  // A replacement missing from the tree was removed by the tree's owner after it was moved in
  // (they may, at any moment): the transaction did land, and refusing to finish it made every
  // later command refuse too. One still in its source never moved in, which no commit leaves.
  for (const step of journal.steps) {
    if (step.action === "replace" && !inTree(ws.tree, step.path) && exists(sourceOf(ws, journal, step))) {
      throw new PatchopsError(
        "StateInvalid",
        `cannot finish transaction ${journal.id}: it is committed, but "${step.path}" is not in place and its new copy is still in "${
          ws.show(sourceOf(ws, journal, step))
        }"`,
      );
    }
  }
  const state = await readState(ws);
  if (journal.kind === "apply") {
    const kept = ws.backupDir(journal.id);
    const txnBackup = `${ws.base}/${journal.backup}`;
    mkdirAll(kept);
    await writeFileAtomic(`${kept}/journal.json`, journalText(journal));
    // A cut between the barrier's halves can leave the backup under both names: the kept one wins.
    if (!exists(`${kept}/tree`)) {
      if (exists(txnBackup)) renameSync(txnBackup, `${kept}/tree`);
      else mkdirSync(`${kept}/tree`, 0o700);
    }
    await syncDirs(ws, [], [kept, ws.backupsBase, ws.base]);
    await syncDir(ws.txnDir(journal.id));
    onPoint?.("finish:backup");
  } else {
    // The rolled-back transaction's backup was the source: its items are now in place.
    await removeIfExists(ws.backupDir(journal.origin));
    await syncDir(ws.backupsBase);
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
  await dropTransaction(ws, journal.id);
  await syncDir(ws.base);
}

/** Ids of the kept backups, oldest first. */
export function listBackups(ws: Workspace): Promise<string[]> {
  return ws.isOpen ? listRecordDirs(ws, ws.backupsBase) : Promise.resolve([]);
}

async function pruneBackups(ws: Workspace, keep: number): Promise<void> {
  const ids = await listBackups(ws);
  const old = ids.slice(0, Math.max(0, ids.length - keep));
  for (const id of old) await removeIfExists(ws.backupDir(id));
  if (old.length > 0) await syncDir(ws.backupsBase);
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
  /** Paths an undo left missing as it found them (removed from the install directory during the run). */
  leftMissing?: string[];
}

/** `lost` paths for a message, quoted as JSON (escaped) strings. */
function lostNote(lost: string[]): string {
  if (lost.length === 0) return "";
  const shown = lost.slice(0, 5).map((p) => JSON.stringify(p)).join(", ");
  return `, except ${shown}${
    lost.length > 5 ? ` and ${lost.length - 5} more` : ""
  }, left missing as found (removed from the install directory during the run)`;
}

/**
 * Repairs whatever an interrupted run left: prepared transactions are
 * undone, committed ones finished, and working areas without a journal
 * (staging that never reached commit) removed.
 */
/**
 * What {@linkcode recover} would do, without doing it or taking the lock:
 * transactions without a journal are discarded, committed ones finished,
 * the others rolled back.
 */
export async function planRecovery(ws: Workspace): Promise<RecoverReport> {
  const report: RecoverReport = { rolledBack: [], finished: [], discarded: [] };
  for (const id of (await listTransactions(ws)).sort()) {
    const journal = readJournal(ws, id);
    if (journal === undefined) report.discarded.push(id);
    else if (journal.state === "committed") report.finished.push(id);
    else report.rolledBack.push(id);
  }
  return report;
}

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
      await syncDir(ws.txnBase);
      report.discarded.push(id);
    } else if (journal.state === "committed") {
      await finishTransaction(ws, journal, keep, onPoint);
      report.finished.push(id);
    } else {
      const lost = await undoTransaction(ws, journal, onPoint);
      if (lost.length > 0) (report.leftMissing ??= []).push(...lost);
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
export function listTransactions(ws: Workspace): Promise<string[]> {
  return ws.isOpen ? listRecordDirs(ws, ws.txnBase) : Promise.resolve([]);
}

/**
 * The ids named by the entries of `base` (`txn/` or `backups/`), oldest
 * first. Every entry must be a directory of ours named by a transaction id:
 * anything else there was not made by patchops and is refused, not acted on.
 */
async function listRecordDirs(ws: Workspace, base: string): Promise<string[]> {
  const ids: string[] = [];
  try {
    for await (const e of Deno.readDir(base)) {
      const path = `${base}/${e.name}`;
      ids.push(checkRecordId(e.name, ws.show(path)));
      checkOwnEntry(Deno.lstatSync(path), ws.show(path), "directory");
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return ids.sort();
}
