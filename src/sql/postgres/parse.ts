/**
 * PostgreSQL schema files into the schema model, on top of node-sql-parser's
 * postgresql dialect, normalised to what the catalogs report: type names as
 * `format_type` spells them, serial columns as auto-increment integers,
 * casts around literal defaults dropped, and the names PostgreSQL gives
 * unnamed constraints (`t_pkey`, `t_a_key`, `t_a_fkey`, `t_a_check`).
 *
 * Column order is kept but not compared: PostgreSQL cannot reorder columns.
 *
 * @module
 */

import NodeSqlParser from "node-sql-parser";
import { PatchopsError } from "../../errors.ts";
import { type Expr, printExpr, unescapeString } from "../expr.ts";
import { quoteIdent, quoteString } from "./quote.ts";
import type { Column, ColumnDefault, ColumnType, Index, Schema, Table } from "../model.ts";
import { type Annotation, splitStatements, type Statement } from "../split.ts";
import { groupAndOr, lowerOutsideQuotes, topLevelItems } from "../_ddl.ts";
import { bodyItems, emptyTable, foreignKeyActions, identOf, renameFor } from "../_ddl.ts";
import {
  canonicalSequence,
  normalizeText,
  parsePgObjects,
  pgName,
  SEQUENCE_OPTION,
  sequenceOptions,
} from "./_objects.ts";

// deno-lint-ignore no-explicit-any
const parser = new (NodeSqlParser as any).Parser();
const DB = { database: "postgresql" };

/**
 * Rewrites an expression node into the form PostgreSQL stores (and
 * pg_get_constraintdef prints), so that both sides compare equal:
 * `x IN (a, b)` is `x = ANY (ARRAY[a, b])`, `NOT IN` is `<> ALL`, and
 * `x BETWEEN a AND b` is `x >= a AND x <= b`. The canonical form kept here
 * is the IN list (printed as written by users), reached from both.
 */
function asStored(n: Expr): Expr {
  if (n?.type !== "binary_expr") return n;
  const op = String(n.operator).toUpperCase();
  const fn = n.right?.type === "function" ? String(n.right.name?.name?.[0]?.value ?? "").toUpperCase() : "";
  const array = n.right?.args?.value?.length === 1 ? n.right.args.value[0] : undefined;
  if (((op === "=" && fn === "ANY") || (op === "<>" && fn === "ALL")) && array?.type === "array" && array.expr_list) {
    return { type: "binary_expr", operator: op === "=" ? "IN" : "NOT IN", left: n.left, right: array.expr_list };
  }
  if ((op === "BETWEEN" || op === "NOT BETWEEN") && n.right?.type === "expr_list" && n.right.value?.length === 2) {
    const [lo, hi] = n.right.value;
    const not = op === "NOT BETWEEN";
    return {
      type: "binary_expr",
      operator: not ? "OR" : "AND",
      left: { type: "binary_expr", operator: not ? "<" : ">=", left: n.left, right: lo },
      right: { type: "binary_expr", operator: not ? ">" : "<=", left: n.left, right: hi },
    };
  }
  return n;
}

/** Canonical expression text for PostgreSQL: casts of literals dropped, standard quoting. */
export function pgExpr(node: Expr): string {
  const strip = (n: Expr): Expr => {
    if (n && typeof n === "object") {
      if (n.type === "cast" && n.symbol === "::" && ["single_quote_string", "number", "bool"].includes(n.expr?.type)) {
        return strip(n.expr);
      }
      if (n.type === "column_ref" && typeof n.column === "object") return { ...n, column: identOf(n.column) };
      const stored = asStored(n);
      if (stored !== n) return strip(stored);
      const out: Record<string, unknown> = Array.isArray(n) ? [] as unknown as Record<string, unknown> : {};
      for (const [k, v] of Object.entries(n)) out[k] = strip(v);
      return out;
    }
    return n;
  };
  return printExpr(strip(node), {
    quoteIdent,
    quoteString,
    backslashes: false,
    fallback: (n) => parser.exprToSQL(n, DB),
  });
}

const TYPE_NAMES: Record<string, string> = {
  int: "integer",
  int4: "integer",
  integer: "integer",
  serial: "integer",
  serial4: "integer",
  int8: "bigint",
  bigint: "bigint",
  bigserial: "bigint",
  serial8: "bigint",
  int2: "smallint",
  smallint: "smallint",
  smallserial: "smallint",
  serial2: "smallint",
  varchar: "character varying",
  "character varying": "character varying",
  char: "character",
  character: "character",
  bpchar: "character",
  bool: "boolean",
  boolean: "boolean",
  float8: "double precision",
  "double precision": "double precision",
  double: "double precision",
  float: "double precision",
  float4: "real",
  real: "real",
  decimal: "numeric",
  numeric: "numeric",
  timestamptz: "timestamp with time zone",
  timetz: "time with time zone",
};

/** Canonical type (format_type spelling) and whether it was a serial. */
export function normalizePgType(
  dataType: string,
  length: number | undefined,
  scale: number | undefined,
  suffix: string[],
): { type: ColumnType; serial: boolean } {
  let raw = dataType.toLowerCase().replace(/\s+/g, " ").trim();
  const array = /\[\]$/.test(raw);
  raw = raw.replace(/(\s*\[\])+$/, "");
  const serial = /serial/.test(raw);
  const tz = suffix.map((s) => s.toUpperCase()).join(" ");
  if (raw === "timestamp" || raw === "time") {
    raw = `${raw} ${/WITH TIME ZONE/.test(tz) && !/WITHOUT/.test(tz) ? "with" : "without"} time zone`;
  }
  const base = TYPE_NAMES[raw] ?? raw;
  let args = length !== undefined && length !== null
    ? (scale !== undefined && scale !== null ? [String(length), String(scale)] : [String(length)])
    : [];
  if (base === "numeric" && args.length === 1) args = [args[0]!, "0"];
  if (base === "character" && args.length === 0) args = ["1"];
  if (
    base === "double precision" || base === "real" || base === "integer" || base === "bigint" || base === "smallint"
  ) {
    args = [];
  }
  return { type: { base, args, unsigned: false, zerofill: false, ...(array ? { array } : {}) }, serial };
}

