/**
 * Scratch buffers kept between delta members: each member needs an output
 * block with pages of the old file, a buffer for one block of the delta
 * and one for hashing, and V8 frees such memory only at its next garbage
 * collection, so a package of many deltas would otherwise pile them up. One
 * buffer of each kind is kept; a caller that finds it taken (two rebuilds
 * at once) allocates its own.
 *
 * @module
 */

const kept = new Map<string, Uint8Array>();

/** A buffer of at least `size` bytes for `kind`; give it back with {@linkcode giveBack}. */
export function borrow(kind: string, size: number): Uint8Array {
  const b = kept.get(kind);
  if (b !== undefined && b.length >= size) {
    kept.delete(kind);
    return b;
  }
  return new Uint8Array(size);
}

/** Returns a buffer borrowed for `kind`, to be handed out again. */
export function giveBack(kind: string, buf: Uint8Array): void {
  const b = kept.get(kind);
  if (b === undefined || b.length < buf.length) kept.set(kind, buf);
}
