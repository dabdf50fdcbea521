/**
 * One delta member, rebuilt: the delta is applied to the installed old file
 * as a stream (`patch.ts`), and the result must hash to the SHA-256 the
 * signed header names. The old file is hashed only when that fails, to tell
 * a file changed locally (`DeltaBaseMismatch`, which a fallback package
 * answers) from a bad delta (`DeltaInvalid`). Hashing it first as well
 * would guard nothing more: the result's hash already holds the output to
 * the signed bytes, whatever old bytes went in, and it cost every member
 * a whole read and hash of the old file on the main thread.
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
 * or "" when it has fewer now or cannot be read. Not read to its end: a
 * file grown after it was opened (by a local user, to a terabyte with one
 * `truncate`) would be read for hours, and the delta reads no byte past
 * that size.
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
  } catch {
    return "";
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
 * not the one the delta was made from (changed locally: of another size,
 * refused unread, or found when the rebuild fails), `DeltaInvalid` when the
 * delta or its result is wrong. What was yielded before a throw is to be
 * thrown away (it goes to staging only).
 */
export async function* rebuildMember(
  path: string,
  body: AsyncIterable<Uint8Array>,
  entry: DeltaEntry,
  openBase: OpenBase,
): AsyncGenerator<Uint8Array> {
  const mismatch = (cause?: unknown) =>
    new PatchopsError(
      "DeltaBaseMismatch",
      `Cannot update "${path}": the installed file is not the version its delta was made from (changed locally?)`,
      { cause },
    );
  const base = openBase(path);
  try {
    // A file of another size (a log grown to gigabytes) is refused without being read.
    if (base.size !== entry.old_size) throw mismatch();
    try {
      yield* applyDelta(pullOf(body), base, entry, path);
    } catch (err) {
      // A locally changed file makes the rebuild fail in many ways (a wrong result, a file shrunk
      // under it, a delta read past its end): its own hash names the cause.
      if (sha256Of(base) !== entry.old_sha256) throw mismatch(err);
      throw err;
    }
  } finally {
    base.close();
  }
}
