/**
 * The delta format: a zstd stream holding the magic `PODELTA1`, then
 * blocks, then an empty block. A block is a varint count of controls, the
 * controls (varint diff length, varint extra length, zigzag varint seek),
 * then all of the block's diff bytes, then all of its extra bytes. The
 * controls are bsdiff's: add `diff` bytewise to the old file at the
 * current position, copy `extra`, move the old position by `seek`.
 * Grouping the three kinds of bytes per block lets the compressor see long
 * runs of alike data (diff bytes are mostly zero) while the reader holds one
 * block at a time.
 *
 * @module
 */

/** Opens every delta (inside the compression). */
export const DELTA_MAGIC = new TextEncoder().encode("PODELTA1");
/** The most diff plus extra bytes one block may carry; the reader refuses more. */
export const BLOCK_BYTES = 8 << 20;
/** The most controls one block may carry. */
export const BLOCK_CONTROLS = 1 << 20;
/** zstd window of the writer: larger windows find more, and cost the reader memory. */
export const WINDOW_LOG = 24;

/** Appends `v` (a non-negative safe integer) as a LEB128 varint. */
export function pushVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Maps a signed integer to an unsigned one (0, -1, 1, -2, ... to 0, 1, 2, 3, ...). */
export function zigzag(v: number): number {
  return v < 0 ? -v * 2 - 1 : v * 2;
}

/** The inverse of {@linkcode zigzag}. */
export function unzigzag(v: number): number {
  return v % 2 === 1 ? -(v + 1) / 2 : v / 2;
}
