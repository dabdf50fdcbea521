/**
 * MySQL/MariaDB schema files into the normalised schema model, on top of
 * node-sql-parser. The parser gives the syntax tree; everything that makes
 * two equal schemas compare equal (implicit names, inherited charsets,
 * default spellings, implicit indexes) is done here, following what
 * MariaDB 10.11 reports in SHOW CREATE TABLE.
 *
 * @module
 */

import NodeSqlParser from "node-sql-parser";
import { PatchopsError } from "../../errors.ts";
import { type Expr, printExpr, unescapeString } from "../expr.ts";
import { quoteIdent, quoteString } from "./quote.ts";
import type { Check, Column, ColumnDefault, ForeignKey, Index, IndexPart, Schema, Table } from "../model.ts";
import { type Annotation, splitStatements, type Statement } from "../split.ts";
import { bodyItems, emptyTable, foreignKeyActions, identOf, renameFor, topLevelItems } from "../_ddl.ts";
import {
  canonicalLiteral,
  isNumericType,
  normalizeCharset,
  normalizeCollation,
  normalizeType,
  resolveCharset,
  TEXT_TYPES,
} from "./types.ts";

/** The MySQL-family dialects. */
export type MysqlDialect = "mysql" | "mariadb";

/** Options of {@linkcode parseMysqlSchema}. */
export interface ParseMysqlOptions {
  /** @default "mariadb" */
  dialect?: MysqlDialect;
  /** Server default charset, used for tables that name none. @default "utf8mb4" */
  serverCharset?: string;
  /** Server default collation. @default "utf8mb4_general_ci" */
  serverCollation?: string;
}

// deno-lint-ignore no-explicit-any
const parser = new (NodeSqlParser as any).Parser();

function fallback(node: Expr): string {
  return parser.exprToSQL(node, { database: "mariadb" });
}

/** Canonical text of an expression. */
export function exprSql(node: Expr): string {
  return printExpr(node, { fallback, quoteIdent, quoteString, backslashes: true });
}

function unsupported(stmt: Statement, what: string): PatchopsError {
  return new PatchopsError("SqlUnsupported", `line ${stmt.line}: ${what}`);
}

function stringOf(v: Expr): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v.replace(/^'(.*)'$/s, "$1").replace(/''/g, "'");
  if (v.value !== undefined) return stringOf(v.value);
  return undefined;
}

function parseDefault(col: Column, value: Expr): { def: ColumnDefault | undefined; onUpdate: string | undefined } {
  let onUpdate: string | undefined;
  if (value?.over?.type === "on update") {
    onUpdate = timestampFn(value.over.expr?.value?.[0]?.value);
    value = { ...value, over: null };
  }
  if (value === undefined || value === null || value.type === "null") return { def: undefined, onUpdate };
  const t = value.type;
  if (t === "number" || t === "bool" || t === "boolean") {
    return { def: { kind: "literal", value: canonicalLiteral(col.type, value.value), quoted: false }, onUpdate };
  }
  if (t === "single_quote_string" || t === "double_quote_string" || t === "string" || t === "natural_string") {
    return {
      def: { kind: "literal", value: canonicalLiteral(col.type, unescapeString(String(value.value))), quoted: true },
      onUpdate,
    };
  }
  if (t === "bit_string") return { def: { kind: "expr", sql: `b'${value.value}'` }, onUpdate };
  if (t === "unary_expr" && value.operator === "-" && value.expr?.type === "number") {
    return {
      def: { kind: "literal", value: canonicalLiteral(col.type, `-${value.expr.value}`), quoted: false },
      onUpdate,
    };
  }
  if (t === "function" || t === "column_ref") {
    const name = t === "function"
      ? String(value.name?.name?.[0]?.value ?? "").toLowerCase()
      : identOf(value.column).toLowerCase();
    if (["current_timestamp", "now", "localtime", "localtimestamp"].includes(name)) {
      return { def: { kind: "expr", sql: timestampFn(value.args?.value?.[0]?.value) }, onUpdate };
    }
  }
  return { def: { kind: "expr", sql: exprSql(value) }, onUpdate };
}

