/**
 * The delta format: the magic `PODELTA2`, then blocks, then a zero. It is
 * not compressed itself: the package's compression covers all members, so
 * it sees what deltas of alike files share. A block is a varint length,
 * then that many bytes:
 *
 * - a varint count of controls, then the controls (varint diff length,
 *   varint extra length, zigzag varint seek);
 * - the block's diff bytes, sparse: a varint count of runs, the runs
 *   (varint zero bytes, varint literal bytes, at least one), then all the
 *   literal bytes; diff bytes after the last run are zero;
 * - all of the block's extra bytes.
 *
 * The controls are bsdiff's: add `diff` bytewise to the old file at the
 * current position, copy `extra`, move the old position by `seek`. The
 * diff bytes of a program's next build are mostly zero (bsdiff leaves
 * their runs to bzip2); spelling the zero runs out as lengths keeps the
 * package from carrying, and the reader from inflating and adding, tens
 * of megabytes of zeros: a zero run is the old bytes copied as they are.
 * The length in front lets the reader take a whole block into memory and
 * rebuild it in one plain synchronous function, with bounds checked against
 * the block's end and no await per control or run.
 *
 * Deltas of the first format (`PODELTA1` in a zstd stream of its own, diff
 * bytes written out in full, no block lengths) are refused as not a
 * patchops delta.
 *
 * @module
 */

/** Opens every delta (inside the compression). */
export const DELTA_MAGIC = new TextEncoder().encode("PODELTA2");
/** The most diff plus extra bytes one block may carry; the reader refuses more. */
export const BLOCK_BYTES = 8 << 20;
/** The most controls one block may carry; the writer starts a new block there. */
export const BLOCK_CONTROLS = 1 << 18;
/**
 * The most runs of diff bytes one block may carry. The writer's runs are at
 * most one per control plus one per 9 diff bytes (a run holds a literal
 * byte, and zero gaps shorter than 8 stay inside literals), under this.
 */
export const BLOCK_RUNS = 2 << 20;
/**
 * The most bytes one block may take (the reader holds one): 8 MiB of bytes,
 * controls of up to 3 x 8 bytes and runs of up to 2 x 4 bytes, with room.
 */
export const BLOCK_BODY = 32 << 20;

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
