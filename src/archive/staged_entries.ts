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

/**
 * The staged paths in the order they were staged, read like a
 * `ReadonlyMap<string, StagedEntry>`; `typeOf` and `eachFile` answer without
 * making an entry object.
 */
export class StagedEntries implements ReadonlyMap<string, StagedEntry> {
  #index = new Map<string, number>();
  /** Per index: mode (12 bits), type (bits 12-13), implied (bit 14). */
  #info = new Uint16Array(1024);
  #sizes = new Float64Array(1024);

  get size(): number {
    return this.#index.size;
  }

  /** Adds `path`, or changes it when it is staged already. */
  set(path: string, entry: StagedEntry): this {
    let i = this.#index.get(path);
    if (i === undefined) {
      i = this.#index.size;
      if (i === this.#info.length) {
        const info = new Uint16Array(i * 2);
        info.set(this.#info);
        this.#info = info;
        const sizes = new Float64Array(i * 2);
        sizes.set(this.#sizes);
        this.#sizes = sizes;
      }
      this.#index.set(path, i);
    }
    this.#info[i] = (entry.mode & 0o7777) | (TYPES.indexOf(entry.type) << 12) | (entry.implied ? IMPLIED : 0);
    this.#sizes[i] = entry.size;
    return this;
  }

  has(path: string): boolean {
    return this.#index.has(path);
  }

  /** The type of `path`, or `undefined` when nothing is staged there. */
  typeOf(path: string): StagedType | undefined {
    const i = this.#index.get(path);
    return i === undefined ? undefined : TYPES[(this.#info[i]! >> 12) & 3];
  }

  get(path: string): StagedEntry | undefined {
    const i = this.#index.get(path);
    return i === undefined ? undefined : this.#entry(i);
  }

  /** Calls `fn` with the path and size of every non-directory, in staging order. */
  eachFile(fn: (path: string, size: number) => void): void {
    for (const [path, i] of this.#index) {
      if (((this.#info[i]! >> 12) & 3) !== 1) fn(path, this.#sizes[i]!);
    }
  }

  #entry(i: number): StagedEntry {
    const info = this.#info[i]!;
    const e: StagedEntry = { type: TYPES[(info >> 12) & 3]!, mode: info & 0o7777, size: this.#sizes[i]! };
    if (info & IMPLIED) e.implied = true;
    return e;
  }

  *entries(): MapIterator<[string, StagedEntry]> {
    for (const [path, i] of this.#index) yield [path, this.#entry(i)];
  }

  keys(): MapIterator<string> {
    return this.#index.keys();
  }

  *values(): MapIterator<StagedEntry> {
    for (const i of this.#index.values()) yield this.#entry(i);
  }

  forEach(fn: (value: StagedEntry, key: string, map: ReadonlyMap<string, StagedEntry>) => void): void {
    for (const [path, i] of this.#index) fn(this.#entry(i), path, this);
  }

  [Symbol.iterator](): MapIterator<[string, StagedEntry]> {
    return this.entries();
  }
}
