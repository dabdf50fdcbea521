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
import { bodyItems, emptyTable, foreignKeyActions, groupAndOr, identOf, renameFor, topLevelItems } from "../_ddl.ts";
import { type ItemExtras, prepareCreateTable, splitTableOptions, type TableOption } from "./_prepass.ts";
import { canonicalView, objectHead, parseRoutine, type Partitioning, splitPartitioning } from "./_text_objects.ts";
import { canonicalTokens, isWord, type Token } from "./lex.ts";
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

/** A trigger's tokens after its table without `FOLLOWS|PRECEDES name`. */
function withoutOrder(tokens: Token[]): Token[] {
  const k = tokens.findIndex((t, i) => i < 5 && (isWord(t, "FOLLOWS") || isWord(t, "PRECEDES")));
  return k < 0 ? tokens : [...tokens.slice(0, k), ...tokens.slice(k + 2)];
}

/** Function names MariaDB stores under another spelling, mapped to the one compared and printed. */
const FUNCTION_NAMES: Record<string, string> = {
  ucase: "upper",
  lcase: "lower",
  now: "current_timestamp",
  localtime: "current_timestamp",
  localtimestamp: "current_timestamp",
  substr: "substring",
  mid: "substring",
  character_length: "char_length",
  pow: "power",
  ceiling: "ceil",
  sha: "sha1",
};

/** Canonical text of an expression. */
export function exprSql(node: Expr): string {
  return printExpr(node, { fallback, quoteIdent, quoteString, backslashes: true, functionNames: FUNCTION_NAMES });
}

const lower = (s: string) => s.toLowerCase();

function unsupported(stmt: Statement, what: string): PatchopsError {
  return new PatchopsError("SqlUnsupported", `line ${stmt.line}: ${what}`);
}

function stringOf(v: Expr): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v.replace(/^'(.*)'$/s, "$1").replace(/''/g, "'");
  if (typeof v.type === "string" && /quote_string|^string$/.test(v.type)) return unescapeString(String(v.value));
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

