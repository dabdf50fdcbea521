/**
 * `create --delta`: for each changed file big enough to be worth it whose
 * old version is a regular file, ships a delta against that old version
 * when it is smaller than the file itself, both compressed as the package
 * would compress them, and by more than the delta's entry in the signed
 * header costs.
 *
 * @module
 */

import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { makeDelta } from "../delta/diff.ts";
import { applyDelta, bytesFile } from "../delta/patch.ts";
import { PatchopsError } from "../errors.ts";
import type { DeltaEntry } from "../signed_ops.ts";
import type { Tree } from "./tree.ts";

/** Options of {@linkcode chooseDeltas}. */
export interface DeltaOptions {
  /**
   * Files smaller than this are shipped whole.
   * @default 1 KiB
   */
  minSize?: number | undefined;
  /** @default "gzip" */
  compression?: "gzip" | "zstd" | undefined;
}

/** One file shipped as a delta: its signed entry and the member's bytes. */
export interface ChosenDelta {
  entry: DeltaEntry;
  bytes: Uint8Array;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** What a delta's entry adds to the signed header, compressed: a path, two SHA-256s and a size. */
const ENTRY_BYTES = 128;

/** About what `data` weighs in the package (a faster level than the package's, for both sides alike). */
function packedSize(data: Uint8Array, compression: "gzip" | "zstd"): number {
  return compression === "gzip" ? zlib.gzipSync(data, { level: 6 }).length : zlib.zstdCompressSync(data, {
    params: { [zlib.constants.ZSTD_c_compressionLevel]: 9 },
  }).length;
}

/**
 * Whether the reader rebuilds the result from `old` through `delta` within
 * its bounds. They hold for anything the writer makes except the pages of
 * the old file read per byte given (a new file of short pieces from all
 * over a large old one): that depends on the delta alone, so what passes
 * here passes on every client; what does not is shipped whole.
 */
async function rebuilds(old: Uint8Array, delta: Uint8Array, result: DeltaEntry, path: string): Promise<boolean> {
  let pulled = false;
  const pull = () => Promise.resolve(pulled ? undefined : (pulled = true, delta));
  try {
    for await (const _ of applyDelta(pull, bytesFile(old), result, path)) { /* hashed inside */ }
  } catch (err) {
    if (err instanceof PatchopsError && err.code === "DeltaInvalid") return false;
    throw err;
  }
  return true;
}

/** Chooses, among `paths` (archive members of `to`), the files to ship as deltas against `from`. */
export async function chooseDeltas(
  from: Tree,
  to: Tree,
  paths: Iterable<string>,
  options?: DeltaOptions,
): Promise<Map<string, ChosenDelta>> {
  const { minSize = 1 << 10, compression = "gzip" } = options ?? {};
  const out = new Map<string, ChosenDelta>();
  for (const path of paths) {
    const n = to.nodes.get(path);
    const o = from.nodes.get(path);
    if (n?.type !== "file" || o?.type !== "file" || n.size < minSize) continue;
    const [old, neu] = await Promise.all([
      Deno.readFile(`${from.root}/${path}`),
      Deno.readFile(`${to.root}/${path}`),
    ]);
    if (neu.length !== n.size) throw new Error(`"${to.root}/${path}" changed size while being read`);
    const bytes = makeDelta(old, neu);
    if (packedSize(bytes, compression) + ENTRY_BYTES >= packedSize(neu, compression)) continue;
    const entry = { old_sha256: sha256(old), old_size: old.length, sha256: sha256(neu), size: neu.length };
    if (!(await rebuilds(old, bytes, entry, path))) continue;
    out.set(path, { entry, bytes });
  }
  return out;
}
