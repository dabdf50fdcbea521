/**
 * What staging has written, held compactly: a package of 200,000 files
 * keeps one path string and one small integer per member, with type, mode
 * and size in typed arrays, instead of an object per member (which with its
 * map slot made a third of the heap at the end of staging).
 *
 * @module
 */

/** What a staged path is. Hard links are staged as files. */
export type StagedType = "file" | "directory" | "symlink";

/** One staged path. */
export interface StagedEntry {
  type: StagedType;
  mode: number;
  size: number;
  /** True for directories that no member named but a deeper member needed. */
  implied?: boolean;
}

const TYPES: readonly StagedType[] = ["file", "directory", "symlink"];
const IMPLIED = 1 << 14;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The staged paths in the order they were staged, read like a
 * `ReadonlyMap<string, StagedEntry>`; `typeOf` and `eachFile` answer without
 * making an entry object.
 *
 * Paths live as UTF-8 in one growing byte array, found through an
 * open-addressing hash table of indexes: no string or object per member
 * stays on the heap (a `Map` of path strings alone held 15 MB for 200,000
 * members, and the garbage collector let the heap grow to about twice what
 * was live).
 */
export class StagedEntries implements ReadonlyMap<string, StagedEntry> {
  #count = 0;
  /** Every path's UTF-8 bytes, one after the other. */
  #arena = new Uint8Array(64 << 10);
  /** Path i is `#arena[#offsets[i], #offsets[i + 1])`. */
  #offsets = new Uint32Array(1025);
  #hashes = new Uint32Array(1024);
  /** Per index: mode (12 bits), type (bits 12-13), implied (bit 14). */
  #info = new Uint16Array(1024);
  #sizes = new Float64Array(1024);
  /** Index + 1 of the path in each slot; 0 for an empty slot. */
  #table = new Int32Array(2048);
  /** The last looked-up path, encoded. */
  #key = new Uint8Array(4096);
  #keyLength = 0;

  get size(): number {
    return this.#count;
  }

  /** Encodes `path` into `#key` and returns its hash. */
  #encode(path: string): number {
    if (this.#key.length < path.length * 3) this.#key = new Uint8Array(path.length * 3);
    const key = this.#key;
    const n = encoder.encodeInto(path, key).written;
    this.#keyLength = n;
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
    return h >>> 0;
  }

  /** Index of the path last encoded (with hash `h`), or -1-slot of the empty slot where it would go. */
  #find(h: number): number {
    const table = this.#table;
    const mask = table.length - 1;
    const key = this.#key;
    const n = this.#keyLength;
    for (let slot = h & mask;; slot = (slot + 1) & mask) {
      const at = table[slot]!;
      if (at === 0) return -1 - slot;
      const i = at - 1;
      if (this.#hashes[i] !== h) continue;
      const start = this.#offsets[i]!;
      if (this.#offsets[i + 1]! - start !== n) continue;
      let same = true;
      for (let k = 0; k < n; k++) {
        if (this.#arena[start + k] !== key[k]) {
          same = false;
          break;
        }
      }
      if (same) return i;
    }
  }

  #index(path: string): number {
    const i = this.#find(this.#encode(path));
    return i < 0 ? -1 : i;
  }

  /** Adds `path`, or changes it when it is staged already. */
  set(path: string, entry: StagedEntry): this {
    const h = this.#encode(path);
    let i = this.#find(h);
    if (i < 0) {
      i = this.#count;
      this.#append(h);
    }
    this.#info[i] = (entry.mode & 0o7777) | (TYPES.indexOf(entry.type) << 12) | (entry.implied ? IMPLIED : 0);
    this.#sizes[i] = entry.size;
    return this;
  }

  /** Stores the encoded key as path number `#count`, growing the arrays as needed. */
  #append(h: number): void {
    const i = this.#count;
    const n = this.#keyLength;
    if (i + 1 === this.#info.length) {
      const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T) => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.#offsets = grow(this.#offsets, (k) => new Uint32Array(k));
      this.#hashes = grow(this.#hashes, (k) => new Uint32Array(k));
      this.#info = grow(this.#info, (k) => new Uint16Array(k));
      this.#sizes = grow(this.#sizes, (k) => new Float64Array(k));
    }
    const start = this.#offsets[i]!;
    if (start + n > this.#arena.length) {
      const arena = new Uint8Array(Math.max(this.#arena.length * 2, start + n));
      arena.set(this.#arena.subarray(0, start));
      this.#arena = arena;
    }
    this.#arena.set(this.#key.subarray(0, n), start);
    this.#offsets[i + 1] = start + n;
    this.#hashes[i] = h;
    this.#count++;
    // Kept at most half full, so probes stay short.
    if (this.#count * 2 > this.#table.length) {
      this.#table = new Int32Array(this.#table.length * 2);
      for (let k = 0; k < this.#count; k++) this.#place(k);
    } else this.#place(i);
  }

  /** Puts path number `i` into the first free slot from its hash. */
  #place(i: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let slot = this.#hashes[i]! & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = i + 1;
  }

  #path(i: number): string {
    return decoder.decode(this.#arena.subarray(this.#offsets[i]!, this.#offsets[i + 1]!));
  }

  has(path: string): boolean {
    return this.#index(path) >= 0;
  }

  /** The type of `path`, or `undefined` when nothing is staged there. */
  typeOf(path: string): StagedType | undefined {
    const i = this.#index(path);
    return i < 0 ? undefined : TYPES[(this.#info[i]! >> 12) & 3];
  }

  get(path: string): StagedEntry | undefined {
    const i = this.#index(path);
    return i < 0 ? undefined : this.#entry(i);
  }

  /** Calls `fn` with the path and size of every non-directory, in staging order. */
  eachFile(fn: (path: string, size: number) => void): void {
    for (let i = 0; i < this.#count; i++) {
      if (((this.#info[i]! >> 12) & 3) !== 1) fn(this.#path(i), this.#sizes[i]!);
    }
  }

  #entry(i: number): StagedEntry {
    const info = this.#info[i]!;
    const e: StagedEntry = { type: TYPES[(info >> 12) & 3]!, mode: info & 0o7777, size: this.#sizes[i]! };
    if (info & IMPLIED) e.implied = true;
    return e;
  }

  *entries(): MapIterator<[string, StagedEntry]> {
    for (let i = 0; i < this.#count; i++) yield [this.#path(i), this.#entry(i)];
  }

  *keys(): MapIterator<string> {
    for (let i = 0; i < this.#count; i++) yield this.#path(i);
  }

  *values(): MapIterator<StagedEntry> {
    for (let i = 0; i < this.#count; i++) yield this.#entry(i);
  }

  forEach(fn: (value: StagedEntry, key: string, map: ReadonlyMap<string, StagedEntry>) => void): void {
    for (let i = 0; i < this.#count; i++) fn(this.#entry(i), this.#path(i), this);
  }

  [Symbol.iterator](): MapIterator<[string, StagedEntry]> {
    return this.entries();
  }
}
