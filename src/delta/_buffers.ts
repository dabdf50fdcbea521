/**
 * Scratch buffers kept between delta members. A package of sixty deltas
 * allocated some 400 MiB of short-lived buffers one member after another,
 * and since V8 frees such memory only at its next garbage collection, peak
 * RSS grew with the number of deltas. One buffer of each kind is kept; a
 * caller that finds it taken (two rebuilds at once) allocates its own.
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
