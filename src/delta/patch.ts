/**
 * Rebuilds a file from its old version and a delta (see `format.ts`), as a
 * stream of blocks. The delta is untrusted while it streams in (the package
 * signature is checked only at its end), so every step is bounded: the
 * output never goes beyond the signed size, a block holds at most
 * `BLOCK_BYTES` and no more controls than bytes plus one, every read of the
 * old file stays inside it, and the result must hash to the signed SHA-256.
 * Memory: one block of output, its controls and runs, the pages of the old
 * file kept (2 MiB, up to 8 MiB for deltas that read far and wide) and the
 * decompressor's window.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Pull } from "../archive/inflate.ts";
import { PatchopsError } from "../errors.ts";
import { BLOCK_BODY, BLOCK_BYTES, BLOCK_CONTROLS, BLOCK_RUNS, DELTA_MAGIC, unzigzag } from "./format.ts";
import { borrow, giveBack } from "./_buffers.ts";

/** The old file, read at positions (e.g. `pread` on a descriptor opened once). */
export interface OldFile {
  size: number;
  /** Reads up to `buf.length` bytes at `position`; returns how many (0 at the end). */
  read(buf: Uint8Array, position: number): number;
}

/** `bytes` as an old file (in memory). */
export function bytesFile(bytes: Uint8Array): OldFile {
  return {
    size: bytes.length,
    read(buf, pos) {
      const s = bytes.subarray(pos, pos + buf.length);
      buf.set(s);
      return s.length;
    },
  };
}

/** What the signed header says the result is. */
export interface DeltaResult {
  size: number;
  sha256: string;
}

const PAGE = 64 << 10;
const FIRST_PAGES = 8;
/**
 * Up to this many pages the pool doubles each time a page must be read
 * again: 2 MiB, which the deltas of a few changes and of the Deno
 * executable read well within.
 */
const EAGER_PAGES = 32;
/**
 * Beyond `EAGER_PAGES` the pool doubles only once the pages read again
 * since it last grew have cost as much as the new pages would (ski rental):
 * on the VMs measured, a page of 64 KiB touched for the first time costs
 * 16 page faults of about 20 us, and reading one again into a page touched
 * before about 20 us, so a new page is worth 16 reads, taken twice over to
 * leave pools that gain little as they are. Growing eagerly up to 128 pages
 * made the Deno executable's and node-sql-parser's rebuilds slower (fresh
 * memory for few reads saved); never growing past 32 read the pages of
 * biome's 100 MB executable (a new build, matches all over the old file)
 * 15,300 times, 8,600 with this rule (`MAX_PAGES` 128).
 */
const REREADS_PER_PAGE = 32;
/** 8 MiB of pages at most. */
const MAX_PAGES = 128;
/** Old ranges this long are read straight into the output block. */
const DIRECT = 32 << 10;
/**
 * Reads of old pages (64 KiB each, for short ranges) are bounded by the
 * bytes given: a hostile delta of one-byte controls, each seeking to a page
 * not kept, would otherwise read 64 KiB per byte it gives (16 GiB for one
 * block of 256 KiB, seconds each; minutes for a file of 100 MiB). Real
 * deltas stay far below: the Deno executable's (91 MiB) read its pages
 * 3 times its size over past the first `PAGED_FREE` bytes, and that was
 * before the writer's far-match rule shortened its reads (see diff.ts).
 */
export const PAGED_PER_BYTE = 32;
/** Page reads allowed before any byte is given (8 MiB of pages, twice over: what 128 pages, kept before, allowed). */
export const PAGED_FREE = 16 << 20;

/** Reads the decompressed delta: varints and runs of bytes, across chunk borders. */
class DeltaReader {
  #pull: Pull;
  #chunk: Uint8Array = new Uint8Array(0);
  #off = 0;
  constructor(pull: Pull) {
    this.#pull = pull;
  }