/** Prints a canonical type: `character varying(20)`, `timestamp(3) with time zone`. */
export function printPgType(t: ColumnType): string {
  const a = t.args.length ? `(${t.args.join(",")})` : "";
  const m = /^(timestamp|time) (with|without) time zone$/.exec(t.base);
  const brackets = t.array ? "[]" : "";
  if (m) return `${m[1]}${a} ${m[2]} time zone${brackets}`;
  return `${t.base}${a}${brackets}`;
}

function defaultOf(value: Expr): { def: ColumnDefault | undefined; serial: boolean; sequence?: string | undefined } {
  if (value === undefined || value === null || value.type === "null") return { def: undefined, serial: false };
  const v = value.type === "cast" && value.symbol === "::" ? value.expr : value;
  if (v?.type === "number") return { def: { kind: "literal", value: String(v.value), quoted: false }, serial: false };
  if (v?.type === "bool") {
    return { def: { kind: "literal", value: v.value ? "true" : "false", quoted: false }, serial: false };
  }
  if (v?.type === "single_quote_string") {
    return { def: { kind: "literal", value: unescapeString(String(v.value), false), quoted: true }, serial: false };
  }
  if (v?.type === "unary_expr" && v.operator === "-" && v.expr?.type === "number") {
    return { def: { kind: "literal", value: `-${v.expr.value}`, quoted: false }, serial: false };
  }
  if (v?.type === "function") {
    const name = String(v.name?.name?.[0]?.value ?? "").toLowerCase();
    if (name === "nextval") {
      const seq = v.args?.value?.[0];
      const text = seq?.type === "cast" ? seq.expr?.value : seq?.value;
      return { def: undefined, serial: true, sequence: typeof text === "string" ? text : undefined };
    }
    if (
      /^(current_timestamp|current_date|current_time|localtimestamp|localtime)$/.test(name) && !v.args?.value?.length
    ) {
      return { def: { kind: "expr", sql: name.toUpperCase() }, serial: false };
    }
  }
  if (v?.type === "column_ref" && /^current_(timestamp|date|time)$/i.test(identOf(v.column))) {
    return { def: { kind: "expr", sql: identOf(v.column).toUpperCase() }, serial: false };
  }
  return { def: { kind: "expr", sql: pgExpr(value) }, serial: false };
}

function fail(stmt: Statement, why: string): PatchopsError {
  return new PatchopsError("SqlUnsupported", `line ${stmt.line}: ${why}`);
}

function parseOne(stmt: Statement): Expr {
  try {
    const ast = parser.astify(groupAndOr(stmt.text), DB);
    return Array.isArray(ast) ? ast[0] : ast;
  } catch (err) {
    throw new PatchopsError(
      "SqlInvalid",
      `line ${stmt.line}: cannot parse "${stmt.text.slice(0, 40).replace(/\s+/g, " ")}..." (${
        String((err as Error).message).split("\n")[0]!.slice(0, 120)
      })`,
    );
  }
}

function constraintIndex(name: string, kind: "primary" | "unique", columns: string[]): Index {
  return {
    name,
    kind,
    parts: columns.map((c) => ({ column: c, length: undefined, desc: false })),
    comment: undefined,
    invisible: false,
    using: undefined,
    implicit: true,
    renamedFrom: undefined,
  };
}

/**
 * The column PostgreSQL names an unnamed CHECK after: the only column its
 * expression uses; with none or several the name is `<table>_check`.
 */
function firstColumn(sql: string): string | undefined {
  const columns = new Set([...sql.matchAll(/"((?:[^"]|"")+)"/g)].map((m) => m[1]!.replaceAll('""', '"')));
  return columns.size === 1 ? [...columns][0] : undefined;
}

/**
 * `int2`, `int8`, `float4`, `float8` written out: node-sql-parser reads them
 * as INT(2), INT(8), FLOAT(4), FLOAT(8), and FLOAT(8) is `real` in
 * PostgreSQL while float8 is double precision (int2 and int8 became integer).
 */
function sizedTypeNames(text: string): string {
  const names: Record<string, string> = {
    int2: "smallint",
    int4: "integer",
    int8: "bigint",
    float4: "real",
    float8: "double precision",
  };
  return text.replace(
    /('(?:[^']|'')*'|"(?:[^"]|"")*")|(?<![\w$."])(int2|int4|int8|float4|float8)(?![\w$"])/gi,
    (all, quoted: string | undefined, name: string | undefined) =>
      quoted !== undefined || name === undefined ? all : names[name.toLowerCase()]!,
  );
}

interface PendingPg {
  table: Table;
  stmt: Statement;
  unnamedChecks: string[];
  unnamedUnique: string[][];
  unnamedFks: Omit<Table["foreignKeys"][number], "name">[];
  columnChecks: { column: string; sql: string }[];
}

/** The text with literals, quoted names and parenthesised parts blanked: what a column item says at its top level. */
function topLevelWords(item: string): string {
  let out = item.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, " ");
  for (let prev = ""; prev !== out;) {
    prev = out;
    out = out.replace(/\([^()]*\)/g, " ");
  }
  return out;
}