function timestampFn(precision: unknown): string {
  const p = Number(precision ?? 0);
  return p > 0 ? `current_timestamp(${p})` : "current_timestamp()";
}

function indexParts(defs: Expr[], stmt: Statement, table: string): IndexPart[] {
  return defs.map((d) => {
    if (d?.type !== "column_ref") throw unsupported(stmt, `table "${table}": expression indexes are not supported`);
    const m = /^\((\d+)\)$/.exec(String(d.suffix ?? "").trim());
    return {
      column: identOf(d.column),
      length: m ? Number(m[1]) : undefined,
      desc: /desc/i.test(String(d.order_by ?? "")),
    };
  });
}

function indexOptions(idx: Index, options: Expr[] | null | undefined): void {
  for (const o of options ?? []) {
    if (o?.type === "comment") idx.comment = stringOf(o.value);
    else if (o?.type === "invisible") idx.invisible = true;
    else if (o?.type === "visible") idx.invisible = false;
    else if (o?.keyword === "using" || o?.type === "btree" || o?.type === "hash") {
      idx.using = String(o.type ?? o.value).toLowerCase();
    }
  }
}

function newIndex(name: string, kind: Index["kind"], parts: IndexPart[]): Index {
  return {
    name,
    kind,
    parts,
    comment: undefined,
    invisible: false,
    using: undefined,
    implicit: false,
    renamedFrom: undefined,
  };
}

function keywordKind(keyword: string): Index["kind"] {
  const k = keyword.toLowerCase();
  if (k.includes("fulltext")) return "fulltext";
  if (k.includes("spatial")) return "spatial";
  if (k.includes("unique")) return "unique";
  if (k.includes("primary")) return "primary";
  return "index";
}

const TABLE_OPTION_KEYS: Record<string, string> = {
  "engine": "engine",
  "default charset": "charset",
  "charset": "charset",
  "character set": "charset",
  "default character set": "charset",
  "collate": "collate",
  "default collate": "collate",
  "comment": "comment",
  "row_format": "rowFormat",
};

/** A CREATE TABLE and the definitions later ALTER TABLE ... ADD and CREATE INDEX statements add to it. */
interface PendingTable {
  ast: Expr;
  stmt: Statement;
  /** Definitions added after the CREATE TABLE, with the line they came from. */
  extra: { def: Expr; line: number }[];
}