/** A CREATE TABLE and the definitions later ALTER TABLE ... ADD and CREATE INDEX statements add to it. */
interface PendingTable {
  ast: Expr;
  stmt: Statement;
  /** Definitions added after the CREATE TABLE, with the line they came from. */
  extra: { def: Expr; line: number }[];
  partition: Partitioning | undefined;
  options: TableOption[];
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
  const binaryColumns = new Set<Column>();
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
      const x: ItemExtras = d.patchops ?? {};
      if (x.typeOverride) col.type = { base: x.typeOverride, args: [], unsigned: false, zerofill: false };
      if (x.compressed) col.extra.push("COMPRESSED");
      if (x.invisible) col.extra.push("INVISIBLE");
      if (x.binary) binaryColumns.add(col);
      if (d.default_val) {
        const { def: dv, onUpdate } = parseDefault(col, d.default_val.value);
        col.default = dv;
        col.onUpdate = onUpdate;
      }
      if (d.on_update) col.onUpdate = timestampFn(d.on_update?.expr?.value?.[0]?.value);
      // Without a DEFAULT, node-sql-parser files ON UPDATE under a reference definition with no table.
      const stray = d.reference_definition && !d.reference_definition.table
        ? (d.reference_definition.on_action as Expr[] | undefined)?.find((a) => a.type === "on update")
        : undefined;
      if (stray) col.onUpdate = timestampFn(stray.value?.args?.value?.[0]?.value);
      if (x.national && col.charset === undefined) col.charset = "utf8mb3";
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
    const x: ItemExtras = d.patchops ?? {};
    if (x.ignored !== undefined) idx.invisible = x.ignored;
    if (x.indexOptions) idx.options = x.indexOptions;
    idx.renamedFrom = renameFor(annotations, item.start, item.end);
    table.indexes.push(idx);
  });
  for (const u of pendingUnique) {
    table.indexes.push(newIndex("", "unique", [{ column: u.column, length: undefined, desc: false }]));
  }
  // Table options.
  for (const { key, value } of pending.options) {
    if (key === "AUTO_INCREMENT") continue;
    if (key === "ENGINE" || key === "TYPE") table.options.engine = normalizeEngine(value);
    else if (key === "CHARSET") table.options.charset = normalizeCharset(value);
    else if (key === "COLLATE") table.options.collate = normalizeCollation(value);
    else if (key === "COMMENT") table.options.comment = value;
    else if (key === "ROW_FORMAT") table.options.rowFormat = value.toUpperCase();
    else table.options.other[key] = /^-?\d+$/.test(value) ? value : value.toUpperCase();
  }
  table.options.partition = pending.partition;
  normalizeTable(table, unnamedChecks, unnamedFks, o, binaryColumns);
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
  binaryColumns: Set<Column>,
) {
  const colByName = new Map(table.columns.map((c) => [lower(c.name), c]));
  // Table charset: what was said, else the server's; column charsets equal to it are inherited.
  const tableCs = resolveCharset(table.options.charset, table.options.collate) ??
    { charset: o.serverCharset, collate: o.serverCollation };
  if (table.options.charset !== undefined || table.options.collate !== undefined) {
    table.options.charset = tableCs.charset;
    table.options.collate = tableCs.collate;
  }
  // Aria tables report PAGE_CHECKSUM=1, their default.
  if (table.options.engine === "Aria" && table.options.other.PAGE_CHECKSUM === "1") {
    delete table.options.other.PAGE_CHECKSUM;
  }
  for (const c of table.columns) {
    if (o.dialect === "mariadb" && c.type.base === "json") {
      // MariaDB's JSON is LONGTEXT with a binary collation and a json_valid() check.
      c.type = { base: "longtext", args: [], unsigned: false, zerofill: false };
      c.charset = "utf8mb4";
      c.collate = "utf8mb4_bin";
      c.check ??= `json_valid(${quoteIdent(c.name)})`;
    }
    if (binaryColumns.has(c) && TEXT_TYPES.has(c.type.base)) {
      // The BINARY attribute is the binary collation of the column's charset.
      const cs = c.charset ? normalizeCharset(c.charset) : tableCs.charset;
      c.collate = `${cs}_bin`;
      c.charset = cs;
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

/** Splits text at top-level commas (outside parentheses and quotes). */
function splitTopLevel(text: string): string[] {
  const { items, end } = topLevelItems(text, 0, { backslashEscapes: true });
  const pieces = items.map(([from, to]) => text.slice(from, to));
  // A stray ")" stops the scan; the rest stays with the last piece (and fails to parse there).
  pieces[pieces.length - 1] += text.slice(end);
  return pieces.filter((p) => p.trim() !== "");
}

/** Parses table items (column or key definitions) given outside a CREATE TABLE. */
function parseItems(items: string, stmt: Statement, at: number): Expr[] {
  const head = "CREATE TABLE __patchops_items (";
  const node = astifyTable(`${head}${items})`, stmt, (offset) => at + offset - head.length, "the definition");
  return node.create_definitions ?? [];
}

/**
 * Parses a CREATE TABLE through the pre-pass and node-sql-parser; each
 * definition gets the pre-pass's extras as `patchops`. A syntax error
 * names the line and column in the file and shows the text there.
 * `toStatement` maps an offset of `text` to one of `stmt.text`.
 */
function astifyTable(text: string, stmt: Statement, toStatement: (offset: number) => number, what: string): Expr {
  // Parentheses for AND groups inside OR (node-sql-parser has no precedence between them); they shift error
  // columns after them by the parentheses added, in the rare statement that needs them.
  const prepared = prepareCreateTable(groupAndOr(text, { backslashEscapes: true }));
  let ast: Expr;
  try {
    ast = parser.astify(prepared.text, { database: "mariadb" });
  } catch (err) {
    const loc = (err as { location?: { start?: { offset?: number } } }).location?.start?.offset;
    const at = loc === undefined
      ? 0
      : Math.max(0, Math.min(toStatement(prepared.originalOffset(loc)), stmt.text.length - 1));
    const found = /but (.*) found/.exec(String((err as Error).message))?.[1];
    const excerpt = stmt.text.slice(at, at + 40).split("\n")[0]!;
    throw new PatchopsError(
      "SqlInvalid",
      `line ${stmt.lines[at] ?? stmt.line}, column ${stmt.columns[at] ?? 1}: cannot parse ${what} at "${excerpt}"${
        found ? ` (unexpected ${found})` : ""
      }`,
    );
  }
  const node = Array.isArray(ast) ? ast[0] : ast;
  (node.create_definitions ?? []).forEach((d: Expr, k: number) => {
    d.patchops = prepared.extras[k] ?? {};
  });
  return node;
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
  const schema: Schema = { tables: [], views: [], triggers: [], routines: [] };
  const pending = new Map<string, PendingTable>();
  for (const stmt of statements) {
    const head = stmt.text.slice(0, 200).replace(/\s+/g, " ").toUpperCase();
    if (
      /^(SET|USE|LOCK|UNLOCK|START|BEGIN|COMMIT|DROP (TABLE|VIEW|TRIGGER|DATABASE|SCHEMA|PROCEDURE|FUNCTION|EVENT) IF EXISTS|CREATE (DATABASE|SCHEMA))\b/
        .test(head)
    ) {
      continue;
    }
    if (/^CREATE (TEMPORARY )?TABLE\b/.test(head)) {
      const { table: tableText, partition } = splitPartitioning(stmt.text);
      const nameMatch = /TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(`[^`]+`|\S+)/i.exec(stmt.text);
      const tname = nameMatch ? nameMatch[1]!.replace(/`/g, "") : "?";
      if (/^CREATE TEMPORARY/.test(head)) throw unsupported(stmt, `table "${tname}": temporary tables are not schema`);
      const { table: bare, options } = splitTableOptions(tableText);
      const node = astifyTable(bare, stmt, (offset) => offset, `table "${tname}"`);
      const tableName = identOf(node.table?.[0]?.table);
      if (pending.has(tableName)) {
        throw new PatchopsError("SqlInvalid", `line ${stmt.line}: table "${tableName}" is defined twice`);
      }
      pending.set(tableName, { ast: node, stmt, extra: [], partition, options });
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
        const at = Math.max(0, stmt.text.indexOf(m[1]!));
        for (const def of parseItems(m[1]!, stmt, at)) target.extra.push({ def, line: stmt.lines[at] ?? stmt.line });
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
      // Offsets in the synthesized item fall on the column list, which is where errors are.
      const at = Math.max(0, stmt.text.indexOf(createIndex[4]!) - item.length + createIndex[4]!.length);
      for (const def of parseItems(item, stmt, at)) target.extra.push({ def, line: stmt.line });
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
        canonical: `${security} ${canonicalView(as ? as[1]! : stmt.text)}`,
        sql: stmt.text,
        line: stmt.line,
      });
      continue;
    }
    const object = objectHead(stmt.text);
    if (object?.kind === "trigger") {
      // BEFORE|AFTER INSERT|UPDATE|DELETE ON [db.]table FOR EACH ROW [FOLLOWS|PRECEDES t] body
      const r = object.rest;
      const on = r.findIndex((t) => isWord(t, "ON"));
      const tableTok = r[on + 2]?.text === "." ? r[on + 3] : r[on + 1];
      if (on !== 2 || !tableTok) throw unsupported(stmt, `trigger "${object.name}": cannot read its table`);
      const afterTable = r.indexOf(tableTok) + 1;
      schema.triggers.push({
        name: object.name,
        table: tableTok.value,
        // FOLLOWS/PRECEDES orders triggers at creation; the server does not keep it in the statement.
        canonical: canonicalTokens([...r.slice(0, on), ...withoutOrder(r.slice(afterTable))]),
        sql: stmt.text,
        line: stmt.line,
      });
      continue;
    }
    const routine = parseRoutine(stmt.text, stmt.line);
    if (routine) {
      if (schema.routines.some((r) => r.kind === routine.kind && lower(r.name) === lower(routine.name))) {
        throw new PatchopsError("SqlInvalid", `line ${stmt.line}: ${routine.kind} "${routine.name}" is defined twice`);
      }
      schema.routines.push(routine);
      continue;
    }
    throw unsupported(
      stmt,
      `"${
        stmt.text.slice(0, 40).replace(/\s+/g, " ")
      }..." is not a table, view, trigger, procedure, function or event definition`,
    );
  }
  for (const p of pending.values()) schema.tables.push(buildTable(p, annotations, o));
  return schema;
}

export type { Check };