function addDefinition(
  p: PendingPg,
  d: Expr,
  line: number,
  annotations: Annotation[],
  end: number,
  itemText?: string,
): void {
  const t = p.table;
  if (d.resource === "column") {
    const def = d.definition ?? {};
    const { type, serial } = normalizePgType(
      String(def.dataType ?? ""),
      def.length ?? undefined,
      def.scale ?? undefined,
      def.suffix ?? [],
    );
    if (def.array) type.array = true;
    // node-sql-parser keeps AT TIME ZONE beside the expression, where the printer would lose it: refused.
    if (d.default_val?.value?.suffix?.prefix) {
      throw new PatchopsError(
        "SqlUnsupported",
        `line ${line}: column "${identOf(d.column)}": ${
          String(d.default_val.value.suffix.prefix).toUpperCase()
        } in a default is not supported yet`,
      );
    }
    let dv: { def: ColumnDefault | undefined; serial: boolean; sequence?: string | undefined } = d.default_val
      ? defaultOf(d.default_val.value)
      : { def: undefined, serial: false };
    // nextval of a sequence of the user's (not the one a serial column makes) is a plain default.
    const own = `${t.name}_${identOf(d.column)}_seq`;
    if (dv.serial && dv.sequence !== undefined && pgName(dv.sequence) !== own) {
      dv = { def: { kind: "expr", sql: `nextval(${quoteString(pgName(dv.sequence))}::regclass)` }, serial: false };
    }
    const identity = d.generated_by_default
      ? "GENERATED BY DEFAULT AS IDENTITY"
      : d.generated_always
      ? "GENERATED ALWAYS AS IDENTITY"
      : undefined;
    const col: Column = {
      name: identOf(d.column),
      type,
      nullable: d.nullable?.type !== "not null" && !serial && !dv.serial && !identity,
      default: dv.def,
      onUpdate: undefined,
      autoIncrement: serial || dv.serial,
      charset: undefined,
      collate: d.collate?.collate?.name !== undefined ? identOf(d.collate.collate.name) : undefined,
      comment: undefined,
      generated: d.generated ? { sql: pgExpr(d.generated.expr), stored: true } : undefined,
      check: undefined,
      extra: identity ? [identity] : [],
      renamedFrom: renameFor(annotations, line, end),
      line,
    };
    // node-sql-parser loses NOT NULL when a CHECK stands between it and DEFAULT: the item's own words decide.
    if (itemText !== undefined && /\bNOT\s+NULL\b/i.test(topLevelWords(itemText))) col.nullable = false;
    // `CONSTRAINT name` in a column names the one constraint it stands before (node-sql-parser keeps it apart).
    const colNamed = d.constraint?.constraint ? identOf(d.constraint.constraint) : undefined;
    const kinds = [d.check && !d.check.constraint, d.primary_key, d.unique, d.reference_definition].filter(Boolean);
    if (colNamed !== undefined && kinds.length !== 1) {
      throw fail(p.stmt, `column "${col.name}": name each constraint of a column with its own CONSTRAINT clause`);
    }
    if (d.check) {
      const sql = (d.check.definition as Expr[]).map(pgExpr).join(" AND ");
      if (d.check.constraint) t.checks.push({ name: identOf(d.check.constraint), sql });
      else if (colNamed !== undefined) t.checks.push({ name: colNamed, sql });
      else p.columnChecks.push({ column: col.name, sql });
    }
    if (d.primary_key) t.indexes.push(constraintIndex(colNamed ?? `${t.name}_pkey`, "primary", [col.name]));
    if (d.unique) {
      if (colNamed !== undefined) t.indexes.push(constraintIndex(colNamed, "unique", [col.name]));
      else p.unnamedUnique.push([col.name]);
    }
    if (d.reference_definition) {
      const ref = d.reference_definition;
      if (ref.match && !/simple/i.test(String(ref.match))) {
        throw fail(
          p.stmt,
          `column "${col.name}": ${
            String(ref.match).toUpperCase()
          } is not modelled here; write the key as ALTER TABLE ... ADD CONSTRAINT`,
        );
      }
      const fk = {
        columns: [col.name],
        refTable: identOf(ref.table?.[0]?.table),
        refColumns: (ref.definition as Expr[] ?? []).map(identOf),
        ...foreignKeyActions(ref, "NO ACTION"),
      };
      if (colNamed !== undefined) t.foreignKeys.push({ name: colNamed, ...fk });
      else p.unnamedFks.push(fk);
    }
    t.columns.push(col);
    return;
  }
  const ctype = String(d.constraint_type ?? "").toLowerCase();
  const cols = (d.definition as Expr[] ?? []).map(identOf);
  const named = d.constraint ? identOf(d.constraint) : undefined;
  if (ctype === "primary key") t.indexes.push(constraintIndex(named ?? `${t.name}_pkey`, "primary", cols));
  else if (ctype.startsWith("unique")) {
    if (named) t.indexes.push(constraintIndex(named, "unique", cols));
    else p.unnamedUnique.push(cols);
  } else if (ctype === "foreign key") {
    const ref = d.reference_definition;
    if (ref.match && !/simple/i.test(String(ref.match))) {
      throw fail(
        p.stmt,
        `table "${t.name}": ${
          String(ref.match).toUpperCase()
        } is not modelled here; write the key as ALTER TABLE ... ADD CONSTRAINT`,
      );
    }
    const fk = {
      columns: cols,
      refTable: identOf(ref.table?.[0]?.table),
      refColumns: (ref.definition as Expr[] ?? []).map(identOf),
      ...foreignKeyActions(ref, "NO ACTION"),
    };
    if (named) t.foreignKeys.push({ name: named, ...fk });
    else p.unnamedFks.push(fk);
  } else if (ctype === "check") {
    const sql = (d.definition as Expr[]).map(pgExpr).join(" AND ");
    if (named) t.checks.push({ name: named, sql });
    else p.unnamedChecks.push(sql);
  } else throw fail(p.stmt, `table "${t.name}": unsupported definition "${ctype || d.resource}"`);
}

