/**
 * One delta member, rebuilt: the installed old file is checked against the
 * SHA-256 the signed header names, then the delta is applied to it as a
 * stream (`patch.ts`).
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Pull } from "../archive/inflate.ts";
import { PatchopsError } from "../errors.ts";
import type { DeltaEntry } from "../signed_ops.ts";
import { applyDelta, type OldFile } from "./patch.ts";
import { borrow, giveBack } from "./_buffers.ts";

/** An installed file opened once (never through a symlink), read at positions. */
export interface BaseFile extends OldFile {
  close(): void;
}

/** Opens the installed version of `path`; throws `DeltaBaseMismatch` when it is missing or not a regular file. */
export type OpenBase = (path: string) => BaseFile;

/**
 * The SHA-256 of the file's first `file.size` bytes (its size when opened),
 * or "" when it has fewer now. Not read to its end: a file grown after it
 * was opened (by a local user, to a terabyte with one `truncate`) would be
 * read for hours, and the delta reads no byte past that size.
 */
function sha256Of(file: OldFile): string {
  const h = createHash("sha256");
  const buf = borrow("hash", 1 << 20);
  let pos = 0;
  try {
    while (pos < file.size) {
      const n = file.read(buf.subarray(0, Math.min(buf.length, file.size - pos)), pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    giveBack("hash", buf);
  }
  return pos === file.size ? h.digest("hex") : "";
}

/** Turns a member body into a {@linkcode Pull}. */
function pullOf(body: AsyncIterable<Uint8Array>): Pull {
  const it = body[Symbol.asyncIterator]();
  return async () => {
    const r = await it.next();
    return r.done ? undefined : r.value;
  };
}

/**
 * Yields the file that the delta member `body` makes of the installed
 * version of `path`. Throws `DeltaBaseMismatch` when the installed file is
 * not the one the delta was made from (changed locally), `DeltaInvalid`
 * when the delta or its result is wrong.
 */
export async function* rebuildMember(
  path: string,
  body: AsyncIterable<Uint8Array>,
  entry: DeltaEntry,
  openBase: OpenBase,
): AsyncGenerator<Uint8Array> {
  const base = openBase(path);
  try {
    // The result's hash is what guards the output; this check is there to name the cause. The size
    // first: a file of another size (a log grown to gigabytes) is refused without being read.
    if (base.size !== entry.old_size || sha256Of(base) !== entry.old_sha256) {
      throw new PatchopsError(
        "DeltaBaseMismatch",
        `Cannot update "${path}": the installed file is not the version its delta was made from (changed locally?)`,
      );
    }
    yield* applyDelta(pullOf(body), base, entry, path);
  } finally {
    base.close();
  }
}