function buildTable(
  pending: PendingTable,
  annotations: Annotation[],
  o: Required<ParseMysqlOptions>,
): Table {
  const { ast, stmt } = pending;
  const name = identOf(ast.table?.[0]?.table);
  if (ast.like) throw unsupported(stmt, `table "${name}": CREATE TABLE ... LIKE is not supported`);
  if (ast.query_expr || ast.as) throw unsupported(stmt, `table "${name}": CREATE TABLE ... AS SELECT is not supported`);
  const items = bodyItems(stmt, { backslashEscapes: true });
  const table: Table = emptyTable(
    name,
    stmt.line,
    renameFor(annotations, stmt.line, (items[0]?.start ?? stmt.line + 1) - 1),
  );
  const unnamedChecks: string[] = [];
  const unnamedFks: ForeignKey[] = [];
  const pendingUnique: { column: string; item: number }[] = [];
  const defs: Expr[] = [...(ast.create_definitions ?? []), ...pending.extra.map((e) => e.def)];
  const own = (ast.create_definitions ?? []).length;
  defs.forEach((d, k) => {
    const extraLine = k >= own ? pending.extra[k - own]!.line : undefined;
    const item = extraLine !== undefined
      ? { start: extraLine, end: extraLine }
      : items[k] ?? { start: stmt.line, end: stmt.line };
    if (d.resource === "column") {
      const def = d.definition ?? {};
      const values = def.expr?.type === "expr_list"
        ? (def.expr.value as Expr[]).map((v) => String(v.value))
        : undefined;
      const col: Column = {
        name: identOf(d.column),
        type: normalizeType(
          String(def.dataType),
          def.length ?? undefined,
          def.scale ?? undefined,
          def.suffix ?? [],
          values,
        ),
        nullable: d.nullable?.type !== "not null",
        default: undefined,
        onUpdate: undefined,
        autoIncrement: Boolean(d.auto_increment),
        charset: stringOf(d.character_set?.value),
        collate: d.collate?.collate?.name ?? undefined,
        comment: d.comment ? stringOf(d.comment.value) : undefined,
        generated: d.generated
          ? { sql: exprSql(d.generated.expr), stored: d.generated.storage_type === "stored" }
          : undefined,
        check: undefined,
        extra: [],
        renamedFrom: renameFor(annotations, item.start, item.end),
        line: item.start,
      };
      if (d.default_val) {
        const { def: dv, onUpdate } = parseDefault(col, d.default_val.value);
        col.default = dv;
        col.onUpdate = onUpdate;
      }
      if (d.on_update) col.onUpdate = timestampFn(d.on_update?.expr?.value?.[0]?.value);
      if (d.check) {
        const sql = (d.check.definition as Expr[]).map((e) => exprSql(e)).join(" and ");
        if (d.check.constraint) table.checks.push({ name: identOf(d.check.constraint), sql });
        else col.check = sql;
      }
      if (d.primary_key) {
        table.indexes.push(newIndex("PRIMARY", "primary", [{ column: col.name, length: undefined, desc: false }]));
      }
      if (d.unique) pendingUnique.push({ column: col.name, item: k });
      table.columns.push(col);
      return;
    }
    const ctype = String(d.constraint_type ?? "").toLowerCase();
    if (ctype === "foreign key") {
      const ref = d.reference_definition;
      const fk: ForeignKey = {
        name: d.constraint ? identOf(d.constraint) : "",
        columns: (d.definition as Expr[]).map((c) => identOf(c.column ?? c)),
        refTable: identOf(ref.table?.[0]?.table),
        refColumns: (ref.definition as Expr[]).map((c) => identOf(c.column ?? c)),
        ...foreignKeyActions(ref, "RESTRICT"),
      };
      if (fk.name) table.foreignKeys.push(fk);
      else unnamedFks.push(fk);
      return;
    }
    if (ctype === "check") {
      const sql = (d.definition as Expr[]).map((e) => exprSql(e)).join(" and ");
      if (d.constraint) table.checks.push({ name: identOf(d.constraint), sql });
      else unnamedChecks.push(sql);
      return;
    }
    const kind = ctype ? keywordKind(ctype) : keywordKind(String(d.keyword ?? "index"));
    const parts = indexParts(d.definition ?? [], stmt, name);
    const idxName = kind === "primary"
      ? "PRIMARY"
      : d.index
      ? identOf(d.index)
      : d.constraint
      ? identOf(d.constraint)
      : "";
    const idx = newIndex(idxName, kind, parts);
    if (d.index_type?.type) idx.using = String(d.index_type.type).toLowerCase();
    indexOptions(idx, d.index_options);
    idx.renamedFrom = renameFor(annotations, item.start, item.end);
    table.indexes.push(idx);
  });
  for (const u of pendingUnique) {
    table.indexes.push(newIndex("", "unique", [{ column: u.column, length: undefined, desc: false }]));
  }
  // Table options.
  for (const opt of ast.table_options ?? []) {
    const key = String(opt.keyword ?? "").toLowerCase();
    const field = TABLE_OPTION_KEYS[key];
    const raw = opt.value?.value ?? opt.value;
    if (key === "auto_increment") continue;
    if (field === "engine") table.options.engine = normalizeEngine(String(raw));
    else if (field === "charset") table.options.charset = normalizeCharset(String(raw));
    else if (field === "collate") table.options.collate = normalizeCollation(String(raw));
    else if (field === "comment") table.options.comment = stringOf(String(raw));
    else if (field === "rowFormat") table.options.rowFormat = String(raw).toUpperCase();
    else table.options.other[key.toUpperCase()] = String(raw);
  }
  normalizeTable(table, unnamedChecks, unnamedFks, o);
  return table;
}

function normalizeEngine(engine: string): string {
  const e = engine.toLowerCase();
  const known: Record<string, string> = {
    innodb: "InnoDB",
    myisam: "MyISAM",
    memory: "MEMORY",
    aria: "Aria",
    csv: "CSV",
  };
  return known[e] ?? engine;
}

