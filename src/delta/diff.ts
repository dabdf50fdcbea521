/**
 * Makes a delta from an old and a new version of a file (see `format.ts`).
 *
 * The matching is bsdiff's (Colin Percival, "Naive differences of
 * executable code"): find exact matches, then grow them forwards and
 * backwards into approximate ones, whose bytewise differences are mostly
 * zero because a new build moves code and so changes its addresses a little
 * everywhere. bsdiff finds exact matches with a suffix array of the old file
 * (8 bytes of memory per byte, minutes on 100 MB in JavaScript); this finds
 * them with a hash of the 8 bytes at every old position plus the alignment
 * of the previous match, which finds nearly as much at a fraction of the
 * time. Written here because no maintained npm package offers a delta with a
 * streaming, bounded reader: the npm zstd builds have no `--patch-from`
 * (the whole old file as a prefix) and bsdiff bindings are native addons.
 *
 * @module
 */

import zlib from "node:zlib";
import { BLOCK_BYTES, DELTA_MAGIC, pushVarint, WINDOW_LOG, zigzag } from "./format.ts";

const SEED = 8;
/** Exact matches are not grown past this, so that a scan never re-reads a long run. */
const MAX_MATCH = 1 << 16;

/** Options of {@linkcode makeDelta}. */
export interface MakeDeltaOptions {
  /**
   * zstd level of the delta.
   * @default 19
   */
  level?: number | undefined;
}

function hashAt(b: Uint8Array, i: number, bits: number): number {
  const lo = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
  const hi = b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24);
  return (Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi ^ (lo >>> 15), 0x85ebca77)) >>> (32 - bits);
}

function matchLength(old: Uint8Array, op: number, neu: Uint8Array, np: number): number {
  const end = Math.min(old.length - op, neu.length - np, MAX_MATCH);
  let n = 0;
  while (n < end && old[op + n] === neu[np + n]) n++;
  return n;
}

/** Collects the uncompressed delta: blocks of controls, diff bytes and extra bytes. */
class BlockWriter {
  readonly parts: Uint8Array[] = [DELTA_MAGIC];
  #controls: [number, number, number][] = [];
  #diff: Uint8Array[] = [];
  #extra: Uint8Array[] = [];
  #bytes = 0;

  add(diff: Uint8Array, extra: Uint8Array, seek: number): void {
    // A control's bytes must fit one block: split long ones (the seek goes with the last piece).
    while (diff.length + extra.length > BLOCK_BYTES - this.#bytes) {
      const room = BLOCK_BYTES - this.#bytes;
      const d = Math.min(diff.length, room);
      const e = Math.min(extra.length, room - d);
      if (d + e > 0) this.#push(diff.subarray(0, d), extra.subarray(0, e), 0);
      diff = diff.subarray(d);
      extra = extra.subarray(e);
      this.flush();
    }
    this.#push(diff, extra, seek);
  }