function finish(p: PendingPg): Table {
  const t = p.table;
  const taken = new Set([
    ...t.indexes.map((i) => i.name),
    ...t.foreignKeys.map((f) => f.name),
    ...t.checks.map((c) => c.name),
  ]);
  const unique = (base: string) => {
    let name = base.slice(0, 63);
    for (let k = 1; taken.has(name); k++) name = `${base.slice(0, 63 - String(k).length)}${k}`;
    taken.add(name);
    return name;
  };
  // A column's CHECK is named like a table's: after the one column it uses (`CHECK (a > b)` on a is t_check).
  for (const c of p.columnChecks) {
    const col = firstColumn(c.sql);
    t.checks.push({ name: unique(col ? `${t.name}_${col}_check` : `${t.name}_check`), sql: c.sql });
  }
  for (const sql of p.unnamedChecks) {
    const col = firstColumn(sql);
    t.checks.push({ name: unique(col ? `${t.name}_${col}_check` : `${t.name}_check`), sql });
  }
  for (const cols of p.unnamedUnique) {
    t.indexes.push(constraintIndex(unique(`${t.name}_${cols.join("_")}_key`), "unique", cols));
  }
  for (const fk of p.unnamedFks) t.foreignKeys.push({ name: unique(`${t.name}_${fk.columns.join("_")}_fkey`), ...fk });
  const NUMERIC = new Set(["smallint", "integer", "bigint", "numeric", "real", "double precision"]);
  for (const c of t.columns) {
    if (
      c.default?.kind === "literal" && c.default.quoted && NUMERIC.has(c.type.base) &&
      /^-?\d+(\.\d+)?$/.test(c.default.value)
    ) {
      c.default = { ...c.default, quoted: false };
    }
  }
  for (const idx of t.indexes) {
    if (idx.kind !== "primary") continue;
    for (const part of idx.parts) {
      const c = t.columns.find((x) => x.name === part.column);
      if (!c) {
        throw new PatchopsError(
          "SqlInvalid",
          `line ${t.line}: table "${t.name}": key names the unknown column "${part.column}"`,
        );
      }
      c.nullable = false;
    }
  }
  return t;
}