function normalizeTable(
  table: Table,
  unnamedChecks: string[],
  unnamedFks: ForeignKey[],
  o: Required<ParseMysqlOptions>,
) {
  const lower = (s: string) => s.toLowerCase();
  const colByName = new Map(table.columns.map((c) => [lower(c.name), c]));
  // Table charset: what was said, else the server's; column charsets equal to it are inherited.
  const tableCs = resolveCharset(table.options.charset, table.options.collate) ??
    { charset: o.serverCharset, collate: o.serverCollation };
  if (table.options.charset !== undefined || table.options.collate !== undefined) {
    table.options.charset = tableCs.charset;
    table.options.collate = tableCs.collate;
  }
  for (const c of table.columns) {
    if (o.dialect === "mariadb" && c.type.base === "json") {
      // MariaDB's JSON is LONGTEXT with a binary collation and a json_valid() check.
      c.type = { base: "longtext", args: [], unsigned: false, zerofill: false };
      c.charset = "utf8mb4";
      c.collate = "utf8mb4_bin";
      c.check ??= `json_valid(${quoteIdent(c.name)})`;
    }
    if (!TEXT_TYPES.has(c.type.base)) {
      c.charset = undefined;
      c.collate = undefined;
    } else {
      const cs = resolveCharset(c.charset, c.collate);
      if (cs === undefined || (cs.charset === tableCs.charset && cs.collate === tableCs.collate)) {
        c.charset = undefined;
        c.collate = undefined;
      } else {
        c.charset = cs.charset;
        c.collate = cs.collate;
      }
    }
    // Quotes around a numeric default mean nothing.
    if (c.default?.kind === "literal" && isNumericType(c.type)) c.default = { ...c.default, quoted: false };
  }
  // Names MariaDB gives unnamed keys: the first column's, made unique with _2, _3...
  const taken = new Set(table.indexes.filter((i) => i.name).map((i) => lower(i.name)));
  for (const idx of table.indexes) {
    if (idx.name) continue;
    let base = idx.parts[0]!.column;
    let n = base;
    for (let k = 2; taken.has(lower(n)); k++) n = `${base}_${k}`;
    base = n;
    idx.name = base;
    taken.add(lower(base));
  }
  // Several PRIMARY definitions are an error; keep one.
  const primaries = table.indexes.filter((i) => i.kind === "primary");
  if (primaries.length > 1) {
    throw new PatchopsError(
      "SqlInvalid",
      `line ${table.line}: table "${table.name}" defines more than one primary key`,
    );
  }
  for (const idx of table.indexes) {
    for (const part of idx.parts) {
      const col = colByName.get(lower(part.column));
      if (col === undefined) {
        throw new PatchopsError(
          "SqlInvalid",
          `line ${table.line}: table "${table.name}": key "${idx.name}" names the unknown column "${part.column}"`,
        );
      }
      part.column = col.name;
      // A prefix as long as the column is the whole column.
      if (
        part.length !== undefined && ["char", "varchar"].includes(col.type.base) &&
        String(part.length) === col.type.args[0]
      ) {
        part.length = undefined;
      }
      if (idx.kind === "primary") col.nullable = false;
    }
    if (idx.using === "btree") idx.using = undefined;
  }
  unnamedChecks.forEach((sql, k) => table.checks.push({ name: `CONSTRAINT_${k + 1}`, sql }));
  const unnamedFkNames = new Set<string>();
  unnamedFks.forEach((fk, k) => {
    const named = { ...fk, name: `${table.name}_ibfk_${k + 1}` };
    unnamedFkNames.add(named.name);
    table.foreignKeys.push(named);
  });
  // InnoDB adds an index for a foreign key that no index starts with.
  for (const fk of table.foreignKeys) {
    const covered = table.indexes.some((i) =>
      i.parts.length >= fk.columns.length &&
      fk.columns.every((c, k) => lower(i.parts[k]!.column) === lower(c) && i.parts[k]!.length === undefined)
    );
    if (!covered) {
      // Named after the constraint when it has a name of its own, else after its first column.
      let name = unnamedFkNames.has(fk.name) ? fk.columns[0]! : fk.name;
      for (let k = 2; taken.has(lower(name)); k++) {
        name = `${unnamedFkNames.has(fk.name) ? fk.columns[0] : fk.name}_${k}`;
      }
      taken.add(lower(name));
      const idx = newIndex(name, "index", fk.columns.map((c) => ({ column: c, length: undefined, desc: false })));
      idx.implicit = true;
      table.indexes.push(idx);
    }
  }
}

