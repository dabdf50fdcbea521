/**
 * Rebuilds a file from its old version and a delta (see `format.ts`), as a
 * stream of blocks. The delta is untrusted while it streams in (the package
 * signature is checked only at its end), so every step is bounded: the
 * output never goes beyond the signed size, a block holds at most
 * `BLOCK_BYTES` and no more controls than bytes plus one, every read of the
 * old file stays inside it, and the result must hash to the signed SHA-256.
 * Memory: one block of delta bytes, one block of output, a window of the
 * old file and the decompressor's window.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { inflating, type Pull } from "../archive/inflate.ts";
import { PatchopsError } from "../errors.ts";
import { BLOCK_BYTES, DELTA_MAGIC, unzigzag } from "./format.ts";
import { borrow, giveBack } from "./_buffers.ts";

/** The old file, read at positions (e.g. `pread` on a descriptor opened once). */
export interface OldFile {
  size: number;
  /** Reads up to `buf.length` bytes at `position`; returns how many (0 at the end). */
  read(buf: Uint8Array, position: number): number;
}

/** What the signed header says the result is. */
export interface DeltaResult {
  size: number;
  sha256: string;
}

const WINDOW = 4 << 20;
const READ_AHEAD = 64 << 10;

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

  /** The next varint; a number when it is buffered already (no await per control). */
  varint(): number | Promise<number> {
    const c = this.#chunk;
    let off = this.#off;
    if (c.length - off >= 8) {
      let v = 0;
      let mul = 1;
      for (let i = 0; i < 8; i++) {
        const b = c[off++]!;
        v += (b & 0x7f) * mul;
        if (b < 0x80) {
          if (!Number.isSafeInteger(v)) break;
          this.#off = off;
          return v;
        }
        mul *= 0x80;
      }
      throw new Error("it holds a number out of range");
    }
    return this.#slowVarint();
  }

  async #slowVarint(): Promise<number> {
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

  /** Fills `into`; `undefined` when the bytes were buffered already. */
  bytes(into: Uint8Array): Promise<void> | undefined {
    const n = into.length;
    if (this.#chunk.length - this.#off >= n) {
      into.set(this.#chunk.subarray(this.#off, this.#off + n));
      this.#off += n;
      return undefined;
    }
    return this.#slowBytes(into);
  }

  async #slowBytes(into: Uint8Array): Promise<void> {
    let at = 0;
    while (at < into.length) {
      if (!(await this.#fill())) throw new Error("it ends early");
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

/** A window over the old file, refilled when a read falls outside it. */
class OldWindow {
  readonly #old: OldFile;
  readonly #buf: Uint8Array;
  #start = 0;
  #end = 0;
  constructor(old: OldFile) {
    this.#old = old;
    this.#buf = borrow("window", WINDOW);
  }

  release(): void {
    giveBack("window", this.#buf);
  }

  /** Adds the old bytes at `pos` to `out[at..at+len)` in place (the diff bytes are there). */
  addTo(out: Uint8Array, at: number, pos: number, len: number): void {
    while (len > 0) {
      if (pos < this.#start || pos >= this.#end) this.#load(pos, len);
      const n = Math.min(len, this.#end - pos);
      const o = pos - this.#start;
      for (let i = 0; i < n; i++) out[at + i] = out[at + i]! + this.#buf[o + i]!;
      at += n;
      pos += n;
      len -= n;
    }
  }

  /** Reads what is needed, but at least READ_AHEAD: reads are sequential mostly, yet a miss must stay cheap. */
  #load(pos: number, len: number): void {
    if (pos < 0 || pos >= this.#old.size) throw new Error("it reads outside the old file");
    const want = Math.min(WINDOW, this.#old.size - pos, Math.max(len, READ_AHEAD));
    let got = 0;
    while (got < want) {
      const n = this.#old.read(this.#buf.subarray(got, want), pos + got);
      if (n === 0) break;
      got += n;
    }
    if (got < want) throw new Error("the old file shrank while it was read");
    this.#start = pos;
    this.#end = pos + got;
  }
}

/**
 * Yields the file that `delta` (compressed delta bytes) makes of `old`, one
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
  const z = inflating("zstd", delta);
  const hash = createHash("sha256");
  try {
    const r = new DeltaReader(z.pull);
    const magic = new Uint8Array(DELTA_MAGIC.length);
    const window = new OldWindow(old);
    let written = 0;
    let oldpos = 0;
    let out = borrow("out", 0);
    try {
      await r.bytes(magic);
      if (!magic.every((b, i) => b === DELTA_MAGIC[i])) throw fail("it is not a patchops delta");
      for (;;) {
        let count = r.varint();
        if (typeof count !== "number") count = await count;
        if (count === 0) break;
        const controls: number[] = [];
        let bytes = 0;
        for (let i = 0; i < count; i++) {
          let d = r.varint();
          if (typeof d !== "number") d = await d;
          let e = r.varint();
          if (typeof e !== "number") e = await e;
          let s = r.varint();
          if (typeof s !== "number") s = await s;
          s = unzigzag(s);
          bytes += d + e;
          // Bounds before anything is read or written: the block, the controls per byte, the signed size.
          if (bytes > BLOCK_BYTES) throw fail(`a block holds more than ${BLOCK_BYTES} bytes`);
          if (i > bytes) throw fail("a block holds more controls than bytes");
          if (written + bytes > result.size) throw fail(`it gives more than the signed ${result.size} bytes`);
          controls.push(d, e, s);
        }
        if (out.length < bytes) {
          out = new Uint8Array(Math.max(bytes, Math.min(2 * out.length, BLOCK_BYTES)));
        }
        // The block's diff bytes, then its extra bytes, placed where each control's output goes.
        let at = 0;
        for (let i = 0; i < controls.length; i += 3) {
          const p = r.bytes(out.subarray(at, at + controls[i]!));
          if (p) await p;
          at += controls[i]! + controls[i + 1]!;
        }
        at = 0;
        for (let i = 0; i < controls.length; i += 3) {
          at += controls[i]!;
          const p = r.bytes(out.subarray(at, at + controls[i + 1]!));
          if (p) await p;
          at += controls[i + 1]!;
        }
        at = 0;
        for (let i = 0; i < controls.length; i += 3) {
          const d = controls[i]!;
          if (oldpos < 0 || oldpos + d > old.size) throw fail("it reads outside the old file");
          window.addTo(out, at, oldpos, d);
          oldpos += d + controls[i + 2]!;
          at += d + controls[i + 1]!;
        }
        const block = out.subarray(0, bytes);
        hash.update(block);
        written += bytes;
        yield block;
      }
      if (!(await r.atEnd())) throw fail("data follows its end");
    } catch (err) {
      if (err instanceof PatchopsError) throw err;
      throw fail((err as Error).message, err);
    } finally {
      window.release();
      giveBack("out", out);
    }
    if (written !== result.size) throw fail(`it gives ${written} bytes, not the signed ${result.size}`);
    if (hash.digest("hex") !== result.sha256) throw fail("the result does not match its signed SHA-256");
  } finally {
    z.close();
  }
}
