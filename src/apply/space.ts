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
  /**
   * Staged bytes between two checks.
   * @default 32 MiB
   */
  every?: number;
}

/** Tracks staged bytes and refuses to go on when the file system is about to fill up. */
export class SpaceGuard {
  #path: string;
  #reserve: number;
  #every: number;
  #sinceCheck = 0;

  constructor(path: string, options?: SpaceGuardOptions) {
    const { reserve = 8 << 20, every = 32 << 20 } = options ?? {};
    this.#path = path;
    this.#reserve = reserve;
    this.#every = every;
  }

  /** Throws `NoSpace` unless `bytes` more fit, keeping the reserve. */
  async require(bytes: number, what: string): Promise<void> {
    const free = await freeBytes(this.#path);
    this.#sinceCheck = 0;
    if (free !== undefined && free - this.#reserve < bytes) {
      throw new PatchopsError(
        "NoSpace",
        `not enough space for ${what}: it needs ${formatBytes(bytes)}, and the file system of "${this.#path}" has ${
          formatBytes(Math.max(0, free))
        } free (keeping ${formatBytes(this.#reserve)} in reserve)`,
      );
    }
  }

  /** Called before a file of `size` bytes is staged; checks now and then. */
  async beforeFile(size: number): Promise<void> {
    this.#sinceCheck += size;
    if (this.#sinceCheck >= this.#every || size >= this.#every) {
      await this.require(size, "the next staged file");
    }
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
