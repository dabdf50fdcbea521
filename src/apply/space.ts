/**
 * Free-space checks, so a patch that cannot fit is refused before it fills
 * the disk rather than failing halfway through staging.
 *
 * @module
 */

import { statfs } from "node:fs/promises";
import { PatchopsError } from "../errors.ts";
import { formatBytes } from "../format.ts";

/** Bytes available to this user on the file system holding `path`, if it can be read. */
export async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const s = await statfs(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/** Options of {@linkcode SpaceGuard}. */
export interface SpaceGuardOptions {
  /**
   * Bytes always left free, for the journal and the system.
   * @default 8 MiB
   */
  reserve?: number;
}

/** What a file costs beyond its bytes: rounding to blocks, its inode and directory entry. */
const BLOCK = 4096;
function onDisk(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK + BLOCK;
}

/**
 * Tracks what staging will write and refuses before the file system fills.
 * Every file is checked before it is written, against the free space last
 * read minus everything accounted since (staged files, and the kept copy of
 * the download); the file system is asked again only when that estimate
 * says the next file would eat into the reserve, so the check costs nothing
 * per file while space is plentiful.
 */
export class SpaceGuard {
  #path: string;
  #reserve: number;
  /** Free bytes at the last statfs, less what has been accounted since; undefined when unknown. */
  #left: number | undefined;
  #known = true;

  constructor(path: string, options?: SpaceGuardOptions) {
    const { reserve = 8 << 20 } = options ?? {};
    this.#path = path;
    this.#reserve = reserve;
  }

  async #refresh(): Promise<void> {
    this.#left = await freeBytes(this.#path);
    if (this.#left === undefined) this.#known = false;
  }

  #refuse(what: string, bytes: number): never {
    throw new PatchopsError(
      "NoSpace",
      `not enough space for ${what}: it needs ${formatBytes(bytes)}, and the file system of "${this.#path}" has ${
        formatBytes(Math.max(0, this.#left ?? 0))
      } free (keeping ${formatBytes(this.#reserve)} in reserve)`,
    );
  }

  /**
   * Throws `NoSpace` unless `bytes` more fit, keeping the reserve, and
   * accounts them as spent when `spend` is set (a copy that will be written
   * alongside what is staged, such as a kept download).
   */
  async require(bytes: number, what: string, spend = false): Promise<void> {
    await this.#refresh();
    if (this.#left === undefined) return;
    if (this.#left - this.#reserve < bytes) this.#refuse(what, bytes);
    if (spend) this.#left -= bytes;
  }

  /** Called before a file of `size` bytes named `what` is staged. */
  async beforeFile(size: number, what = "the next staged file"): Promise<void> {
    if (!this.#known) return;
    const need = onDisk(size);
    if (this.#left === undefined || this.#left - need < this.#reserve) {
      await this.#refresh();
      if (this.#left === undefined) return;
      if (this.#left - need < this.#reserve) this.#refuse(what, need);
    }
    this.#left -= need;
  }
}

/** Turns an out-of-space OS error into `NoSpace`; other errors pass through. */
export function asNoSpace(err: unknown): unknown {
  const code = (err as { code?: string })?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new PatchopsError(
      "NoSpace",
      `the install directory's file system is full (${(err as Error).message})`,
      { cause: err },
    );
  }
  return err;
}
