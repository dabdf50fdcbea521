/**
 * Directories reached without trusting the names on the way. A local user
 * who can write the install directory can swap any directory in it for a
 * symlink at any moment, so a path checked a moment ago says nothing about
 * where the next rename lands.
 *
 * On Linux with every permission granted, each directory is opened with
 * `O_NOFOLLOW | O_DIRECTORY` from its already-open parent (through
 * `/proc/self/fd/<fd>/<name>`, which is `openat(2)` by another name: the
 * kernel starts from the open directory, not from its current name). A
 * rename then names `/proc/self/fd/<fd>/<name>`, so it lands in the very
 * directory that was opened, wherever it has been moved since. Deno has no
 * `openat`, and node:fs in Deno passes `O_NOFOLLOW` through and returns real
 * descriptors, so that is what is used.
 *
 * Deno asks for `--allow-all` before it touches a `/proc/self/fd` path.
 * Without it, directories are walked by name with `lstat` immediately before
 * each use: safe only when nobody else can write the tree, which the
 * ownership policy (`trust.ts`) then requires.
 *
 * @module
 */

import * as nfs from "node:fs";
import { PatchopsError } from "../errors.ts";
import { parentOf, RESERVED_DIR } from "../path_policy.ts";

const NOFOLLOW_DIR = nfs.constants.O_RDONLY | nfs.constants.O_NOFOLLOW | nfs.constants.O_DIRECTORY;

/** Opens the directory at `path` without following a symlink in its last component. */
export function openDirNoFollow(path: string): number {
  return nfs.openSync(path, NOFOLLOW_DIR);
}

let pinnable: boolean | undefined;

/** Whether `/proc/self/fd` paths can be used here (Linux, `--allow-all`). */
export function canPinDirectories(): boolean {
  if (pinnable !== undefined) return pinnable;
  pinnable = false;
  if (Deno.build.os !== "linux") return pinnable;
  try {
    // Deno refuses these paths (NotCapable) unless every permission is granted.
    pinnable = Deno.statSync("/proc/self/fd").isDirectory;
  } catch {
    pinnable = false;
  }
  return pinnable;
}

/** The most symlinks followed inside the tree on one walk (the kernel's own limit). */
const HOPS = 40;
/** Open directory descriptors kept between steps; steps come sorted, so neighbours share parents. */
const CACHED = 64;

function unsafe(message: string): PatchopsError {
  return new PatchopsError("UnsafePath", message);
}

/**
 * The directories of one tree (the install directory), each reached from the
 * root one component at a time. Symlinks met on the way are followed only
 * when they resolve, lexically, to another directory inside the tree and
 * outside `.patchops`; anything else is refused with `UnsafePath`.
 */
export class DirTree {
  readonly root: string;
  readonly pinned: boolean;
  #rootFd: number | undefined;
  #cache = new Map<string, number>();

  constructor(root: string, pinned = canPinDirectories()) {
    this.root = root;
    this.pinned = pinned;
    if (pinned) this.#rootFd = openDirNoFollow(root);
  }

  /**
   * A path that reaches directory `rel` ("" for the root) such that names
   * below it (`${dir}/${name}`) resolve inside that very directory.
   * Throws `NotFound` when a component is missing.
   */
  dir(rel: string): string {
    if (rel === "") return this.#rootFd === undefined ? this.root : `/proc/self/fd/${this.#rootFd}`;
    if (this.pinned) {
      const hit = this.#cache.get(rel);
      if (hit !== undefined) {
        // Most recently used last.
        this.#cache.delete(rel);
        this.#cache.set(rel, hit);
        return `/proc/self/fd/${hit}`;
      }
    }
    return this.#walk(rel);
  }

  /** `dir(parent of rel)` joined with rel's last name. */
  entry(rel: string): string {
    const parent = parentOf(rel);
    return `${this.dir(parent)}/${rel.slice(parent.length === 0 ? 0 : parent.length + 1)}`;
  }

