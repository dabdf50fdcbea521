/**
 * The schema model the SQL module diffs: dialect-neutral shapes, filled by
 * each dialect's parser and already normalised, so that two schemas that
 * mean the same compare equal field by field.
 *
 * @module
 */

/** A column's data type. */
export interface ColumnType {
  /** Lower-case base name after synonyms: `int`, `varchar`, `decimal`, `enum`. */
  base: string;
  /** Arguments as written canonically: `["191"]`, `["10", "2"]`, enum values quoted. */
  args: string[];
  unsigned: boolean;
  zerofill: boolean;
  /** An array of the type (PostgreSQL, which keeps no dimensions: `integer[][]` is `integer[]`). */
  array?: boolean | undefined;
}

/** A column default. */
export type ColumnDefault =
  | { kind: "literal"; value: string; quoted: boolean }
  | { kind: "expr"; sql: string };

/** One column. */
export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
  default: ColumnDefault | undefined;
  onUpdate: string | undefined;
  autoIncrement: boolean;
  charset: string | undefined;
  collate: string | undefined;
  comment: string | undefined;
  generated: { sql: string; stored: boolean } | undefined;
  /** Unnamed column-level CHECK (MariaDB keeps these on the column). */
  check: string | undefined;
  /** Extra attributes kept verbatim (e.g. `SRID 4326`). */
  extra: string[];
  renamedFrom: string | undefined;
  line: number;
}

/** One part of an index. */
export interface IndexPart {
  column: string;
  length: number | undefined;
  desc: boolean;
  /** Collation of this part (SQLite). */
  collate?: string | undefined;
}

/** A primary key, unique key, plain, fulltext or spatial index. */
export interface Index {
  name: string;
  kind: "primary" | "unique" | "index" | "fulltext" | "spatial";
  parts: IndexPart[];
  comment: string | undefined;
  invisible: boolean;
  /** `hash` etc. when not the engine default. */
  using: string | undefined;
  /** Created implicitly for a foreign key (not written in the schema). */
  implicit: boolean;
  /** Options kept verbatim in canonical form (MySQL `KEY_BLOCK_SIZE=8`, `WITH PARSER ngram`). */
  options?: string[] | undefined;
  /** The whole CREATE INDEX as written, when the parts cannot carry it (PostgreSQL expressions, options). */
  definition?: string | undefined;
  /** Partial index condition (SQLite). */
  where?: string | undefined;
  renamedFrom: string | undefined;
}

/** A foreign key. */
export interface ForeignKey {
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

/** A table-level CHECK constraint. */
export interface Check {
  name: string;
  sql: string;
  /**
   * The whole constraint as the server prints it, when the model cannot
   * carry it (PostgreSQL: exclusion, deferrable, `MATCH FULL`, `INCLUDE`,
   * and every check read from the catalogs); compared and printed verbatim.
   */
  definition?: string | undefined;
}

/** Table options that patchops manages. */
export interface TableOptions {
  engine: string | undefined;
  charset: string | undefined;
  collate: string | undefined;
  comment: string | undefined;
  rowFormat: string | undefined;
  /** `PARTITION BY ...` as written and canonically (MySQL). */
  partition: { sql: string; canonical: string } | undefined;
  /** Other options, upper-case key to canonical value. */
  other: Record<string, string>;
}

/** A table. */
export interface Table {
  name: string;
  columns: Column[];
  indexes: Index[];
  foreignKeys: ForeignKey[];
  checks: Check[];
  options: TableOptions;
  renamedFrom: string | undefined;
  line: number;
  /**
   * The CREATE TABLE as written (SQLite), whose items are compared and
   * printed as written: clauses the model does not carry are kept.
   */
  definition?: string | undefined;
}

/** A view, compared by its canonical SELECT text. */
export interface View {
  name: string;
  /** Canonical text used for comparison. */
  canonical: string;
  /** The statement as written, for output. */
  sql: string;
  line: number;
}

/** A trigger, compared by its canonical text. */
export interface Trigger {
  name: string;
  table: string;
  canonical: string;
  sql: string;
  line: number;
}

/**
 * A stored procedure or function, a scheduled event (MySQL) or an extension
 * (PostgreSQL), compared by its canonical text.
 */
export interface Routine {
  kind: "procedure" | "function" | "event" | "extension";
  name: string;
  canonical: string;
  /** The statement as written, for output. */
  sql: string;
  line: number;
}

/**
 * A PostgreSQL object beyond tables, indexes and views (types, domains,
 * sequences, functions, triggers, materialized views, policies, row-level
 * security, grants, comments), compared by its canonical text.
 */
export interface PgObject {
  kind:
    | "enum"
    | "type"
    | "domain"
    | "sequence"
    | "owned"
    | "seqopts"
    | "function"
    | "matview"
    | "index"
    | "trigger"
    | "policy"
    | "rls"
    | "grant"
    | "comment"
    | "partition";
  /** Identity within its kind: `mood`, `add(a integer, b integer)`, `t_touch ON t`. */
  name: string;
  canonical: string;
  /** The statement that makes it. */
  sql: string;
  /** The relation it belongs to (trigger, policy, index, grant, comment), which re-making drops it with. */
  on?: string | undefined;
  /** Enum labels, in order. */
  labels?: string[] | undefined;
  line: number;
}

/** A whole schema. */
export interface Schema {
  tables: Table[];
  views: View[];
  triggers: Trigger[];
  routines: Routine[];
  /** PostgreSQL's other objects. */
  objects?: PgObject[] | undefined;
  /** SQLite's virtual tables (FTS5, R*Tree, ...), compared by their canonical text like views. */
  virtualTables?: View[] | undefined;
}

/** One change, ready to print. */
export interface Change {
  kind:
    | "drop_trigger"
    | "drop_view"
    | "drop_foreign_key"
    | "rename_table"
    | "create_table"
    | "alter_table"
    | "drop_column"
    | "modify_column"
    | "drop_table"
    | "add_foreign_key"
    | "create_view"
    | "create_trigger"
    | "drop_index"
    | "create_index"
    | "rename_column"
    | "add_column"
    | "rebuild_table"
    | "drop_routine"
    | "create_routine"
    | "partition_table"
    | "comment";
  table?: string;
  /** One statement, without a terminating semicolon. */
  sql: string;
  /** A short human description. */
  description: string;
  /** Why this change loses data, when it does. */
  destructive?: string;
  /** The PostgreSQL object this change makes, or drops when `drop` (for guarded scripts). */
  pgObject?: Pick<PgObject, "kind" | "name" | "on"> & { drop: boolean };
}
