/**
 * The exclusive lock on an install directory: an advisory `flock` on
 * `.patchops/lock`, so a holder that dies releases it with its process. The
 * file also names its holder (pid, host, command) for the error message of a
 * second caller and for `status`.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { checkOwnEntry } from "./trust.ts";
import { removeSync } from "./_fs.ts";

/** Who holds (or last held) a lock. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/** A held lock; call {@linkcode DirLock.release} when done. */
export class DirLock {
  #file: Deno.FsFile;
  #path: string;
  /** Set when the previous holder died without releasing. */
  readonly staleHolder: LockHolder | undefined;

  private constructor(
    file: Deno.FsFile,
    path: string,
    stale: LockHolder | undefined,
  ) {
    this.#file = file;
    this.#path = path;
    this.staleHolder = stale;
  }

  /**
   * Takes the lock at `path` or throws `Locked` naming the live holder.
   * A file left by a dead holder is taken over and reported through
   * {@linkcode DirLock.staleHolder}.
   */
  static async acquire(path: string, command: string, shown = path): Promise<DirLock> {
    for (let attempt = 0; attempt < 5; attempt++) {
      // O_EXCL never follows a symlink; an existing file is opened without create, so a
      // link planted there cannot make us create or truncate a file elsewhere, and the
      // check below refuses it before anything is written.
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path, { read: true, write: true, createNew: true, mode: 0o600 });
      } catch (err) {
        if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        try {
          file = await Deno.open(path, { read: true, write: true });
        } catch (err2) {
          if (err2 instanceof Deno.errors.NotFound) continue;
          throw err2;
        }
      }
      let locked = false;
      try {
        const [mine, named] = await Promise.all([
          file.stat(),
          Deno.lstat(path).catch(() => undefined),
        ]);
        if (named !== undefined) checkOwnEntry(named, shown, "file");
        checkOwnEntry(mine, shown, "file");
        locked = await file.tryLock(true);
        if (!locked) {
          const holder = await readHolder(path);
          throw new PatchopsError(
            "Locked",
            holder
              ? `another patchops (pid ${holder.pid} on ${holder.host}, "${holder.command}", since ${holder.since}) holds the lock "${shown}"`
              : `another patchops process holds the lock "${shown}"`,
          );
        }
        // The previous holder may have unlinked the file between our open and
        // our lock: then we locked an orphan inode and must try again.
        if (named === undefined || named.ino !== mine.ino || named.dev !== mine.dev) {
          file.close();
          locked = false;
          continue;
        }
        const previous = await readHolder(path);
        const holder: LockHolder = {
          pid: Deno.pid,
          host: hostname(),
          command,
          since: new Date().toISOString(),
        };
        await file.truncate(0);
        await file.write(
          new TextEncoder().encode(JSON.stringify(holder) + "\n"),
        );
        return new DirLock(
          file,
          path,
          previous && previous.pid !== Deno.pid ? previous : undefined,
        );
      } catch (err) {
        if (!locked) file.close();
        throw err;
      }
    }
    throw new PatchopsError(
      "Locked",
      `cannot take the lock "${shown}" (it keeps changing)`,
    );
  }

  /** Releases the lock and removes its file. */
  release(): Promise<void> {
    try {
      removeSync(this.#path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) return Promise.reject(err);
    } finally {
      this.#file.close();
    }
    return Promise.resolve();
  }
}

/** Reads the holder recorded in a lock file, if any. */
export async function readHolder(
  path: string,
): Promise<LockHolder | undefined> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    if (!text) return undefined;
    const v = JSON.parse(text);
    // Shown to people and in JSON: only the expected fields, as the expected types.
    if (
      Number.isSafeInteger(v?.pid) && typeof v.host === "string" && typeof v.command === "string" &&
      typeof v.since === "string"
    ) return { pid: v.pid, host: v.host, command: v.command, since: v.since };
  } catch {
    // Missing or half-written: nobody to name.
  }
  return undefined;
}

/**
 * Returns whether the lock file at `path` is held by a live process right
 * now, without taking it for longer than the check.
 */
export async function isLockHeld(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true });
  } catch {
    return false;
  }
  try {
    const got = await file.tryLock(true);
    if (got) await file.unlock();
    return !got;
  } finally {
    file.close();
  }
}

/** The host name, or "unknown" when the permission to read it was not granted. */
export function hostname(): string {
  try {
    const state = Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state;
    if (state !== "granted") return "unknown";
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}