/** Parses a PostgreSQL schema file: tables, ALTER TABLE ... ADD, indexes and views. */
export function parsePostgresSchema(sql: string): Schema {
  const { statements, annotations } = splitStatements(sql, { dialect: "postgres" });
  const schema: Schema = { tables: [], views: [], triggers: [], routines: [] };
  const pending = new Map<string, PendingPg>();
  const comments: { table: string; column: string | undefined; text: string | undefined; stmt: Statement }[] = [];
  for (let stmt of statements) {
    let head = stmt.text.slice(0, 120).replace(/\s+/g, " ").toUpperCase();
    if (
      /^(SET|SELECT PG_CATALOG|BEGIN|COMMIT|DROP (TABLE|VIEW|INDEX|EXTENSION) IF EXISTS|CREATE SCHEMA (IF NOT EXISTS )?PUBLIC\b)/
        .test(head)
    ) continue;
    const objects = parsePgObjects(stmt);
    if (objects) {
      (schema.objects ??= []).push(...objects);
      continue;
    }
    // An unlogged table is a table with one more property (ALTER TABLE ... SET LOGGED switches it in place).
    const unlogged = /^CREATE UNLOGGED TABLE\b/.test(head) &&
      !/\)\s*(PARTITION\s+BY|INHERITS)\b|\bPARTITION\s+OF\b/i.test(stmt.text);
    if (unlogged) {
      stmt = { ...stmt, text: stmt.text.replace(/^(\s*CREATE\s+)UNLOGGED\s+/i, "$1") };
      head = head.replace(/^CREATE UNLOGGED /, "CREATE ");
    }
    // A partition: an object of its parent (its columns are the parent's).
    const partition = new RegExp(
      String
        .raw`^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${QNAME})\s+PARTITION\s+OF\s+(${QNAME})\s+(FOR\s+VALUES\s[\s\S]+|DEFAULT)$`,
      "i",
    ).exec(stmt.text);
    if (partition && !/\bPARTITION\s+BY\b/i.test(partition[3]!)) {
      const [name, parent] = [pgName(partition[1]!), pgName(partition[2]!)];
      schema.objects ??= [];
      schema.objects.push({
        kind: "partition",
        name,
        canonical: `${quoteIdent(parent)} ${normalizeText(partition[3]!)}`,
        sql: `CREATE TABLE ${quoteIdent(name)} PARTITION OF ${quoteIdent(parent)} ${partition[3]!}`,
        line: stmt.line,
        on: parent,
      });
      continue;
    }
    // A partitioned table: a table with its partition key (which PostgreSQL cannot change in place).
    const partitionBy = /^CREATE (UNLOGGED )?TABLE/.test(head) && !/\)\s*INHERITS\b/i.test(stmt.text)
      ? /\)\s*PARTITION\s+BY\s+((?:RANGE|LIST|HASH)\s*\([\s\S]*\))$/i.exec(stmt.text)
      : null;
    if (partitionBy) stmt = { ...stmt, text: stmt.text.slice(0, partitionBy.index + 1) };
    if (/^CREATE (UNLOGGED |TEMP |TEMPORARY |FOREIGN )TABLE/.test(head)) {
      throw fail(stmt, `"${head.slice(0, 30)}...": unlogged, temporary and foreign tables are not modelled`);
    }
    if (/^CREATE TABLE/.test(head) && /\)\s*(PARTITION\s+BY|INHERITS)\b|\bPARTITION\s+OF\b/i.test(stmt.text)) {
      throw fail(stmt, "partitioned and inherited tables are not modelled (the table would be created plain)");
    }
    const empty = new RegExp(String.raw`^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${QNAME})\s*\(\s*\)$`, "i").exec(
      stmt.text,
    );
    if (empty) {
      // node-sql-parser reads `CREATE TABLE t ()` as a table named "undefined".
      const name = pgName(empty[1]!);
      if (pending.has(name)) {
        throw new PatchopsError("SqlInvalid", `line ${stmt.line}: table "${name}" is defined twice`);
      }
      const table = emptyTable(name, stmt.line, renameFor(annotations, stmt.line, stmt.line));
      pending.set(name, { table, stmt, unnamedChecks: [], unnamedUnique: [], unnamedFks: [], columnChecks: [] });
      continue;
    }
    if (/^CREATE TABLE/.test(head)) {
      const { text, always, generated, userTypes, identityOptions } = prepareTable(stmt.text);
      const ast = parseOne({ ...stmt, text: sizedTypeNames(text) });
      const name = identOf(ast.table?.[0]?.table);
      if (pending.has(name)) {
        throw new PatchopsError("SqlInvalid", `line ${stmt.line}: table "${name}" is defined twice`);
      }
      const p: PendingPg = {
        table: emptyTable(name, stmt.line, renameFor(annotations, stmt.line, stmt.line)),
        stmt,
        unnamedChecks: [],
        unnamedUnique: [],
        unnamedFks: [],
        columnChecks: [],
      };
      if (unlogged) p.table.options.other.PERSISTENCE = "UNLOGGED";
      if (partitionBy) p.table.options.other.PARTITION_BY = partitionBy[1]!.trim();
      const lines = bodyItems(stmt);
      const open = stmt.text.indexOf("(");
      const texts = open < 0
        ? []
        : topLevelItems(stmt.text, open + 1, { brackets: true }).items.map(([a, b]) => stmt.text.slice(a, b));
      (ast.create_definitions as Expr[] ?? []).forEach((d, k) => {
        const it = lines[k] ?? { start: stmt.line, end: stmt.line };
        addDefinition(p, d, it.start, annotations, it.end, texts[k]);
      });
      for (const col of p.table.columns) {
        const userType = userTypes.get(col.name);
        const base = userType &&
          (userType.builtin || /^[a-z_][a-z0-9_$]*$/.test(userType.name) ? userType.name : quoteIdent(userType.name));
        if (userType && base) col.type = { ...col.type, base, args: [], ...(userType.array ? { array: true } : {}) };
        if (always.has(col.name)) col.extra = ["GENERATED ALWAYS AS IDENTITY"];
        const options = identityOptions.get(col.name);
        if (options !== undefined) {
          // `AS IDENTITY (START WITH 1000 ...)`: the options of the column's sequence, where not the defaults.
          if (!new RegExp(String.raw`^(\s*${SEQUENCE_OPTION})*\s*$`, "i").test(options)) {
            throw fail(
              stmt,
              `identity options of "${col.name}": only AS, INCREMENT, MIN/MAXVALUE, START, CACHE, CYCLE`,
            );
          }
          const type = printPgType(col.type);
          if (canonicalSequence(`AS ${type} ${options}`) !== canonicalSequence(`AS ${type}`)) {
            (schema.objects ??= []).push(sequenceOptions(name, col.name, options, stmt.line, type));
          }
        }
        if (generated.has(col.name) && col.default?.kind === "expr") {
          col.generated = { sql: col.default.sql, stored: true };
          col.default = undefined;
        }
      }
      pending.set(name, p);
      continue;
    }
    const setDefault = new RegExp(
      String
        .raw`^ALTER\s+TABLE\s+(?:ONLY\s+)?(${QNAME})\s+ALTER\s+(?:COLUMN\s+)?(${NAME})\s+SET\s+DEFAULT\s+([\s\S]+)$`,
      "i",
    ).exec(stmt.text);
    if (setDefault) {
      const p = pending.get(pgName(setDefault[1]!));
      const col = p?.table.columns.find((c) => c.name === pgName(setDefault[2]!));
      if (!p || !col) throw fail(stmt, `SET DEFAULT on a column the schema does not create`);
      col.default = rawDefault(setDefault[3]!.trim());
      continue;
    }
    // pg_dump's form of an identity column: `ALTER TABLE t ALTER COLUMN c ADD GENERATED ... AS IDENTITY (SEQUENCE
    // NAME t_c_seq START WITH 1 ...)`, the same as writing it in the CREATE TABLE.
    const addIdentity = new RegExp(
      String
        .raw`^ALTER\s+TABLE\s+(?:ONLY\s+)?(${QNAME})\s+ALTER\s+(?:COLUMN\s+)?(${NAME})\s+ADD\s+GENERATED\s+(ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY(?:\s*\(([^()]*)\))?$`,
      "i",
    ).exec(stmt.text);
    if (addIdentity) {
      const table = pgName(addIdentity[1]!);
      const p = pending.get(table);
      const col = p?.table.columns.find((c) => c.name === pgName(addIdentity[2]!));
      if (!p || !col) throw fail(stmt, `ADD GENERATED on a column the schema does not create`);
      let options = addIdentity[4] ?? "";
      const named = new RegExp(String.raw`\bSEQUENCE\s+NAME\s+(${QNAME})`, "i").exec(options);
      if (named) {
        // The name PostgreSQL gives it anyway; another one would be lost (it is not modelled).
        if (pgName(named[1]!) !== `${table}_${col.name}_seq`) {
          throw fail(stmt, `identity sequence "${pgName(named[1]!)}": only the default name ${table}_${col.name}_seq`);
        }
        options = options.replace(named[0], " ");
      }
      if (!new RegExp(String.raw`^(\s*${SEQUENCE_OPTION})*\s*$`, "i").test(options)) {
        throw fail(stmt, `identity options of "${col.name}": only AS, INCREMENT, MIN/MAXVALUE, START, CACHE, CYCLE`);
      }
      col.extra = [`GENERATED ${/^ALWAYS$/i.test(addIdentity[3]!) ? "ALWAYS" : "BY DEFAULT"} AS IDENTITY`];
      col.nullable = false;
      const type = printPgType(col.type);
      if (canonicalSequence(`AS ${type} ${options}`) !== canonicalSequence(`AS ${type}`)) {
        (schema.objects ??= []).push(sequenceOptions(table, col.name, options, stmt.line, type));
      }
      continue;
    }
    const addConstraint = new RegExp(
      String.raw`^ALTER\s+TABLE\s+(ONLY\s+)?(${QNAME})\s+ADD\s+CONSTRAINT\s+(${NAME})\s+([\s\S]+)$`,
      "i",
    ).exec(stmt.text);
    if (addConstraint && (addConstraint[1] || RAW_CONSTRAINT.test(addConstraint[4]!) || !parsesAlone(stmt))) {
      const p = pending.get(pgName(addConstraint[2]!));
      if (!p) throw fail(stmt, `ALTER TABLE "${pgName(addConstraint[2]!)}" comes before its CREATE TABLE`);
      const def = addConstraint[4]!.trim();
      const name = pgName(addConstraint[3]!);
      if (!RAW_CONSTRAINT.test(def) && /^(PRIMARY KEY|UNIQUE|FOREIGN KEY)\b/i.test(def) && parsesAlone(stmt)) {
        const ast = parseOne({ ...stmt, text: stmt.text.replace(/\s+ONLY\s+/i, " ") });
        for (const e of ast.expr as Expr[] ?? []) {
          addDefinition(p, e.create_definitions ?? e, stmt.line, annotations, stmt.line);
        }
      } else p.table.checks.push({ name, sql: normalizeText(def), definition: def });
      continue;
    }
    if (/^ALTER TABLE/.test(head)) {
      const ast = parseOne(stmt);
      const name = identOf(ast.table?.[0]?.table);
      const p = pending.get(name);
      if (!p) throw fail(stmt, `ALTER TABLE "${name}" comes before its CREATE TABLE`);
      for (const e of ast.expr as Expr[] ?? []) {
        if (e.action !== "add") throw fail(stmt, `ALTER TABLE "${name}": only ADD clauses can describe a schema`);
        const def = e.create_definitions ?? e;
        addDefinition(p, def.resource ? def : { ...def, resource: "column" }, stmt.line, annotations, stmt.line);
      }
      continue;
    }
    const index = new RegExp(
      String
        .raw`^CREATE\s+(UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(${NAME})\s+ON\s+(?:ONLY\s+)?(${QNAME})\s*(?:USING\s+(\w+)\s*)?\(([\s\S]*)$`,
      "i",
    ).exec(stmt.text);
    if (index && (!simpleIndex(index[5]!) || !pending.has(pgName(index[3]!)) || !parsesAlone(stmt))) {
      const table = pgName(index[3]!);
      const name = pgName(index[2]!);
      const definition = stmt.text.trim();
      const p = pending.get(table);
      if (p) {
        p.table.indexes.push({
          name,
          kind: index[1] ? "unique" : "index",
          parts: [],
          comment: undefined,
          invisible: false,
          using: undefined,
          implicit: false,
          renamedFrom: renameFor(annotations, stmt.line, stmt.line),
          definition,
        });
      } else if (schema.objects?.some((o) => o.kind === "matview" && o.name === table)) {
        schema.objects.push({
          kind: "index",
          name,
          canonical: normalizeText(definition),
          sql: definition,
          line: stmt.line,
          on: table,
        });
      } else throw fail(stmt, `CREATE INDEX on "${table}" comes before its CREATE TABLE`);
      continue;
    }
    if (/^CREATE (UNIQUE )?INDEX/.test(head)) {
      const ast = parseOne(stmt);
      const table = identOf(ast.table?.table ?? ast.table);
      const p = pending.get(table);
      if (!p) throw fail(stmt, `CREATE INDEX on "${table}" comes before its CREATE TABLE`);
      const parts = (ast.index_columns as Expr[] ?? []).map((c) => {
        if (c.type !== "column_ref") throw fail(stmt, `index on "${table}": expression indexes are not supported`);
        return { column: identOf(c.column), length: undefined, desc: /desc/i.test(String(c.order_by ?? "")) };
      });
      const using = String(ast.index_using?.type ?? "btree").toLowerCase();
      p.table.indexes.push({
        name: identOf(ast.index),
        kind: /unique/i.test(String(ast.index_type ?? "")) ? "unique" : "index",
        parts,
        comment: undefined,
        invisible: false,
        using: using === "btree" ? undefined : using,
        implicit: false,
        renamedFrom: renameFor(annotations, stmt.line, stmt.line),
        where: ast.where ? pgExpr(ast.where) : undefined,
      });
      continue;
    }
    const extension = /^CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[\w$]+)/i.exec(stmt.text);
    if (extension) {
      const name = unquote(extension[1]!);
      schema.routines.push({ kind: "extension", name, canonical: name, sql: stmt.text, line: stmt.line });
      continue;
    }
    const comment =
      /^COMMENT\s+ON\s+(TABLE|COLUMN)\s+((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))*)\s+IS\s+(NULL|'(?:[^']|'')*')$/i
        .exec(stmt.text);
    if (comment) {
      const names = [...comment[2]!.matchAll(/"((?:[^"]|"")+)"|([\w$]+)/g)].map((m) =>
        m[1]?.replaceAll('""', '"') ?? m[2]!
      );
      const isColumn = comment[1]!.toUpperCase() === "COLUMN";
      const table = names.at(isColumn ? -2 : -1);
      const text = /^null$/i.test(comment[3]!) ? undefined : unescapeString(comment[3]!.slice(1, -1), false);
      if (!table) throw fail(stmt, "COMMENT ON COLUMN needs table.column");
      comments.push({ table, column: isColumn ? names.at(-1) : undefined, text, stmt });
      continue;
    }
    if (/^(COMMENT ON|CREATE SCHEMA)\b/.test(head)) {
      // Refused rather than skipped: a diff that ignores them would leave the database different without a word.
      throw fail(
        stmt,
        `"${
          stmt.text.slice(0, 40).replace(/\s+/g, " ")
        }...": only comments on tables and columns, and the current schema, are modelled`,
      );
    }
    const view = /^CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+("[^"]+"|[^\s(]+)(?:\s+WITH\s*\(([^()]*)\))?\s+AS\s+([\s\S]*)$/i
      .exec(
        stmt.text,
      );
    if (view) {
      const name = view[1]!.replace(/^"|"$/g, "").replace(/^.*\./, "");
      // Options (security_barrier, security_invoker) are part of what is compared: a view made without them differs.
      const options = view[2] === undefined ? "" : `WITH (${normalizeText(view[2]).toLowerCase()}) `;
      schema.views.push({
        name,
        canonical: `${options}${canonicalSelect(view[3]!)}`,
        sql: stmt.text,
        line: stmt.line,
      });
      continue;
    }
    throw fail(stmt, `"${stmt.text.slice(0, 40).replace(/\s+/g, " ")}..." is not a table, index or view definition`);
  }
  for (const c of comments) {
    const p = pending.get(c.table) ??
      [...pending.values()].find((x) => x.table.name.toLowerCase() === c.table.toLowerCase());
    // A column of a view or materialized view: a comment object that belongs to the view (made again with it).
    const view = schema.views.find((v) => v.name === c.table) ??
      schema.objects?.find((o) => o.kind === "matview" && o.name === c.table);
    if (!p && view && c.column !== undefined) {
      const target = `${quoteIdent(view.name)}.${quoteIdent(c.column)}`;
      const text = c.text === undefined ? "NULL" : quoteString(c.text);
      if (c.text !== undefined) {
        (schema.objects ??= []).push({
          kind: "comment",
          name: `COLUMN ${target}`,
          canonical: text,
          sql: `COMMENT ON COLUMN ${target} IS ${text}`,
          line: c.stmt.line,
          on: view.name,
        });
      }
      continue;
    }
    if (!p) throw fail(c.stmt, `COMMENT ON a table "${c.table}" that the schema does not create`);
    if (c.column === undefined) {
      p.table.options.comment = c.text;
      continue;
    }
    const col = p.table.columns.find((x) => x.name === c.column) ??
      p.table.columns.find((x) => x.name.toLowerCase() === c.column!.toLowerCase());
    if (!col) throw fail(c.stmt, `COMMENT ON the unknown column "${c.table}.${c.column}"`);
    col.comment = c.text;
  }
  for (const p of pending.values()) schema.tables.push(finish(p));
  // ALTER SEQUENCE's options are modelled for the sequence a column owns; one the file creates has them in its
  // CREATE SEQUENCE (two statements for one sequence would be compared as two).
  for (const o of schema.objects ?? []) {
    if (o.kind === "seqopts" && schema.objects!.some((x) => x.kind === "sequence" && x.name === o.name)) {
      throw new PatchopsError(
        "SqlUnsupported",
        `line ${o.line}: ALTER SEQUENCE ${quoteIdent(o.name)} changes a sequence this file creates: ` +
          "write its options in the CREATE SEQUENCE",
      );
    }
  }
  return schema;
}