/** Type spellings MySQL accepts and node-sql-parser does not, with the ones it does. */
const PARSER_SYNONYMS: [RegExp, string][] = [
  [/^bool\b/i, "boolean"],
  [/^dec\b/i, "decimal"],
  [/^fixed\b/i, "decimal"],
  [/^numeric\b/i, "decimal"],
  [/^int1\b/i, "tinyint"],
  [/^int2\b/i, "smallint"],
  [/^int3\b/i, "mediumint"],
  [/^int4\b/i, "int"],
  [/^int8\b/i, "bigint"],
  [/^middleint\b/i, "mediumint"],
  [/^float4\b/i, "float"],
  [/^float8\b/i, "double"],
  [/^double\s+precision\b/i, "double"],
  [/^real\b/i, "double"],
  [/^character\s+varying\b/i, "varchar"],
  [/^long\s+varchar\b/i, "mediumtext"],
  [/^long\b(?!\s*(varbinary|blob))/i, "mediumtext"],
];

/** Rewrites column types node-sql-parser does not know into synonyms it does, item by item. */
function rewriteTypeSynonyms(text: string): string {
  const open = text.indexOf("(");
  if (open < 0) return text;
  const { items, end, closed } = topLevelItems(text, open + 1, { backslashEscapes: true });
  if (!closed) return text;
  const rewritten = items.map(([from, to]) => {
    const item = text.slice(from, to);
    const m = /^(\s*(?:`[^`]+`|"[^"]+"|[\w$]+)\s+)([\s\S]*)$/.exec(item);
    if (!m || /^(KEY|INDEX|UNIQUE|PRIMARY|FULLTEXT|SPATIAL|CONSTRAINT|FOREIGN|CHECK)\b/i.test(item.trim())) return item;
    const synonym = PARSER_SYNONYMS.find(([re]) => re.test(m[2]!));
    return m[1] + (synonym ? m[2]!.replace(synonym[0], synonym[1]) : m[2]!);
  });
  return text.slice(0, open + 1) + rewritten.join(",") + text.slice(end);
}

/**
 * A view's SELECT in a form that survives the server's rewriting: MariaDB
 * qualifies every column, names every expression and drops the database;
 * those are undone here before printing (single-table queries only for
 * column qualifiers, where no name can become ambiguous).
 */
function canonicalView(select: string, dialect: MysqlDialect): string {
  let ast: Expr;
  try {
    ast = parser.astify(select.trim(), { database: dialect });
  } catch {
    return canonicalText(select).toLowerCase().replace(/`/g, "");
  }
  const root = Array.isArray(ast) ? ast[0] : ast;
  const normalize = (node: Expr, singleTable: boolean): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const n of node) normalize(n, singleTable);
      return;
    }
    if (node.type === "select") {
      const from = (Array.isArray(node.from) ? node.from : []) as Expr[];
      const single = from.length === 1 && !from[0].join && !from[0].expr;
      for (const f of from) if (f && typeof f === "object") f.db = null;
      for (const col of (node.columns ?? []) as Expr[]) {
        const e = col?.expr;
        if (!col?.as) continue;
        const alias = String(col.as);
        if (e?.type === "column_ref" && identOf(e.column) === alias) col.as = null;
        else if (e?.type !== "column_ref" && /[^\w$]/.test(alias)) col.as = null;
      }
      for (const [k, v] of Object.entries(node)) if (k !== "type") normalize(v, single);
      return;
    }
    if (node.type === "column_ref" && singleTable) node.table = null;
    if (
      node.type === "aggr_func" && String(node.name).toUpperCase() === "COUNT" && node.args?.expr?.type === "number" &&
      node.args.expr.value === 0
    ) {
      node.args.expr = { type: "star", value: "*" };
    }
    for (const v of Object.values(node)) normalize(v, singleTable);
  };
  normalize(root, false);
  try {
    return String(parser.sqlify(root, { database: dialect }));
  } catch {
    return canonicalText(select).toLowerCase().replace(/`/g, "");
  }
}

/** Splits text at top-level commas (outside parentheses and quotes). */
function splitTopLevel(text: string): string[] {
  const { items, end } = topLevelItems(text, 0, { backslashEscapes: true });
  const pieces = items.map(([from, to]) => text.slice(from, to));
  // A stray ")" stops the scan; the rest stays with the last piece (and fails to parse there).
  pieces[pieces.length - 1] += text.slice(end);
  return pieces.filter((p) => p.trim() !== "");
}

/** Parses table items (column or key definitions) given outside a CREATE TABLE. */
function parseItems(items: string, stmt: Statement, o: Required<ParseMysqlOptions>): Expr[] {
  const wrapper = `CREATE TABLE __patchops_items (${items})`;
  try {
    const ast = parser.astify(rewriteTypeSynonyms(wrapper), { database: o.dialect });
    return (Array.isArray(ast) ? ast[0] : ast).create_definitions ?? [];
  } catch (err) {
    throw new PatchopsError(
      "SqlInvalid",
      `line ${stmt.line}: cannot parse "${items.trim().slice(0, 60)}" (${
        String((err as Error).message).split("\n")[0]!.slice(0, 120)
      })`,
    );
  }
}

function canonicalText(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Parses a whole schema file. `SET`, `USE`, `DROP ... IF EXISTS` and the
 * like are skipped; anything else that is not a table, view or trigger, and
 * any table syntax the model cannot carry (PARTITION BY, for one), is an
 * error naming the line.
 */
export function parseMysqlSchema(sql: string, options?: ParseMysqlOptions): Schema {
  const o: Required<ParseMysqlOptions> = {
    dialect: options?.dialect ?? "mariadb",
    serverCharset: options?.serverCharset ?? "utf8mb4",
    serverCollation: options?.serverCollation ?? "utf8mb4_general_ci",
  };
  const { statements, annotations } = splitStatements(sql);
  const schema: Schema = { tables: [], views: [], triggers: [] };
  const pending = new Map<string, PendingTable>();
  for (const stmt of statements) {
    const head = stmt.text.slice(0, 200).replace(/\s+/g, " ").toUpperCase();
    if (
      /^(SET|USE|LOCK|UNLOCK|START|BEGIN|COMMIT|DROP (TABLE|VIEW|TRIGGER|DATABASE|SCHEMA) IF EXISTS|CREATE (DATABASE|SCHEMA))\b/
        .test(head)
    ) {
      continue;
    }
    if (/^CREATE (TEMPORARY )?TABLE\b/.test(head)) {
      const partition = /\)\s*[^()]*\bPARTITION\s+BY\b/i.exec(stmt.text);
      const nameMatch = /TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(`[^`]+`|\S+)/i.exec(stmt.text);
      const tname = nameMatch ? nameMatch[1]!.replace(/`/g, "") : "?";
      if (/^CREATE TEMPORARY/.test(head)) throw unsupported(stmt, `table "${tname}": temporary tables are not schema`);
      if (partition) {
        const line = stmt.lines[partition.index + partition[0].length - 12] ?? stmt.line;
        throw new PatchopsError(
          "SqlUnsupported",
          `line ${line}: table "${tname}": PARTITION BY is not supported (patchops refuses rather than drop the partitioning)`,
        );
      }
      let ast: Expr;
      try {
        ast = parser.astify(rewriteTypeSynonyms(stmt.text), { database: o.dialect });
      } catch (err) {
        throw new PatchopsError(
          "SqlInvalid",
          `line ${stmt.line}: cannot parse table "${tname}" (${
            String((err as Error).message).split("\n")[0]!.slice(0, 160)
          })`,
        );
      }
      const node = Array.isArray(ast) ? ast[0] : ast;
      const tableName = identOf(node.table?.[0]?.table);
      if (pending.has(tableName)) {
        throw new PatchopsError("SqlInvalid", `line ${stmt.line}: table "${tableName}" is defined twice`);
      }
      pending.set(tableName, { ast: node, stmt, extra: [] });
      continue;
    }
    const alter = /^ALTER\s+TABLE\s+(`[^`]+`|[^\s`]+)\s+([\s\S]*)$/i.exec(stmt.text);
    if (alter) {
      const tname = alter[1]!.replace(/`/g, "").replace(/^.*\./, "");
      const target = pending.get(tname);
      if (!target) throw unsupported(stmt, `ALTER TABLE "${tname}" comes before its CREATE TABLE`);
      for (const piece of splitTopLevel(alter[2]!)) {
        const m = /^\s*ADD\s+(?:COLUMN\s+)?([\s\S]+)$/i.exec(piece);
        if (!m) {
          throw unsupported(
            stmt,
            `ALTER TABLE "${tname}": only ADD clauses can describe a schema, not "${piece.trim().slice(0, 30)}"`,
          );
        }
        for (const def of parseItems(m[1]!, stmt, o)) target.extra.push({ def, line: stmt.line });
      }
      continue;
    }
    const createIndex =
      /^CREATE\s+(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+(`[^`]+`|[^\s`]+)\s+(?:USING\s+\w+\s+)?ON\s+(`[^`]+`|[^\s`(]+)\s*(\([\s\S]*)$/i
        .exec(stmt.text);
    if (createIndex) {
      const tname = createIndex[3]!.replace(/`/g, "").replace(/^.*\./, "");
      const target = pending.get(tname);
      if (!target) throw unsupported(stmt, `CREATE INDEX on "${tname}" comes before its CREATE TABLE`);
      const item = `${createIndex[1] ?? ""}KEY ${createIndex[2]} ${createIndex[4]}`;
      for (const def of parseItems(item, stmt, o)) target.extra.push({ def, line: stmt.line });
      continue;
    }
    const view =
      /^CREATE (OR REPLACE )?(ALGORITHM ?= ?\w+ )?(DEFINER ?= ?\S+ )?(SQL SECURITY \w+ )?VIEW\s+(`[^`]+`|[^\s(]+)/i
        .exec(
          stmt.text.replace(/\s+/g, " "),
        );
    if (view) {
      const name = view[5]!.replace(/`/g, "").replace(/^.*\./, "");
      const as = /\bAS\b([\s\S]*)$/i.exec(stmt.text.slice(view[0].length));
      const security = (view[4] ?? "SQL SECURITY DEFINER").trim().toUpperCase();
      schema.views.push({
        name,
        canonical: `${security} ${canonicalView(as ? as[1]! : stmt.text, o.dialect)}`,
        sql: stmt.text,
        line: stmt.line,
      });
      continue;
    }
    const trig =
      /^CREATE (DEFINER ?= ?\S+ )?TRIGGER\s+(`[^`]+`|\S+)\s+(BEFORE|AFTER)\s+(INSERT|UPDATE|DELETE)\s+ON\s+(`[^`]+`|\S+)/i
        .exec(
          stmt.text.replace(/\s+/g, " "),
        );
    if (trig) {
      const body = stmt.text.replace(/\s+/g, " ").slice(trig.index + trig[0].length);
      schema.triggers.push({
        name: trig[2]!.replace(/`/g, ""),
        table: trig[5]!.replace(/`/g, "").replace(/^.*\./, ""),
        canonical: `${trig[3]} ${trig[4]} ${canonicalText(body)}`.toLowerCase().replace(/`/g, ""),
        sql: stmt.text,
        line: stmt.line,
      });
      continue;
    }
    throw unsupported(
      stmt,
      `"${stmt.text.slice(0, 40).replace(/\s+/g, " ")}..." is not a table, view or trigger definition`,
    );
  }
  for (const p of pending.values()) schema.tables.push(buildTable(p, annotations, o));
  return schema;
}

export type { Check };
