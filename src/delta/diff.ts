/**
 * Makes a delta from an old and a new version of a file (see `format.ts`).
 *
 * The matching is bsdiff's (Colin Percival, "Naive differences of
 * executable code"): find exact matches, then grow them forwards and
 * backwards into approximate ones, whose bytewise differences are mostly
 * zero because a new build moves code and so changes its addresses a little
 * everywhere. bsdiff finds exact matches with a suffix array of the old file
 * (8 bytes of memory per byte, minutes on 100 MB in JavaScript); this finds
 * them with a hash of the 8 bytes at every old position (the longest of
 * the last 16 positions with the same hash) plus the alignment of the
 * previous match, which finds nearly as much at a fraction of the time. Written here because no maintained npm package offers a delta with a
 * streaming, bounded reader: the npm zstd builds have no `--patch-from`
 * (the whole old file as a prefix) and bsdiff bindings are native addons.
 *
 * @module
 */

import { BLOCK_BODY, BLOCK_CONTROLS, DELTA_MAGIC, pushVarint, zigzag } from "./format.ts";

const SEED = 8;
/**
 * Hash candidates tried per position: the longest match among them wins.
 * On node-sql-parser's seventy changed files, 16 candidates made the deltas
 * 7.7% smaller than one (1,366,098 bytes to 1,260,638, each compressed
 * alone); on its six largest, 32 gained 2% over 8.
 */
const DEPTH = 16;
/**
 * A match further than this from where the last one leads must be at least
 * `FAR_MATCH` bytes long. Short matches far away (a few bytes of a common
 * instruction sequence) saved less than their controls cost, and they sent
 * the reader's pages all over the old file. Measured with 64 KiB here
 * against 1 MiB (misses of 128 pages of 64 KiB; deltas zstd -19): the Deno
 * binary 5,062 misses to 2,246 and 4,377,938 bytes to 4,318,929; biome's
 * 100 MB binary 45,214 misses to 9,339 and about 3.5% smaller;
 * node-sql-parser 945,106 bytes to 938,279, typescript 480 to 443. With 64
 * bytes instead of 32, every pair but biome's grew.
 */
const FAR = 64 << 10;
const FAR_MATCH = 32;
/**
 * Nearer matches must pay for their seek too: every byte the seek takes as
 * a varint beyond the first asks this many more bytes of match than `SEED`
 * (8 bytes within 64 of where the last match leads, 12 within 8 KiB, 16
 * within 1 MiB). A short match from elsewhere in the old file costs a
 * control of three varints, while the same bytes left as new bytes cost
 * what the package's compression makes of them, which often is less: new
 * code repeats its own words. Measured (changed files' deltas together,
 * zstd -19, against no such rule): eslint 10.14.0 to 10.15.0 2,069 bytes
 * to 1,992, @babel/parser 8.1.2 to 8.1.3 657 to 585, typescript 443 to
 * 428, node-sql-parser 938,274 to 927,146, the Deno executable 2.9.5 to
 * 2.9.6 4,316,977 to 4,224,000 (controls 38,293 to 30,794; the reader's
 * reads of the old file 1,816 to 1,679); 2 and 8 gained less, 6 about the
 * same.
 */
const SEEK_BYTE_MATCH = 4;
/** Exact matches are not grown past this, so that a scan never re-reads a long run. */
const MAX_MATCH = 1 << 16;
/**
 * Bytes of output per block written: the reader holds one block, and
 * every MiB of fresh memory costs it about 10 ms on the VMs here; past a
 * MiB, larger blocks make the delta no smaller. (The format allows up to
 * `BLOCK_BYTES`.)
 */
const WRITE_BLOCK = 1 << 20;
/** A zero gap shorter than this inside a literal run of diff bytes stays in it. */
const LITERAL_GAP = 8;

