/**
 * The one "diff by name" helper every dialect's diff uses: objects of two
 * schema versions (tables, columns, indexes, constraints, views, routines)
 * matched by name, or by a `@renamed from=` annotation when the old name is
 * gone.
 *
 * @module
 */

import type { Schema, Table } from "./model.ts";

/** Anything a schema holds by name. */
export interface Named {
  name: string;
  renamedFrom?: string | undefined;
}

/** Objects matched between a current and a desired list. */
export interface NamePairs<T> {
  /** [current, desired], renamed ones included, in desired order. */
  pairs: [T, T][];
  /** The pairs whose name changes, by annotation. */
  renamed: [T, T][];
  /** Desired objects with no current counterpart. */
  created: T[];
  /** Current objects with no desired counterpart. */
  dropped: T[];
}

/** Options of {@linkcode pairByName} and {@linkcode findByName}. */
export interface ByNameOptions {
  /** Names that differ only in case are the same (MySQL indexes, columns, constraints). @default false */
  ignoreCase?: boolean | undefined;
}

function key(name: string, options: ByNameOptions | undefined): string {
  return options?.ignoreCase ? name.toLowerCase() : name;
}

/** The object of `list` named `name`. */
export function findByName<T extends { name: string }>(
  list: readonly T[],
  name: string,
  options?: ByNameOptions,
): T | undefined {
  const k = key(name, options);
  return list.find((x) => key(x.name, options) === k);
}

/** Pairs the objects of `from` and `to` by name, then by rename annotation. */
export function pairByName<T extends Named>(
  from: readonly T[],
  to: readonly T[],
  options?: ByNameOptions,
): NamePairs<T> {
  const out: NamePairs<T> = { pairs: [], renamed: [], created: [], dropped: [] };
  const used = new Set<T>();
  for (const desired of to) {
    let current = findByName(from, desired.name, options);
    if (current && used.has(current)) current = undefined;
    if (!current && desired.renamedFrom && !findByName(to, desired.renamedFrom, options)) {
      current = findByName(from, desired.renamedFrom, options);
    }
    if (current && !used.has(current)) {
      used.add(current);
      out.pairs.push([current, desired]);
      if (key(current.name, options) !== key(desired.name, options)) out.renamed.push([current, desired]);
    } else out.created.push(desired);
  }
  out.dropped = from.filter((x) => !used.has(x));
  return out;
}

/** Tables matched between a current and a desired schema. */
export type TablePairs = NamePairs<Table>;

/** Pairs the tables of `from` and `to`. */
export function pairTables(from: Schema, to: Schema, options?: ByNameOptions): TablePairs {
  return pairByName(from.tables, to.tables, options);
}