  /**
   * Forgets cached directories at or below `rel`: after a rename moved them,
   * the old descriptors point at the moved directories, not at what now
   * bears the name.
   */
  forget(rel: string): void {
    if (!this.pinned) return;
    for (const [key, fd] of this.#cache) {
      if (rel === "" || key === rel || key.startsWith(rel + "/")) {
        this.#cache.delete(key);
        nfs.closeSync(fd);
      }
    }
  }

  /** Closes every descriptor. */
  close(): void {
    this.forget("");
    if (this.#rootFd !== undefined) nfs.closeSync(this.#rootFd);
    this.#rootFd = undefined;
  }

  #walk(rel: string): string {
    let parts = rel.split("/");
    let done: string[] = [];
    let fd = this.#rootFd;
    let hops = 0;
    const owned: number[] = [];
    try {
      while (parts.length > 0) {
        const name = parts[0]!;
        const here = fd === undefined
          ? (done.length ? `${this.root}/${done.join("/")}` : this.root)
          : `/proc/self/fd/${fd}`;
        const path = `${here}/${name}`;
        const info = Deno.lstatSync(path);
        if (info.isSymlink) {
          if (++hops > HOPS) throw unsafe(`"${rel}" goes through too many symlinks`);
          const resolved = this.#resolveLink(done, name, Deno.readLinkSync(path), rel);
          parts = [...resolved, ...parts.slice(1)];
          done = [];
          fd = this.#rootFd;
          continue;
        }
        if (!info.isDirectory) {
          throw unsafe(`"${rel}" needs "${[...done, name].join("/")}" to be a directory, but it is not one`);
        }
        if (fd !== undefined) {
          let next: number;
          try {
            next = openDirNoFollow(path);
          } catch (err) {
            // Swapped for a symlink or a file since the lstat above.
            throw unsafe(
              `"${[...done, name].join("/")}" changed while it was being opened (${(err as Error).message})`,
            );
          }
          owned.push(next);
          fd = next;
        }
        done.push(name);
        parts = parts.slice(1);
      }
    } catch (err) {
      for (const o of owned) nfs.closeSync(o);
      throw err;
    }
    if (fd === undefined) return `${this.root}/${done.join("/")}`;
    for (const o of owned.slice(0, -1)) nfs.closeSync(o);
    if (fd !== this.#rootFd) {
      this.#cache.set(rel, fd);
      if (this.#cache.size > CACHED) {
        const [oldest, ofd] = this.#cache.entries().next().value!;
        this.#cache.delete(oldest);
        nfs.closeSync(ofd);
      }
    }
    return `/proc/self/fd/${fd}`;
  }

  /** Resolves the symlink `done/name -> target` to a path inside the tree, or refuses. */
  #resolveLink(done: string[], name: string, target: string, rel: string): string[] {
    let stack: string[];
    let rest = target;
    if (target.startsWith("/")) {
      if (target !== this.root && !target.startsWith(this.root + "/")) {
        throw unsafe(
          `"${rel}" goes through the symlink "${[...done, name].join("/")}", which leads outside the install directory`,
        );
      }
      stack = [];
      rest = target.slice(this.root.length);
    } else stack = [...done];
    for (const part of rest.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (stack.length === 0) {
          throw unsafe(
            `"${rel}" goes through the symlink "${
              [...done, name].join("/")
            }", which leads outside the install directory`,
          );
        }
        stack.pop();
      } else stack.push(part);
    }
    if (stack[0] === RESERVED_DIR) {
      throw unsafe(
        `"${rel}" goes through the symlink "${[...done, name].join("/")}", which leads into "${RESERVED_DIR}"`,
      );
    }
    return stack;
  }
}

/** Sets the mode of the directory at `path` through a descriptor, never through a symlink. */
export function chmodDirNoFollow(path: string, mode: number): void {
  const fd = openDirNoFollow(path);
  try {
    nfs.fchmodSync(fd, mode);
  } finally {
    nfs.closeSync(fd);
  }
}