const NAME = String.raw`(?:"(?:[^"]|"")+"|[\w$]+)`;
const QNAME = String.raw`${NAME}(?:\s*\.\s*${NAME})?`;

/** Constraint clauses the model cannot carry: such constraints are kept as the server's text. */
const RAW_CONSTRAINT =
  /^(CHECK|EXCLUDE)\b|\b(DEFERRABLE|INITIALLY|MATCH\s+(FULL|PARTIAL)|INCLUDE|NULLS\s+NOT\s+DISTINCT|NOT\s+VALID|NO\s+INHERIT|USING\s+INDEX|WITH\s*\()/i;

function parsesAlone(stmt: Statement): boolean {
  try {
    parser.astify(stmt.text.replace(/\s+ONLY\s+/i, " "), DB);
    return true;
  } catch {
    return false;
  }
}

/** Plain columns, each optionally DESC: what the structured index model carries. */
function simpleIndex(rest: string): boolean {
  return /^\s*(?:"(?:[^"]|"")+"|[\w$]+)(\s+(ASC|DESC))?(\s*,\s*(?:"(?:[^"]|"")+"|[\w$]+)(\s+(ASC|DESC))?)*\s*\)(\s+WHERE\s[\s\S]*)?$/i
    .test(rest);
}

/** A default the server printed: structured where node-sql-parser reads it fully, else its text. */
function rawDefault(sql: string): ColumnDefault {
  try {
    const ast = parser.astify(`SELECT ${sql}`, DB);
    const expr = (Array.isArray(ast) ? ast[0] : ast).columns?.[0]?.expr;
    if (
      expr && !expr.suffix && !/\bAT\s+TIME\s+ZONE\b/i.test(sql) && !/::\s*(interval|date|time|timestamp)/i.test(sql)
    ) {
      const d = defaultOf(expr).def;
      if (d) return d;
    }
  } catch {
    // Read as text below.
  }
  return { kind: "expr", sql: normalizeText(sql) };
}