  async #fill(): Promise<boolean> {
    while (this.#off >= this.#chunk.length) {
      const next = await this.#pull();
      if (next === undefined) return false;
      this.#chunk = next;
      this.#off = 0;
    }
    return true;
  }

  async varint(): Promise<number> {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.#off >= this.#chunk.length && !(await this.#fill())) throw new Error("it ends early");
      const b = this.#chunk[this.#off++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(v)) break;
        return v;
      }
      mul *= 0x80;
    }
    throw new Error("it holds a number out of range");
  }

  /** Fills `into` with the next bytes. */
  async bytes(into: Uint8Array): Promise<void> {
    let at = 0;
    while (at < into.length) {
      if (this.#off >= this.#chunk.length && !(await this.#fill())) throw new Error("it ends early");
      const n = Math.min(into.length - at, this.#chunk.length - this.#off);
      into.set(this.#chunk.subarray(this.#off, this.#off + n), at);
      this.#off += n;
      at += n;
    }
  }

  async atEnd(): Promise<boolean> {
    return !(await this.#fill());
  }
}

/** A block's bytes, read in order; every read is checked against its end. */
class Cursor {
  off = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(): number {
    const b = this.buf;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.off >= b.length) throw new Error("a block ends inside a number");
      const x = b[this.off++]!;
      v += (x & 0x7f) * mul;
      if (x < 0x80) {
        if (!Number.isSafeInteger(v)) break;
        return v;
      }
      mul *= 0x80;
    }
    throw new Error("it holds a number out of range");
  }

  /** Where the next `n` bytes start; they are skipped. */
  take(n: number): number {
    if (n > this.buf.length - this.off) throw new Error("a block ends inside its bytes");
    const at = this.off;
    this.off += n;
    return at;
  }
}

/** The runs of the block being rebuilt, decoded (they fit: at most `BLOCK_BYTES` each); kept from block to block. */
let runsKept = new Int32Array(0);

function runScratch(n: number): Int32Array {
  if (runsKept.length < n) runsKept = new Int32Array(Math.max(n, Math.min(2 * runsKept.length, 2 * BLOCK_RUNS)));
  return runsKept;
}

/** What rebuilding carries from block to block. */
interface Progress {
  /** Position in the old file. */
  oldpos: number;
  /** Bytes given so far. */
  written: number;
}

/**
 * Rebuilds one block (`body`, its bytes after the length) into the output
 * block at the start of `pages.mem`; returns how many bytes it gave. Every
 * bound is checked before the bytes it guards are read or written.
 *
 * Each loop is a function of its own, whose code after the loop does no
 * more than return: V8 optimizes a long loop while it runs (on-stack
 * replacement), before the code after it has ever run, and then bails out
 * when that code is reached for want of type feedback. As one function
 * with four loops, the rebuild did that on every block of the Deno
 * executable's delta, and was compiled again each time (`--trace-deopt`).
 */
function rebuildBlock(body: Uint8Array, pages: OldPages, size: number, at: Progress): number {
  const c = new Cursor(body);
  const out = pages.mem;
  const controls: number[] = [];
  const bytes = readControls(c, size, at, controls);
  pages.allowed = PAGED_FREE + PAGED_PER_BYTE * (at.written + bytes);
  const diffBytes = copyOld(controls, pages, at);
  // The runs of zero and literal diff bytes: checked as they are decoded, which also finds where the
  // literal bytes start, then applied, walking the controls' diff regions in order.
  const runCount = c.varint();
  if (runCount > BLOCK_RUNS) throw new Error(`a block holds more than ${BLOCK_RUNS} runs of diff bytes`);
  // A run takes two bytes at least: a count beyond what the block holds fails in readRuns, and sizes nothing.
  const runs = runScratch(2 * Math.min(runCount, (body.length - c.off) >> 1));
  const literalBytes = readRuns(c, runCount, diffBytes, runs);
  addRuns(runs, runCount, controls, c.take(literalBytes), out, body);
  copyExtras(c, controls, out);
  if (c.off !== body.length) throw new Error("a block's length does not match its contents");
  at.written += bytes;
  return bytes;
}

/**
 * Reads the block's controls (diff, extra, seek, ...) into `controls`,
 * checked against the block's and the file's bounds; returns the bytes
 * they give.
 */
function readControls(c: Cursor, size: number, at: Progress, controls: number[]): number {
  const count = c.varint();
  if (count === 0) throw new Error("a block holds no controls");
  if (count > BLOCK_CONTROLS) throw new Error(`a block holds more than ${BLOCK_CONTROLS} controls`);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const d = c.varint();
    const e = c.varint();
    const s = unzigzag(c.varint());
    bytes += d + e;
    // Bounds before anything is read or written: the block, the controls per byte, the signed size.
    if (bytes > BLOCK_BYTES) throw new Error(`a block holds more than ${BLOCK_BYTES} bytes`);
    if (i > bytes) throw new Error("a block holds more controls than bytes");
    if (at.written + bytes > size) throw new Error(`it gives more than the signed ${size} bytes`);
    controls.push(d, e, s);
  }
  return bytes;
}

/**
 * Copies the old bytes where each control's diff bytes go (a zero diff
 * byte leaves them as they are); moves `at.oldpos`; returns the block's
 * diff bytes.
 */