/** The bytes a seek of `distance` (either way) takes as a zigzag varint. */
function seekBytes(distance: number): number {
  return distance < 64 ? 1 : distance < 1 << 13 ? 2 : distance < 1 << 20 ? 3 : 4;
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
    while (diff.length + extra.length > WRITE_BLOCK - this.#bytes) {
      const room = WRITE_BLOCK - this.#bytes;
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
    if (this.#controls.length >= BLOCK_CONTROLS) this.flush();
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
    // The diff bytes as runs of zeros and literals (see format.ts); a literal swallows zero gaps
    // shorter than LITERAL_GAP, which cost less as bytes than as two more lengths.
    const literals: Uint8Array[] = [];
    const runs: number[] = [];
    let zeros = 0;
    for (const d of this.#diff) {
      let i = 0;
      while (i < d.length) {
        if (d[i] === 0) {
          zeros++;
          i++;
          continue;
        }
        let j = i + 1;
        for (;;) {
          while (j < d.length && d[j] !== 0) j++;
          let k = j;
          while (k < d.length && d[k] === 0 && k - j < LITERAL_GAP) k++;
          if (k < d.length && k - j < LITERAL_GAP && k > j) j = k;
          else break;
        }
        runs.push(zeros, j - i);
        literals.push(d.subarray(i, j));
        zeros = 0;
        i = j;
      }
    }
    pushVarint(head, runs.length / 2);
    for (const n of runs) pushVarint(head, n);
    let length = head.length;
    for (const l of literals) length += l.length;
    for (const e of this.#extra) length += e.length;
    // Cannot happen with the limits above; the reader would refuse it.
    if (length > BLOCK_BODY) throw new Error(`a delta block of ${length} bytes is over the format's limit`);
    const prefix: number[] = [];
    pushVarint(prefix, length);
    // One push per part: a block may hold a million of them, too many to spread as arguments.
    this.parts.push(new Uint8Array(prefix), new Uint8Array(head));
    for (const l of literals) this.parts.push(l);
    for (const e of this.#extra) this.parts.push(e);
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
  // Chains of positions per hash: `table` holds the last position + 1, `prev` the one before it.
  const table = new Int32Array(1 << bits);
  const prev = new Int32Array(oldsize);
  for (let i = 0; i + SEED <= oldsize; i++) {
    const h = hashAt(old, i, bits);
    prev[i] = table[h]!;
    table[h] = i + 1;
  }

  let scan = 0, len = 0, pos = 0, lastscan = 0, lastpos = 0, lastoffset = 0, lastmatch = 0;
  const search = (at: number): void => {
    len = 0;
    if (at + SEED <= newsize) {
      let cand = table[hashAt(neu, at, bits)]! - 1;
      for (let k = 0; k < DEPTH && cand >= 0; k++) {
        const n = matchLength(old, cand, neu, at);
        const distance = Math.abs(cand - (at + lastoffset));
        const least = SEED + SEEK_BYTE_MATCH * (seekBytes(distance) - 1);
        if (n >= least && n > len && (n >= FAR_MATCH || distance <= FAR)) {
          len = n;
          pos = cand;
        }
        cand = prev[cand]! - 1;
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
 * Makes the delta that turns `old` into `neu`. It is not compressed: it goes
 * into the package as it is, and the package's compression sees all deltas
 * together (node-sql-parser's seventy deltas: 933 KB in one zstd stream,
 * 1,261 KB compressed one by one).
 *
 * @example
 * ```ts
 * import zlib from "node:zlib";
 * import { makeDelta } from "./diff.ts";
 * const old = new TextEncoder().encode("hello world, ".repeat(1000));
 * const neu = new TextEncoder().encode("hello world! ".repeat(1000));
 * if (zlib.zstdCompressSync(makeDelta(old, neu)).length > 200) throw new Error("delta too large");
 * ```
 */
export function makeDelta(old: Uint8Array, neu: Uint8Array): Uint8Array {
  const parts = deltaParts(old, neu);
  let size = 0;
  for (const p of parts) size += p.length;
  const raw = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    raw.set(p, off);
    off += p.length;
  }
  return raw;
}