/** Type names node-sql-parser 5.4's postgresql grammar reads (probed one by one), alone and as arrays. */
const BUILTIN_TYPES = new Set(
  ("smallint integer int int2 int4 int8 bigint serial serial2 serial4 serial8 smallserial bigserial decimal numeric " +
    "real float float4 float8 double money character char varchar text bytea timestamp timestamptz date time " +
    "interval boolean bool cidr inet macaddr macaddr8 bit tsvector tsquery uuid json jsonb oid regclass geometry")
    .split(" "),
);
const ARRAY_TYPES = new Set(
  ("smallint integer int int2 int4 int8 bigint serial serial2 serial4 serial8 smallserial bigserial decimal numeric " +
    "real float float4 float8 double character char varchar text tsvector tsquery").split(" "),
);

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();
}

/** A SELECT printed back by node-sql-parser with qualifiers of single-table queries and casts of literals removed. */
export function canonicalSelect(select: string): string {
  try {
    const ast = parser.astify(select.trim().replace(/;$/, ""), DB);
    const root = Array.isArray(ast) ? ast[0] : ast;
    const single = Array.isArray(root.from) && root.from.length === 1 && !root.from[0].join;
    const walk = (n: Expr): void => {
      if (!n || typeof n !== "object") return;
      if (n.type === "column_ref" && single) n.table = null;
      for (const v of Object.values(n)) walk(v);
    };
    walk(root);
    for (const col of root.columns ?? []) {
      if (col?.as && col.expr?.type === "column_ref" && identOf(col.expr.column) === String(col.as)) col.as = null;
    }
    // PostgreSQL parenthesises every condition it stores; compare conditions by precedence instead.
    const where = root.where ? ` where ${pgExpr(root.where)}` : "";
    const having = root.having ? ` having ${pgExpr(root.having)}` : "";
    root.where = null;
    root.having = null;
    return lowerOutsideQuotes(`${String(parser.sqlify(root, DB))}${where}${having}`.replace(/\s+/g, " "));
  } catch {
    return normalizeText(select);
  }
}

