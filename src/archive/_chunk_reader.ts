/**
 * Pull-based reader over a byte stream that hands out exact-size reads
 * (copied only when they span chunks) and zero-copy slices for bulk data.
 *
 * @module
 */

import type { Pull } from "./inflate.ts";

/**
 * Reads exact byte counts from a `ReadableStream<Uint8Array>` or a pull
 * function. A pull function may reuse its buffer, so whatever this reader
 * hands out is valid only until the next call into it.
 */
export class ChunkReader {
  #pull: Pull;
  #cancel: (reason?: unknown) => Promise<void>;
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;
  #done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(source: ReadableStream<Uint8Array> | Pull) {
    if (typeof source === "function") {
      this.#pull = source;
      this.#cancel = () => Promise.resolve();
    } else {
      const reader = source.getReader();
      this.#pull = async () => {
        const { done, value } = await reader.read();
        return done ? undefined : value;
      };
      this.#cancel = (reason) => reader.cancel(reason).catch(() => {});
    }
  }

  async #fill(): Promise<boolean> {
    while (this.#offset >= this.#chunk.length) {
      if (this.#done) return false;
      const value = await this.#pull();
      if (value === undefined) {
        this.#done = true;
        return false;
      }
      this.#chunk = value;
      this.#offset = 0;
    }
    return true;
  }

  /**
   * Reads exactly `n` bytes, or fewer only at the end of the stream (the
   * caller decides whether that is truncation).
   */
  async readExact(n: number): Promise<Uint8Array> {
    if (!(await this.#fill())) return new Uint8Array(0);
    const avail = this.#chunk.length - this.#offset;
    if (avail >= n) {
      const out = this.#chunk.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      this.position += n;
      return out;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n && (await this.#fill())) {
      const take = Math.min(n - got, this.#chunk.length - this.#offset);
      out.set(this.#chunk.subarray(this.#offset, this.#offset + take), got);
      this.#offset += take;
      got += take;
    }
    this.position += got;
    return got === n ? out : out.subarray(0, got);
  }

  /**
   * Returns the next slice of at most `max` bytes without copying, or
   * `undefined` at the end of the stream.
   */
  async readSome(max: number): Promise<Uint8Array | undefined> {
    if (!(await this.#fill())) return undefined;
    const take = Math.min(max, this.#chunk.length - this.#offset);
    const out = this.#chunk.subarray(this.#offset, this.#offset + take);
    this.#offset += take;
    this.position += take;
    return out;
  }

  /** Reads and discards everything left, returning whether any byte was non-zero. */
  async drain(): Promise<boolean> {
    let nonZero = false;
    for (;;) {
      const part = await this.readSome(1 << 20);
      if (part === undefined) return nonZero;
      if (!nonZero && part.some((b) => b !== 0)) nonZero = true;
    }
  }

  /** Stops reading and releases the stream. */
  async cancel(reason?: unknown): Promise<void> {
    this.#done = true;
    await this.#cancel(reason);
  }
}