function copyOld(controls: number[], pages: OldPages, at: Progress): number {
  let pos = 0;
  let diffBytes = 0;
  for (let i = 0; i < controls.length; i += 3) {
    const d = controls[i]!;
    const oldpos = at.oldpos;
    if (d > 0) {
      if (oldpos < 0 || oldpos + d > pages.size) throw new Error("it reads outside the old file");
      pages.copyTo(pos, oldpos, d);
    }
    at.oldpos = oldpos + d + controls[i + 2]!;
    pos += d + controls[i + 1]!;
    diffBytes += d;
  }
  return diffBytes;
}

/** Decodes `count` runs into `runs` (zeros, literal, ...), checked; returns their literal bytes. */
function readRuns(c: Cursor, count: number, diffBytes: number, runs: Int32Array): number {
  let covered = 0;
  let literalBytes = 0;
  for (let i = 0; i < count; i++) {
    const zeros = c.varint();
    const literal = c.varint();
    if (literal === 0) throw new Error("a run of diff bytes is empty");
    covered += zeros + literal;
    literalBytes += literal;
    if (covered > diffBytes) throw new Error("its diff bytes go beyond what its controls declare");
    // Both fit: `covered` is at most the block's diff bytes.
    runs[2 * i] = zeros;
    runs[2 * i + 1] = literal;
  }
  return literalBytes;
}

/** Adds the literal diff bytes (from `body` at `lit`) to the old bytes in `out`, the zero runs skipped. */
function addRuns(
  runs: Int32Array,
  count: number,
  controls: number[],
  lit: number,
  out: Uint8Array,
  body: Uint8Array,
): void {
  let ci = 0; // the control whose diff region the walk is in
  let pos = 0; // where the next diff byte goes in `out`
  let left = controls[0]!; // diff bytes left in that region
  // Runs alternate: zeros (the old bytes stay), then literals (added to them).
  for (let k = 0; k < 2 * count; k++) {
    const literal = (k & 1) === 1;
    for (let n = runs[k]!; n > 0;) {
      while (left === 0) {
        pos += controls[ci + 1]!;
        ci += 3;
        left = controls[ci]!;
      }
      const step = Math.min(n, left);
      if (literal) {
        for (const end = pos + step; pos < end; pos++, lit++) out[pos] = out[pos]! + body[lit]!;
      } else pos += step;
      n -= step;
      left -= step;
    }
  }
}

/** The extra bytes, after each control's diff bytes. */
function copyExtras(c: Cursor, controls: number[], out: Uint8Array): void {
  const body = c.buf;
  let pos = 0;
  for (let i = 0; i < controls.length; i += 3) {
    pos += controls[i]!;
    const e = controls[i + 1]!;
    const from = c.take(e);
    if (e < 64) {
      for (let j = 0; j < e; j++) out[pos + j] = body[from + j]!;
    } else {
      out.set(body.subarray(from, from + e), pos);
    }
    pos += e;
  }
}

/**
 * The old file as the delta reads it. Long ranges are read straight into
 * the output block. Short ones go through pages of `PAGE` bytes, those used
 * last kept: first `FIRST_PAGES`, twice as many each time a page must be
 * read again, up to `EAGER_PAGES`, then up to `MAX_PAGES` as reads again
 * pay for it (see `REREADS_PER_PAGE`). A delta reads the old file mostly in
 * order, with short seeks and now and then a match far away (the writer
 * leaves out short far ones); a delta of a few changes reads it straight
 * through and needs few pages, a new build of a program needs more. Pages
 * are kept no more than needed because fresh memory is slow to touch on
 * the VMs this was measured on (about 1 s for 100 MiB; a page of 64 KiB
 * touched for the first time costs more than reading it again into one
 * touched before, about 10 us for `readSync` whatever its size up to
 * 16 KiB).
 */
class OldPages {
  readonly #old: OldFile;
  readonly size: number;
  /** The output block first, then the pages: copies from page to block are `copyWithin`, without allocation. */
  readonly mem: Uint8Array;
  /** Page number to its slot; iteration order is the order of use. */
  readonly #slots = new Map<number, number>();
  /** Pages read before, to tell a page read again (too few kept) from a first read. */
  readonly #seen: Uint8Array;
  #limit = FIRST_PAGES;
  /** Pages read again since the pool last grew past `EAGER_PAGES`. */
  #rereads = 0;
  #free = 0;
  /** Bytes read into pages so far, and how many may be (see `PAGED_PER_BYTE`). */
  #paged = 0;
  allowed = PAGED_FREE;
  constructor(old: OldFile) {
    this.#old = old;
    this.size = old.size;
    this.#seen = new Uint8Array(Math.ceil(old.size / PAGE));
    // Only what is touched costs: a short block and few pages leave most of this unmapped.
    this.mem = borrow("rebuild", BLOCK_BYTES + PAGE * MAX_PAGES);
  }