/**
 * Rewrites what node-sql-parser's postgresql grammar gets wrong or lacks,
 * noting what was rewritten: `character(n)` (read as varchar), ALWAYS
 * identities (it knows BY DEFAULT only) and stored generated columns
 * (parsed as defaults, then moved back).
 */
function prepareTable(
  text: string,
): {
  text: string;
  always: Set<string>;
  /** `AS IDENTITY (options)`: the options, by column. */
  identityOptions: Map<string, string>;
  generated: Set<string>;
  userTypes: Map<string, { name: string; array: boolean; builtin: boolean }>;
} {
  const always = new Set<string>();
  const identityOptions = new Map<string, string>();
  const generated = new Set<string>();
  const userTypes = new Map<string, { name: string; array: boolean; builtin: boolean }>();
  // Types of the user (enums, domains, composites) are unknown to node-sql-parser: read as text, then put back.
  const open = text.indexOf("(");
  if (open > 0) {
    const { items } = topLevelItems(text, open + 1);
    for (const [a, b] of [...items].reverse()) {
      const item = text.slice(a, b);
      const m =
        /^(\s*)("(?:[^"]|"")+"|[\w$]+)(\s+)("(?:[^"]|"")+"|[\w$]+(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)((?:\s*\[\s*\d*\s*\])*)/
          .exec(item);
      if (!m || /^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE|LIKE)$/i.test(m[2]!)) continue;
      const type = m[4]!;
      const simple = !type.startsWith('"') && !type.includes(".");
      if (simple && (m[5] ? ARRAY_TYPES : BUILTIN_TYPES).has(type.toLowerCase())) continue;
      // A built-in type with arguments or a suffix is left to the grammar.
      if (simple && /^\s*\(|^\s+(with|without|varying|precision)\b/i.test(item.slice(m[0].length))) continue;
      const builtin = simple && BUILTIN_TYPES.has(type.toLowerCase());
      userTypes.set(pgName(m[2]!), {
        name: builtin ? normalizePgType(type, undefined, undefined, []).type.base : pgName(type),
        array: m[5]!.length > 0,
        builtin,
      });
      const at = a + m[1]!.length + m[2]!.length + m[3]!.length;
      text = `${text.slice(0, at)}text${text.slice(at + type.length + m[5]!.length)}`;
    }
  }
  let out = text.replace(/\bcharacter(\s*\(\s*\d+\s*\))(?!\s*varying)/gi, "char$1")
    .replace(/\bcharacter\b(?!\s+varying)(?=\s*[,)\s])/gi, "char");
  out = out.replace(
    /("[^"]+"|[\w$]+)(\s+[^,()]*?(?:\([^()]*\)[^,()]*?)?GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY)\s*\(([^()]*)\)/gi,
    (_m, col: string, head: string, options: string) => {
      identityOptions.set(col.replace(/^"|"$/g, ""), options);
      return `${col}${head}`;
    },
  );
  out = out.replace(
    /("[^"]+"|[\w$]+)(\s+[^,()]*?(?:\([^()]*\)[^,()]*?)?)GENERATED\s+ALWAYS\s+AS\s+IDENTITY/gi,
    (_m, col: string, mid: string) => {
      always.add(col.replace(/^"|"$/g, ""));
      return `${col}${mid}GENERATED BY DEFAULT AS IDENTITY`;
    },
  );
  // GENERATED ALWAYS AS (<balanced>) STORED -> DEFAULT (<balanced>)
  for (;;) {
    const m = /("[^"]+"|[\w$]+)(\s+[^,()]*?(?:\([^()]*\)[^,()]*?)?)GENERATED\s+ALWAYS\s+AS\s*\(/i.exec(out);
    if (!m) break;
    let depth = 0;
    let i = m.index + m[0].length - 1;
    for (; i < out.length; i++) {
      if (out[i] === "(") depth++;
      else if (out[i] === ")" && --depth === 0) break;
    }
    const expr = out.slice(m.index + m[0].length - 1, i + 1);
    const rest = out.slice(i + 1).replace(/^\s*STORED\b/i, "");
    generated.add(m[1]!.replace(/^"|"$/g, ""));
    out = `${out.slice(0, m.index)}${m[1]}${m[2]}DEFAULT ${expr}${rest}`;
  }
  return { text: out, always, generated, userTypes, identityOptions };
}
