/**
 * Small file-system helpers for the transaction: durable syncs and
 * race-free existence checks.
 *
 * @module
 */

import * as nfs from "node:fs";
import { PatchopsError } from "../errors.ts";
import { canPinDirectories, chmodDirNoFollow, openDirNoFollow } from "./_dirs.ts";
import { checkOwnEntry } from "./trust.ts";

/**
 * One change to the file system, or one call that makes changes durable, as
 * {@linkcode observeFs} reports it. Paths are as the caller named them
 * (often through `/proc/self/fd/<fd>`), reported right after the call
 * succeeded, while the names still resolve as they did for the call.
 */
export type FsEvent =
  | { op: "rename"; from: string; to: string }
  | { op: "mkdir"; path: string; mode: number }
  | { op: "remove"; path: string }
  | { op: "create"; path: string; data: Uint8Array }
  | { op: "fsync"; path: string }
  | { op: "syncfs"; path: string };

let observer: ((event: FsEvent) => void) | undefined;

/**
 * Test hook: reports every rename, mkdir, remove, file creation, fsync and
 * syncfs the transaction makes, so a power-cut test can replay them keeping
 * only what was made durable (`tests/apply/power_cut_test.ts`). One observer
 * at a time; returns the function that removes it. Every such call of the
 * commit, undo and clean-up goes through this module for that reason.
 */
export function observeFs(fn: (event: FsEvent) => void): () => void {
  observer = fn;
  return () => {
    if (observer === fn) observer = undefined;
  };
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function note(event: FsEvent): void {
  observer?.(event);
}

/** `rename(2)`, reported to the observer. */
export function renameSync(from: string, to: string): void {
  Deno.renameSync(from, to);
  note({ op: "rename", from, to });
}

/** `mkdir(2)` of one directory (throws `AlreadyExists`), reported to the observer. */
export function mkdirSync(path: string, mode: number): void {
  Deno.mkdirSync(path, { mode });
  note({ op: "mkdir", path, mode });
}

/** Creates `path` and its missing parents, each reported to the observer. */
export function mkdirAll(path: string, mode = 0o700): void {
  try {
    mkdirSync(path, mode);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) return;
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    mkdirAll(path.slice(0, path.lastIndexOf("/")) || "/", mode);
    try {
      mkdirSync(path, mode);
    } catch (again) {
      if (!(again instanceof Deno.errors.AlreadyExists)) throw again;
    }
  }
}

/** Removes one file or empty directory (not recursively), reported to the observer. */
export function removeSync(path: string): void {
  Deno.removeSync(path);
  note({ op: "remove", path });
}

/** Opens a new or existing file for appending; a new one is reported to the observer. */
export async function openAppend(path: string): Promise<Deno.FsFile> {
  try {
    const file = await Deno.open(path, { append: true, createNew: true, mode: 0o600 });
    note({ op: "create", path, data: new Uint8Array() });
    return file;
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    return await Deno.open(path, { append: true });
  }
}

/** `lstat` that returns `undefined` for a missing path. */
export async function lstatOrUndefined(
  path: string,
): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    if (err instanceof Deno.errors.NotADirectory) return undefined;
    throw err;
  }
}