  release(): void {
    giveBack("rebuild", this.mem);
  }

  /** Copies the old bytes `[pos, pos+len)` to the output block at `at` (the caller checked the range). */
  copyTo(at: number, pos: number, len: number): void {
    if (len >= DIRECT) {
      this.#read(this.mem.subarray(at, at + len), pos);
      return;
    }
    while (len > 0) {
      const page = Math.floor(pos / PAGE);
      const o = BLOCK_BYTES + this.#slot(page) * PAGE + pos - page * PAGE;
      const n = Math.min(len, PAGE - (pos - page * PAGE));
      this.mem.copyWithin(at, o, o + n);
      at += n;
      pos += n;
      len -= n;
    }
  }

  #read(into: Uint8Array, pos: number): void {
    let got = 0;
    while (got < into.length) {
      const n = this.#old.read(into.subarray(got), pos + got);
      if (n === 0) throw new Error("the old file shrank while it was read");
      got += n;
    }
  }

  #slot(page: number): number {
    const hit = this.#slots.get(page);
    if (hit !== undefined) {
      // Most recently used goes last.
      this.#slots.delete(page);
      this.#slots.set(page, hit);
      return hit;
    }
    if (this.#seen[page] === 0) this.#seen[page] = 1;
    else if (this.#limit < EAGER_PAGES) this.#limit *= 2;
    else if (this.#limit < MAX_PAGES && ++this.#rereads >= REREADS_PER_PAGE * this.#limit) {
      this.#limit *= 2;
      this.#rereads = 0;
    }
    let slot: number;
    if (this.#free < this.#limit) slot = this.#free++;
    else {
      const [oldest, s] = this.#slots.entries().next().value!;
      this.#slots.delete(oldest);
      slot = s;
    }
    this.#paged += PAGE;
    if (this.#paged > this.allowed) {
      throw new Error(`it reads the old file more than ${PAGED_PER_BYTE} times over the bytes it gives`);
    }
    const start = BLOCK_BYTES + slot * PAGE;
    this.#read(this.mem.subarray(start, start + Math.min(PAGE, this.size - page * PAGE)), page * PAGE);
    this.#slots.set(page, slot);
    return slot;
  }
}

/**
 * Yields the file that `delta` (the delta's bytes) makes of `old`, one
 * block at a time (each valid until the next is asked for). Throws
 * `DeltaInvalid`, naming `shown`, when the delta is malformed, reads outside
 * the old file, would give more or fewer bytes than `result.size`, or gives
 * bytes that do not hash to `result.sha256`.
 */
export async function* applyDelta(
  delta: Pull,
  old: OldFile,
  result: DeltaResult,
  shown: string,
): AsyncGenerator<Uint8Array> {
  const fail = (why: string, cause?: unknown) =>
    new PatchopsError("DeltaInvalid", `Cannot rebuild "${shown}" from its delta: ${why}`, { cause });
  const hash = createHash("sha256");
  const pages = new OldPages(old);
  let body = borrow("body", 0);
  const at: Progress = { oldpos: 0, written: 0 };
  try {
    const r = new DeltaReader(delta);
    const magic = new Uint8Array(DELTA_MAGIC.length);
    await r.bytes(magic);
    if (!magic.every((b, i) => b === DELTA_MAGIC[i])) throw fail("it is not a patchops delta");
    for (;;) {
      const length = await r.varint();
      if (length === 0) break;
      if (length > BLOCK_BODY) throw fail(`a block is longer than ${BLOCK_BODY} bytes`);
      if (body.length < length) body = new Uint8Array(Math.max(length, Math.min(2 * body.length, BLOCK_BODY)));
      const block = body.subarray(0, length);
      await r.bytes(block);
      const bytes = rebuildBlock(block, pages, result.size, at);
      const given = pages.mem.subarray(0, bytes);
      hash.update(given);
      yield given;
    }
    if (!(await r.atEnd())) throw fail("data follows its end");
  } catch (err) {
    if (err instanceof PatchopsError) throw err;
    throw fail((err as Error).message, err);
  } finally {
    pages.release();
    giveBack("body", body);
  }
  if (at.written !== result.size) throw fail(`it gives ${at.written} bytes, not the signed ${result.size}`);
  if (hash.digest("hex") !== result.sha256) throw fail("the result does not match its signed SHA-256");
}