  #push(diff: Uint8Array, extra: Uint8Array, seek: number): void {
    const last = this.#controls.at(-1);
    // The reader allows one control without bytes per block: fold an empty one into the one before.
    if (diff.length + extra.length === 0 && last) {
      last[2] += seek;
      return;
    }
    this.#controls.push([diff.length, extra.length, seek]);
    this.#diff.push(diff);
    this.#extra.push(extra);
    this.#bytes += diff.length + extra.length;
  }

  flush(): void {
    if (this.#controls.length === 0) return;
    const head: number[] = [];
    pushVarint(head, this.#controls.length);
    for (const [d, e, s] of this.#controls) {
      pushVarint(head, d);
      pushVarint(head, e);
      pushVarint(head, zigzag(s));
    }
    this.parts.push(new Uint8Array(head), ...this.#diff, ...this.#extra);
    this.#controls = [];
    this.#diff = [];
    this.#extra = [];
    this.#bytes = 0;
  }

  end(): Uint8Array[] {
    this.flush();
    this.parts.push(new Uint8Array([0]));
    return this.parts;
  }
}

/** The raw (uncompressed) delta parts that turn `old` into `neu`. */
export function deltaParts(old: Uint8Array, neu: Uint8Array): Uint8Array[] {
  const out = new BlockWriter();
  const oldsize = old.length;
  const newsize = neu.length;
  let bits = 10;
  while (bits < 26 && 1 << bits < oldsize) bits++;
  const table = new Int32Array(1 << bits);
  for (let i = 0; i + SEED <= oldsize; i++) table[hashAt(old, i, bits)] = i + 1;

  let scan = 0, len = 0, pos = 0, lastscan = 0, lastpos = 0, lastoffset = 0, lastmatch = 0;
  const search = (at: number): void => {
    len = 0;
    if (at + SEED <= newsize) {
      const cand = table[hashAt(neu, at, bits)]! - 1;
      if (cand >= 0) {
        const n = matchLength(old, cand, neu, at);
        if (n >= SEED) {
          len = n;
          pos = cand;
        }
      }
    }
    const aligned = at + lastoffset;
    if (aligned >= 0 && aligned < oldsize) {
      const n = matchLength(old, aligned, neu, at);
      if (n > len || (n === len && n > 0)) {
        len = n;
        pos = aligned;
      }
    }
  };

  while (scan < newsize) {
    let oldscore = 0;
    let scsc = (scan += len);
    for (; scan < newsize; scan++) {
      search(scan);
      for (; scsc < scan + len; scsc++) {
        if (scsc + lastoffset < oldsize && scsc + lastoffset >= 0 && old[scsc + lastoffset] === neu[scsc]) oldscore++;
      }
      if ((len === oldscore && len !== 0) || len > oldscore + 8) break;
      if (scan + lastoffset < oldsize && scan + lastoffset >= 0 && old[scan + lastoffset] === neu[scan]) oldscore--;
    }
    if (len === oldscore && scan !== newsize) continue;

    // Grow the previous match forwards and this one backwards while at least half the bytes agree;
    // backwards only to where the previous match began, so that no byte is walked again and again.
    let s = 0, sf = 0, lenf = 0;
    for (let i = 0; lastscan + i < scan && lastpos + i < oldsize;) {
      if (old[lastpos + i] === neu[lastscan + i]) s++;
      i++;
      if (s * 2 - i > sf * 2 - lenf) {
        sf = s;
        lenf = i;
      }
    }
    let lenb = 0;
    if (scan < newsize) {
      let sb = 0;
      s = 0;
      for (let i = 1; scan - i >= lastscan && scan - i >= lastmatch && pos >= i; i++) {
        if (old[pos - i] === neu[scan - i]) s++;
        if (s * 2 - i > sb * 2 - lenb) {
          sb = s;
          lenb = i;
        }
      }
    }
    if (lastscan + lenf > scan - lenb) {
      const overlap = lastscan + lenf - (scan - lenb);
      let ss = 0, lens = 0;
      s = 0;
      for (let i = 0; i < overlap; i++) {
        if (neu[lastscan + lenf - overlap + i] === old[lastpos + lenf - overlap + i]) s++;
        if (neu[scan - lenb + i] === old[pos - lenb + i]) s--;
        if (s > ss) {
          ss = s;
          lens = i + 1;
        }
      }
      lenf += lens - overlap;
      lenb -= lens;
    }
    const diff = new Uint8Array(lenf);
    for (let i = 0; i < lenf; i++) diff[i] = neu[lastscan + i]! - old[lastpos + i]!;
    const extra = neu.subarray(lastscan + lenf, scan - lenb);
    out.add(diff, extra, pos - lenb - (lastpos + lenf));
    lastscan = scan - lenb;
    lastpos = pos - lenb;
    lastoffset = pos - scan;
    lastmatch = scan;
  }
  return out.end();
}

/**
 * Makes the compressed delta that turns `old` into `neu`.
 *
 * @example
 * ```ts
 * import { makeDelta } from "./diff.ts";
 * const old = new TextEncoder().encode("hello world, ".repeat(1000));
 * const neu = new TextEncoder().encode("hello world! ".repeat(1000));
 * if (makeDelta(old, neu).length > 200) throw new Error("delta too large");
 * ```
 */
export function makeDelta(old: Uint8Array, neu: Uint8Array, options?: MakeDeltaOptions): Uint8Array {
  const { level = 19 } = options ?? {};
  const parts = deltaParts(old, neu);
  let size = 0;
  for (const p of parts) size += p.length;
  const raw = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    raw.set(p, off);
    off += p.length;
  }
  return new Uint8Array(zlib.zstdCompressSync(raw, {
    params: {
      [zlib.constants.ZSTD_c_compressionLevel]: level,
      [zlib.constants.ZSTD_c_windowLog]: WINDOW_LOG,
    },
  }));
}
