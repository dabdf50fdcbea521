/**
 * Matches the tables of two schemas: by name, or by a `@renamed from=`
 * annotation when the old name is gone. Every dialect's diff starts here.
 *
 * @module
 */

import type { Schema, Table } from "./model.ts";

/** Tables matched between a current and a desired schema. */
export interface TablePairs {
  /** [current, desired], renamed ones included. */
  pairs: [Table, Table][];
  /** The pairs whose name changes, by annotation. */
  renamed: [Table, Table][];
  /** Desired tables with no current counterpart. */
  created: Table[];
  /** Current tables with no desired counterpart. */
  dropped: Table[];
}

/** Pairs the tables of `from` and `to`. */
export function pairTables(from: Schema, to: Schema): TablePairs {
  const out: TablePairs = { pairs: [], renamed: [], created: [], dropped: [] };
  const used = new Set<Table>();
  for (const desired of to.tables) {
    let current = from.tables.find((x) => x.name === desired.name);
    if (!current && desired.renamedFrom) current = from.tables.find((x) => x.name === desired.renamedFrom);
    if (current && !used.has(current)) {
      used.add(current);
      out.pairs.push([current, desired]);
      if (current.name !== desired.name) out.renamed.push([current, desired]);
    } else out.created.push(desired);
  }
  out.dropped = from.tables.filter((x) => !used.has(x));
  return out;
}
