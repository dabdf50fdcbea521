/**
 * The one "diff by name" helper every dialect's diff uses: objects of two
 * schema versions (tables, columns, indexes, constraints, views, routines)
 * matched by name, or by a `@renamed from=` annotation when the old name is
 * gone.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
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

/** Options of {@linkcode pairByName}. */
export interface PairOptions extends ByNameOptions {
  /**
   * What an object annotated `@renamed from=<old>` does when the desired
   * side still has an object named `<old>` (a table renamed out of the way
   * and a new one made under its name, as gh-ost and pt-online-schema-change
   * leave it): `"rename"` pairs the annotated object with the old one (the
   * other `<old>` is then a new object, or the end of a rename chain), and
   * orders the renames so that each name is free before it is taken;
   * `"refuse"` throws, for a dialect whose plan cannot do that. Either way
   * the annotation is never ignored. Where the current side already has
   * the new name as well, the rename is taken as done. @default "refuse"
   */
  oldNameReused?: "rename" | "refuse" | undefined;
  /** What the objects are, for error messages. @default "table" */
  what?: string | undefined;
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

/**
 * Pairs a table's columns, desired to current: first each one annotated
 * `@renamed from=<old>` with the current `<old>` (unless the current table
 * has its new name already: the rename is then taken as done), then the
 * rest by name. A new column may so take the old name of a renamed one,
 * whichever of the two is written first; paired by name first, the old
 * column kept its data under its name and the annotated one was added
 * empty, the annotation dropped without a word.
 */
export function pairColumns<T extends Named>(
  table: string,
  cur: readonly T[],
  des: readonly T[],
  options?: ByNameOptions,
): Map<T, T> {
  const out = new Map<T, T>();
  const used = new Set<T>();
  for (const d of des) {
    const old = d.renamedFrom;
    if (old === undefined || key(old, options) === key(d.name, options) || findByName(cur, d.name, options)) continue;
    const c = findByName(cur, old, options);
    if (!c) continue;
    if (used.has(c)) {
      throw new PatchopsError("SqlInvalid", `column "${table}.${old}" is named by two @renamed annotations`);
    }
    used.add(c);
    out.set(d, c);
  }
  for (const d of des) {
    if (out.has(d)) continue;
    const c = findByName(cur, d.name, options);
    if (c && !used.has(c)) {
      used.add(c);
      out.set(d, c);
    }
  }
  return out;
}

/**
 * Pairs the objects of `from` and `to` by name, then by rename annotation.
 * An annotation whose old name the desired side still uses is honoured or
 * refused (see {@linkcode PairOptions.oldNameReused}), never dropped.
 */
export function pairByName<T extends Named>(
  from: readonly T[],
  to: readonly T[],
  options?: PairOptions,
): NamePairs<T> {
  const { oldNameReused = "refuse", what = "table" } = options ?? {};
  const out: NamePairs<T> = { pairs: [], renamed: [], created: [], dropped: [] };
  const used = new Set<T>();
  const early = new Map<T, T>();
  for (const desired of to) {
    const old = desired.renamedFrom;
    if (old === undefined || key(old, options) === key(desired.name, options)) continue;
    const current = findByName(from, old, options);
    // Where the current side has the new name too, the rename is taken as done (a schema file keeps its
    // annotations after the migration ran, and diffing the migrated database against it must give nothing).
    if (!current || !findByName(to, old, options) || findByName(from, desired.name, options)) continue;
    if (oldNameReused === "refuse") {
      throw new PatchopsError(
        "SqlInvalid",
        `${what} "${desired.name}" is annotated @renamed from=${old}, but the new schema still has a ${what} ` +
          `"${old}", which this dialect cannot rename and make again in one script: rename it in a migration of its own`,
      );
    }
    if (used.has(current)) {
      throw new PatchopsError("SqlInvalid", `${what} "${old}" is named by two @renamed annotations`);
    }
    used.add(current);
    early.set(desired, current);
  }
  for (const desired of to) {
    let current = early.get(desired) ?? findByName(from, desired.name, options);
    if (current && used.has(current) && early.get(desired) !== current) current = undefined;
    if (!current && desired.renamedFrom && !findByName(to, desired.renamedFrom, options)) {
      current = findByName(from, desired.renamedFrom, options);
    }
    if (current && (!used.has(current) || early.get(desired) === current)) {
      used.add(current);
      out.pairs.push([current, desired]);
      if (key(current.name, options) !== key(desired.name, options)) out.renamed.push([current, desired]);
    } else out.created.push(desired);
  }
  out.dropped = from.filter((x) => !used.has(x));
  out.renamed = renameOrder(out.renamed, options);
  return out;
}

/**
 * Renames in an order that frees each name before it is taken (b to c
 * before a to b). Pairing gives no cycle: a rename is paired only onto a
 * name the current side does not have, or one a rename moves away.
 */
function renameOrder<T extends Named>(renamed: [T, T][], options: ByNameOptions | undefined): [T, T][] {
  const pending = [...renamed];
  const out: [T, T][] = [];
  while (pending.length) {
    const i = pending.findIndex(([, d]) => !pending.some(([c]) => key(c.name, options) === key(d.name, options)));
    out.push(...pending.splice(Math.max(i, 0), 1));
  }
  return out;
}

/** Tables matched between a current and a desired schema. */
export type TablePairs = NamePairs<Table>;

/** Pairs the tables of `from` and `to`. */
export function pairTables(from: Schema, to: Schema, options?: PairOptions): TablePairs {
  return pairByName(from.tables, to.tables, options);
}
