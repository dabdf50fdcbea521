/**
 * The install directory and its working area `<dir>/.patchops/`, opened
 * under the ownership policy (`trust.ts`) and kept in one place so every
 * module agrees on the paths.
 *
 * The working area is opened once, checked (a real directory, owned by the
 * running user, 0700) and from then on reached through its descriptor where
 * pinning is available, so renaming or replacing `.patchops` while patchops
 * runs redirects nothing.
 *
 * @module
 */

import * as nfs from "node:fs";
import { PatchopsError } from "../errors.ts";
import { RESERVED_DIR } from "../path_policy.ts";
import { chmodDirNoFollow, DirTree, openDirNoFollow } from "./_dirs.ts";
import { checkOwnEntry } from "./trust.ts";

/** Entries of the working area and what each must be. */
const LAYOUT: [string, "directory" | "file"][] = [
  ["txn", "directory"],
  ["backups", "directory"],
  ["downloads", "directory"],
  ["migrations", "directory"],
  ["package-hooks", "directory"],
  ["lock", "file"],
  ["state.json", "file"],
  ["state.json.tmp", "file"],
];

/** The layout of one install directory's working area. */
export class Workspace {
  /** The install directory, as a real path. */
  readonly root: string;
  /** The install directory's directories, reached without trusting their names. */
  readonly tree: DirTree;
  /** `<root>/.patchops`, for messages. */
  readonly shownBase: string;
  #base: string | undefined;
  #fd: number | undefined;

  constructor(root: string, tree?: DirTree) {
    this.root = root.replace(/\/+$/, "") || "/";
    this.tree = tree ?? new DirTree(this.root, false);
    this.shownBase = `${this.root === "/" ? "" : this.root}/${RESERVED_DIR}`;
  }

  /**
   * Opens the working area, creating it (mode 0700) when `create` is set.
   * Says whether it was created, found, or is missing (and was not to be created). Throws
   * `StateInvalid` when it, or an entry patchops uses in it, is a symlink,
   * of the wrong type, owned by someone else or writable by others.
   */
  openBase(create: boolean): "created" | "found" | "missing" {
    const path = this.basePath;
    let made = false;
    if (create) {
      try {
        Deno.mkdirSync(path, { mode: 0o700 });
        made = true;
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      }
    }
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound && !create) return "missing";
      throw err;
    }
    checkOwnEntry(info, this.shownBase, "directory");
    let base = path;
    if (this.tree.pinned) {
      const fd = openDirNoFollow(path);
      const opened = Deno.statSync(`/proc/self/fd/${fd}`);
      if (opened.ino !== info.ino || opened.dev !== info.dev) {
        nfs.closeSync(fd);
        throw new PatchopsError("StateInvalid", `"${this.shownBase}" changed while it was being opened`);
      }
      this.#fd = fd;
      base = `/proc/self/fd/${fd}`;
    }
    // Working areas made by earlier versions were 0755: nobody else needs to read them.
    if (((info.mode ?? 0) & 0o077) !== 0) {
      if (this.#fd !== undefined) nfs.fchmodSync(this.#fd, 0o700);
      else chmodDirNoFollow(path, 0o700);
    }
    for (const [name, kind] of LAYOUT) {
      let entry: Deno.FileInfo;
      try {
        entry = Deno.lstatSync(`${base}/${name}`);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue;
        throw err;
      }
      checkOwnEntry(entry, `${this.shownBase}/${name}`, kind);
    }
    this.#base = base;
    return made ? "created" : "found";
  }

  /** `.patchops` by name inside the (pinned) install directory: for creating and removing it. */
  get basePath(): string {
    return `${this.tree.dir("")}/${RESERVED_DIR}`;
  }

  /** Closes the descriptors this workspace holds. */
  close(): void {
    if (this.#fd !== undefined) nfs.closeSync(this.#fd);
    this.#fd = undefined;
    this.#base = undefined;
    this.tree.close();
  }

  /** The path through which `.patchops` is reached (after {@linkcode openBase}). */
  get base(): string {
    if (this.#base === undefined) throw new Error("the working area is not open");
    return this.#base;
  }
  /** Whether {@linkcode openBase} found or made the working area. */
  get isOpen(): boolean {
    return this.#base !== undefined;
  }
  get lockPath(): string {
    return `${this.base}/lock`;
  }
  get statePath(): string {
    return `${this.base}/state.json`;
  }
  get txnBase(): string {
    return `${this.base}/txn`;
  }
  get backupsBase(): string {
    return `${this.base}/backups`;
  }
  get downloadsBase(): string {
    return `${this.base}/downloads`;
  }
  /** Working area of transaction `id`. */
  txnDir(id: string): string {
    return `${this.txnBase}/${id}`;
  }
  /** Kept backup of committed transaction `id`. */
  backupDir(id: string): string {
    return `${this.backupsBase}/${id}`;
  }
  /** Absolute path of a relative install path, for reading only (writes go through `tree`). */
  target(rel: string): string {
    return rel === "" ? this.root : `${this.root === "/" ? "" : this.root}/${rel}`;
  }
  /**
   * `path` as a child process (a hook) should reach it while this process
   * lives: through this process's pinned descriptor (`/proc/<pid>/fd/<fd>/...`),
   * so that renaming `.patchops` away and putting another in its place does
   * not change what the child finds; by name where nothing is pinned.
   */
  forChild(path: string): string {
    return this.#fd !== undefined && this.#base !== undefined && path.startsWith(this.#base)
      ? `/proc/${Deno.pid}/fd/${this.#fd}${path.slice(this.#base.length)}`
      : this.show(path);
  }
  /** `path` as a person should read it: the working area by its name, not its descriptor. */
  show(path: string): string {
    return this.#base !== undefined && path.startsWith(this.#base)
      ? this.shownBase + path.slice(this.#base.length)
      : path;
  }
}

/** Transaction ids as {@linkcode newTxnId} makes them (older ones lack the milliseconds). */
export const TXN_ID = /^[0-9]{8}T[0-9]{6}(\.[0-9]{3})?Z-[0-9a-f]{8}$/;

/**
 * A sortable, unique transaction id: UTC time to the millisecond plus
 * randomness (`20261130T081423.123Z-1a2b3c4d`). Backups are pruned and
 * rolled back in id order, so two patches applied within the same second
 * must still sort in the order they were applied.
 */
export function newTxnId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, "");
  const r = crypto.getRandomValues(new Uint8Array(4));
  return `${t}-${Array.from(r, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