/** fsyncs a directory so that renames within it are durable. */
export async function syncDir(path: string): Promise<void> {
  let dir: Deno.FsFile;
  try {
    dir = await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
  note({ op: "fsync", path });
}

/**
 * Whether {@linkcode syncFileSystem} can be tried: Linux, and permission to
 * run `sync` already granted (never prompts).
 */
export function canSyncFileSystem(): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    return Deno.permissions.querySync({ name: "run", command: "sync" }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Makes everything written so far on the file system holding `path` durable
 * with one syncfs(2), through coreutils' `sync --file-system`. Thousands of
 * small files then cost one flush instead of one fsync (and one journal
 * commit) each: 0.15 s against 5 s or more for 12,000 files here. Deno has
 * no syncfs binding; FFI would reach it, but `--allow-ffi` grants
 * everything, while `--allow-run=sync` grants one harmless program. Returns
 * false when it could not be done (not allowed, no `sync`, or it failed), and
 * the caller must then fsync file by file.
 */
export async function syncFileSystem(path: string): Promise<boolean> {
  if (!canSyncFileSystem()) return false;
  try {
    // `sync` is started in the directory itself and given ".": the child changes to `path`
    // before it execs, while it still holds our descriptors, so `/proc/self/fd/<n>` there is
    // our pinned directory, and `sync` opens it without looking up a single name. Handing it
    // a name instead (the real path of the pinned one, as earlier versions did) let the
    // install directory's owner, who reads that name and the transaction id from `ps`,
    // swap `.patchops` for a link after we resolved it: root's `sync` then opened whatever
    // the link led to, outside the tree (a device's open has effects of its own).
    const out = await new Deno.Command("sync", {
      args: ["--file-system", "--", "."],
      cwd: path,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.success) note({ op: "syncfs", path });
    return out.success;
  } catch {
    return false;
  }
}

/** fsyncs a file's data (and the metadata needed to read it back). */
export async function syncFile(path: string): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.syncData();
  } finally {
    file.close();
  }
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight. Concurrent
 * fsyncs let the file system fold them into fewer journal commits.
 */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
}

/**
 * Writes `text` to `path` atomically and durably (temp file, fsync, rename,
 * dir fsync). The temp file is made with O_EXCL, which never follows a
 * symlink; one left in its place is removed first (removing a link removes
 * only the link).
 */
export async function writeFileAtomic(
  path: string,
  text: string | Iterable<string>,
): Promise<void> {
  const tmp = `${path}.tmp`;
  await removeIfExists(tmp);
  const file = await Deno.open(tmp, {
    write: true,
    createNew: true,
    mode: 0o600,
  });
  try {
    // Written part by part: a journal of 200,000 steps is never one string and one buffer.
    const encoder = new TextEncoder();
    const seen: Uint8Array[] = [];
    for (const part of typeof text === "string" ? [text] : text) {
      const bytes = encoder.encode(part);
      let off = 0;
      while (off < bytes.length) off += await file.write(bytes.subarray(off));
      if (observer) seen.push(bytes);
    }
    if (observer) note({ op: "create", path: tmp, data: concatBytes(seen) });
    await file.sync();
    note({ op: "fsync", path: tmp });
  } finally {
    file.close();
  }
  renameSync(tmp, path);
  await syncDir(path.slice(0, path.lastIndexOf("/")) || "/");
}

/**
 * Removes a path recursively, ignoring a missing one. Symlinks inside are
 * removed, never followed. Directories that a package made read-only
 * (0555) are made writable first when removal is refused, so that without
 * root's override a clean-up does not wedge every later run.
 *
 * Where directories can be pinned (see `_dirs.ts`), a directory is removed
 * by {@linkcode removeTreePinned}, without recursion: what is removed here
 * (backups, displaced items) holds directories moved out of the install
 * directory, which its owner may have nested 20,000 deep beforehand, and
 * `Deno.remove(path, { recursive: true })` recurses once per level and
 * overflowed its thread's stack there, aborting patchops at every later
 * run's recovery (tests/e2e/local_deep_test.ts).
 */
export async function removeIfExists(path: string): Promise<void> {
  if (canPinDirectories()) {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return;
      throw err;
    }
    try {
      if (info.isDirectory) removeTreePinned(path);
      else Deno.removeSync(path);
    } catch (err) {
      // Gone since the lstat, as the unpinned path below allows too.
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    note({ op: "remove", path });
    return;
  }
  try {
    await Deno.remove(path, { recursive: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    if (!(err instanceof Deno.errors.PermissionDenied)) throw err;
    makeWritable(path);
    try {
      await Deno.remove(path, { recursive: true });
    } catch (again) {
      if (!(again instanceof Deno.errors.NotFound)) throw again;
      return;
    }
  }
  note({ op: "remove", path });
}

/** Renames, deletions and directory openings one removal may make: bounds a tree someone keeps refilling. */
const REMOVE_BUDGET = 1 << 26;

/**
 * Removes the directory `path` and everything in it, holding two
 * descriptors at most and never recursing: each directory below the top is
 * opened without following links (from the top's descriptor), its
 * subdirectories are moved up into the top under fresh names, everything
 * else in it is unlinked, and it is removed once empty. Every name is looked
 * up in a directory already open, so a link swapped in anywhere is removed,
 * never followed. A directory without owner write (a package's 0555) is
 * given it through its descriptor first. Throws `StateInvalid` when the tree
 * keeps changing beyond {@linkcode REMOVE_BUDGET} operations.
 */
function removeTreePinned(path: string): void {
  let budget = REMOVE_BUDGET;
  const spend = () => {
    if (--budget < 0) throw new PatchopsError("StateInvalid", `"${path}" kept changing while it was being removed`);
  };
  const top = openWritableDir(path);
  if (top === undefined) {
    Deno.removeSync(path); // Swapped for something else since the lstat: removed, not followed.
    return;
  }
  const topPath = `/proc/self/fd/${top}`;
  const tag = crypto.randomUUID().slice(0, 8);
  let hoisted = 0;
  try {
    for (;;) {
      let left = 0;
      let progress = false;
      for (const e of Deno.readDirSync(topPath)) {
        spend();
        const child = `${topPath}/${e.name}`;
        if (!e.isDirectory) {
          removeEntry(child);
          progress = true;
          continue;
        }
        const fd = openWritableDir(child);
        if (fd === undefined) {
          removeEntry(child);
          progress = true;
          continue;
        }
        const dir = `/proc/self/fd/${fd}`;
        try {
          for (const c of Deno.readDirSync(dir)) {
            spend();
            if (c.isDirectory) {
              hoist(`${dir}/${c.name}`, () => `${topPath}/.patchops-rm-${tag}-${hoisted++}`);
            } else removeEntry(`${dir}/${c.name}`);
            progress = true;
          }
        } finally {
          nfs.closeSync(fd);
        }
        try {
          Deno.removeSync(child);
          progress = true;
        } catch (err) {
          // Refilled meanwhile (or the entry moved up is seen again): the next pass goes on.
          if ((err as { code?: string }).code !== "ENOTEMPTY" && !(err instanceof Deno.errors.NotFound)) throw err;
          left++;
        }
      }
      if (left === 0 && !progress) break;
      if (!progress) throw new PatchopsError("StateInvalid", `"${path}" cannot be emptied`);
    }
  } finally {
    nfs.closeSync(top);
  }
  Deno.removeSync(path);
}

/** Opens a directory without following a link, giving its owner write and search; `undefined` when it is no directory now. */
function openWritableDir(path: string): number | undefined {
  let fd: number;
  try {
    fd = openDirNoFollow(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ELOOP" || code === "ENOTDIR" || code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const mode = nfs.fstatSync(fd).mode & 0o7777;
    if ((mode & 0o700) !== 0o700) nfs.fchmodSync(fd, mode | 0o700);
  } catch (err) {
    nfs.closeSync(fd);
    throw err;
  }
  return fd;
}

/** Unlinks a file, link or empty directory; a missing one is fine. */
function removeEntry(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    if ((err as { code?: string }).code !== "ENOTEMPTY") throw err;
    // A directory swapped in since it was listed: the next pass takes it apart.
  }
}

/** Moves the directory `from` to a fresh name in the top; a directory without owner write gets it first. */
function hoist(from: string, fresh: () => string): void {
  for (let tries = 0;; tries++) {
    try {
      Deno.renameSync(from, fresh());
      return;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      if (err instanceof Deno.errors.AlreadyExists || (err as { code?: string }).code === "ENOTEMPTY") {
        if (tries < 8) continue;
      }
      if (err instanceof Deno.errors.PermissionDenied && tries === 0) {
        const fd = openWritableDir(from);
        if (fd !== undefined) nfs.closeSync(fd);
        continue;
      }
      throw err;
    }
  }
}

/** Gives the owner write and search permission on every real directory below `path`. */
function makeWritable(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return;
  }
  if (!info.isDirectory) return;
  try {
    chmodDirNoFollow(path, ((info.mode ?? 0) & 0o7777) | 0o700);
  } catch {
    return;
  }
  for (const e of Deno.readDirSync(path)) {
    if (e.isDirectory) makeWritable(`${path}/${e.name}`);
  }
}

const READ_OWNED = nfs.constants.O_RDONLY | nfs.constants.O_NOFOLLOW | nfs.constants.O_NONBLOCK;

/**
 * Reads a record of patchops' own (`state.json`, a journal) without
 * following a symlink or blocking on a FIFO, after checking through the open
 * descriptor that it is a regular file of the running user's that nobody
 * else can write, and at most `limit` bytes. Returns `undefined` when it
 * does not exist; throws `StateInvalid` for anything else unexpected.
 */
export function readOwnedText(path: string, shown: string, limit = 64 << 20): string | undefined {
  let fd: number;
  try {
    fd = nfs.openSync(path, READ_OWNED);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    if (code === "ELOOP") throw new PatchopsError("StateInvalid", `"${shown}" is a symbolic link: refusing to use it`);
    throw err;
  }
  try {
    const st = nfs.fstatSync(fd);
    checkOwnEntry(
      {
        isFile: st.isFile(),
        isDirectory: st.isDirectory(),
        isSymlink: false,
        uid: st.uid,
        mode: st.mode,
      } as Deno.FileInfo,
      shown,
      "file",
    );
    if (st.size > limit) throw new PatchopsError("StateInvalid", `"${shown}" is larger than ${limit} bytes`);
    const buf = new Uint8Array(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = nfs.readSync(fd, buf, off, buf.length - off, null);
      if (n === 0) break;
      off += n;
    }
    return new TextDecoder().decode(buf.subarray(0, off));
  } finally {
    nfs.closeSync(fd);
  }
}
