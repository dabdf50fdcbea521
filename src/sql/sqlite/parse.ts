/**
 * SQLite schema files (and the `sql` column of sqlite_schema) into the
 * schema model, on top of node-sql-parser's sqlite dialect.
 *
 * In the model, a SQLite table's PRIMARY KEY and UNIQUE constraints are
 * indexes marked `implicit` (they live inside CREATE TABLE and change only by
 * rebuilding the table); CREATE INDEX statements are the other indexes.
 *
 * @module
 */

import NodeSqlParser from "node-sql-parser";
import { PatchopsError } from "../../errors.ts";
import { type Expr, printExpr, unescapeString } from "../expr.ts";
import { quoteExprIdent, quoteIdent, quoteString } from "./quote.ts";
import { canonicalTokens, declaredTypes, forParser, indexParts, lexSqlite } from "./lex.ts";
import type { Column, ColumnDefault, ForeignKey, Index, Schema, Table, View } from "../model.ts";
import { type Annotation, splitStatements, type Statement } from "../split.ts";
import { findByName } from "../_pairs.ts";
import { groupAndOr } from "../_ddl.ts";
import { lowerOutsideQuotes } from "../_ddl.ts";
import { bodyItems, emptyTable, foreignKeyActions, identOf, renameFor } from "../_ddl.ts";

// deno-lint-ignore no-explicit-any
const parser = new (NodeSqlParser as any).Parser();

/**
 * node-sql-parser reads `"a"` in a SQLite expression as a string; SQLite
 * reads it as the column `a` (a string only when no such column exists,
 * a misfeature its manual advises against relying on).
 */
function identifiers(node: Expr): Expr {
  if (Array.isArray(node)) return node.map(identifiers);
  if (node === null || typeof node !== "object") return node;
  if (node.type === "double_quote_string") return { type: "column_ref", table: null, column: String(node.value) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = identifiers(v);
  return out;
}

/** Canonical text of an expression in SQLite. */
export function sqliteExpr(node: Expr, quote: (name: string) => string = quoteExprIdent): string {
  return printExpr(identifiers(node), {
    quoteIdent: quote,
    quoteString,
    backslashes: false,
    fallback: (n) => parser.exprToSQL(n, { database: "sqlite" }),
  });
}

function fail(stmt: Statement, why: string): PatchopsError {
  return new PatchopsError("SqlUnsupported", `line ${stmt.line}: ${why}`);
}

function parseOne(stmt: Statement): Expr {
  try {
    const ast = parser.astify(groupAndOr(stmt.text), { database: "sqlite" });
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

function defaultOf(value: Expr): { def: ColumnDefault | undefined; collate: string | undefined } {
  const collate = value?.suffix?.collate?.collate?.name;
  if (value === undefined || value === null || value.type === "null") return { def: undefined, collate };
  const t = value.type;
  if (t === "number") return { def: { kind: "literal", value: String(value.value), quoted: false }, collate };
  if (t === "bool" || t === "boolean") {
    return { def: { kind: "literal", value: value.value ? "1" : "0", quoted: false }, collate };
  }
  if (t === "single_quote_string" || t === "double_quote_string" || t === "string") {
    return { def: { kind: "literal", value: unescapeString(String(value.value), false), quoted: true }, collate };
  }
  if (t === "unary_expr" && value.operator === "-" && value.expr?.type === "number") {
    return { def: { kind: "literal", value: `-${value.expr.value}`, quoted: false }, collate };
  }
  if (t === "function" || t === "column_ref") {
    const name = (t === "function" ? identOf(value.name?.name?.[0]) : identOf(value.column)).toUpperCase();
    if (["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"].includes(name) && !value.args?.value?.length) {
      return { def: { kind: "expr", sql: name }, collate };
    }
  }
  return { def: { kind: "expr", sql: sqliteExpr(value) }, collate };
}

function constraintIndex(name: string, kind: "primary" | "unique", columns: string[], table: string): Index {
  return {
    name: name || `${kind === "primary" ? "pk" : "unique"}(${columns.join(",")})`,
    kind,
    parts: columns.map((c) => ({ column: c, length: undefined, desc: false })),
    comment: undefined,
    invisible: false,
    using: undefined,
    implicit: true,
    renamedFrom: undefined,
    where: table ? undefined : undefined,
  };
}

/** `items`: the body's items in the text as written (the parser reads a rewritten one, whose offsets differ). */
function buildTable(
  ast: Expr,
  stmt: Statement,
  annotations: Annotation[],
  items: { start: number; end: number }[],
): Table {
  const name = identOf(ast.table?.[0]?.table ?? ast.table?.[0]);
  if (ast.as || ast.query_expr) throw fail(stmt, `table "${name}": CREATE TABLE ... AS SELECT is not supported`);
  const table: Table = emptyTable(
    name,
    stmt.line,
    renameFor(annotations, stmt.line, (items[0]?.start ?? stmt.line + 1) - 1),
  );
  for (const opt of ast.table_options ?? []) {
    const key = String(opt.keyword ?? "").toUpperCase();
    if (key === "WITHOUT ROWID" || key === "STRICT") table.options.other[key] = "1";
  }
  let checkCount = 0;
  let fkCount = 0;
  (ast.create_definitions as Expr[] ?? []).forEach((d, k) => {
    const item = items[k] ?? { start: stmt.line, end: stmt.line };
    if (d.resource === "column") {
      const def = d.definition ?? {};
      const { def: dv, collate: defaultCollate } = d.default_val
        ? defaultOf(d.default_val.value)
        : { def: undefined, collate: undefined };
      const args = def.length !== undefined && def.length !== null
        ? (def.scale !== undefined && def.scale !== null
          ? [String(def.length), String(def.scale)]
          : [String(def.length)])
        : [];
      const col: Column = {
        name: identOf(d.column),
        type: { base: String(def.dataType ?? "").toLowerCase(), args, unsigned: false, zerofill: false },
        nullable: d.nullable?.type !== "not null",
        default: dv,
        onUpdate: undefined,
        autoIncrement: Boolean(d.auto_increment),
        charset: undefined,
        collate: (d.collate?.collate?.name ?? defaultCollate)?.toUpperCase(),
        comment: undefined,
        generated: d.generated
          ? { sql: sqliteExpr(d.generated.expr), stored: d.generated.storage_type === "stored" }
          : undefined,
        check: d.check ? (d.check.definition as Expr[]).map((e) => sqliteExpr(e, quoteIdent)).join(" AND ") : undefined,
        extra: [],
        renamedFrom: renameFor(annotations, item.start, item.end),
        line: item.start,
      };
      if (d.primary_key) table.indexes.push(constraintIndex("", "primary", [col.name], name));
      if (d.unique) table.indexes.push(constraintIndex("", "unique", [col.name], name));
      if (d.reference_definition) {
        const ref = d.reference_definition;
        table.foreignKeys.push({
          name: `fk${++fkCount}`,
          columns: [col.name],
          refTable: identOf(ref.table?.[0]?.table),
          refColumns: (ref.definition as Expr[] ?? []).map((c) => identOf(c.column ?? c)),
          ...foreignKeyActions(ref, "NO ACTION"),
        });
      }
      table.columns.push(col);
      return;
    }
    const ctype = String(d.constraint_type ?? "").toLowerCase();
    const cols = (d.definition as Expr[] ?? []).map((c) => identOf(c.column ?? c));
    if (ctype === "primary key") table.indexes.push(constraintIndex("", "primary", cols, name));
    else if (ctype.startsWith("unique")) table.indexes.push(constraintIndex("", "unique", cols, name));
    else if (ctype === "foreign key") {
      const ref = d.reference_definition;
      table.foreignKeys.push({
        name: `fk${++fkCount}`,
        columns: cols,
        refTable: identOf(ref.table?.[0]?.table),
        refColumns: (ref.definition as Expr[] ?? []).map((c) => identOf(c.column ?? c)),
        ...foreignKeyActions(ref, "NO ACTION"),
      });
    } else if (ctype === "check") {
      table.checks.push({
        name: d.constraint ? identOf(d.constraint) : `check${++checkCount}`,
        // CHECKs are never re-read as generated columns: standard quotes, as the user would write them.
        sql: (d.definition as Expr[]).map((e) => sqliteExpr(e, quoteIdent)).join(" AND "),
      });
    } else throw fail(stmt, `table "${name}": unsupported definition "${ctype || d.resource}"`);
  });
  // Column names are case-insensitive in SQLite: key parts take the column's spelling.
  const byLower = new Map(table.columns.map((c) => [c.name.toLowerCase(), c]));
  for (const idx of table.indexes) {
    for (const p of idx.parts) {
      const c = byLower.get(p.column.toLowerCase());
      if (!c) {
        throw new PatchopsError(
          "SqlInvalid",
          `line ${stmt.line}: table "${name}": key names the unknown column "${p.column}"`,
        );
      }
      p.column = c.name;
      if (idx.kind === "primary" && table.options.other["WITHOUT ROWID"]) c.nullable = false;
    }
    idx.name = idx.kind === "primary" ? "PRIMARY" : `unique(${idx.parts.map((p) => p.column).join(",")})`;
  }
  return table;
}

function buildIndex(ast: Expr, stmt: Statement, schema: Schema, annotations: Annotation[]): void {
  const table = identOf(ast.table?.table ?? ast.table);
  // SQLite names are case-insensitive.
  const t = findByName(schema.tables, table, { ignoreCase: true });
  if (!t) throw fail(stmt, `CREATE INDEX on "${table}" comes before its CREATE TABLE`);
  const written = indexParts(stmt.text);
  const parts = (ast.index_columns as Expr[] ?? []).map((c, k) => {
    // A double-quoted name is an identifier in SQLite, whatever the parser calls it.
    const ident = c.type === "column_ref"
      ? identOf(c.column)
      : c.type === "double_quote_string" || c.type === "backticks_quote_string"
      ? String(c.value)
      : undefined;
    if (ident === undefined) {
      // An expression: compared by its written text in canonical form, and printed as written (definition).
      const tokens = written?.[k];
      if (!tokens) throw fail(stmt, `index on "${table}": cannot read the expression of part ${k + 1}`);
      return { column: canonicalTokens(tokens), length: undefined, desc: false, collate: undefined };
    }
    const col = t.columns.find((x) => x.name.toLowerCase() === ident.toLowerCase());
    if (!col) throw new PatchopsError("SqlInvalid", `line ${stmt.line}: index names the unknown column "${ident}"`);
    return {
      column: col.name,
      length: undefined,
      desc: /desc/i.test(String(c.order_by ?? "")),
      collate: (c.collate ?? c.suffix?.collate)?.collate?.name?.toUpperCase(),
    };
  });
  t.indexes.push({
    name: identOf(ast.index?.name ?? ast.index),
    kind: /unique/i.test(String(ast.index_type ?? "")) ? "unique" : "index",
    parts,
    comment: undefined,
    invisible: false,
    using: undefined,
    implicit: false,
    renamedFrom: renameFor(annotations, stmt.line, stmt.lines.at(-1) ?? stmt.line),
    where: ast.where ? sqliteExpr(ast.where) : undefined,
    // Printed and compared as written (sqlite/diff.ts): expressions, collations and the WHERE keep their form.
    definition: stmt.text,
  });
}

const canonical = (s: string) => lowerOutsideQuotes(s.replace(/\s+/g, " ").trim());

/** The name a CREATE [VIRTUAL] TABLE makes (lex.ts reads the quotes, also SQLite's 'name' form in dumps). */
function createdName(text: string): string | undefined {
  const tokens = lexSqlite(text).filter((t) => t.kind !== "space" && t.kind !== "comment");
  let k = tokens.findIndex((t) => t.kind === "word" && t.text.toUpperCase() === "TABLE") + 1;
  if (k === 0) return undefined;
  if (tokens[k]?.text.toUpperCase() === "IF") k += 3;
  const t = tokens[k];
  return t && (t.kind === "word" || t.kind === "ident" || t.kind === "string") ? t.value : undefined;
}

/** A CREATE VIRTUAL TABLE, compared by what follows its name in canonical form. */
function virtualTable(stmt: Statement): View | undefined {
  const name = createdName(stmt.text);
  const using = /\bUSING\s+[\s\S]*$/i.exec(stmt.text);
  if (name === undefined || !using) return undefined;
  return { name, canonical: canonicalTokens(lexSqlite(using[0])), sql: stmt.text, line: stmt.line };
}

/**
 * The shadow tables SQLite's FTS3/4/5 and R*Tree modules keep for each
 * virtual table (their documented suffixes): made and dropped with it, never
 * diffed on their own.
 */
function shadowTables(statements: Statement[]): Set<string> {
  const suffixes: Record<string, string[]> = {
    fts5: ["data", "idx", "content", "docsize", "config"],
    fts4: ["content", "segments", "segdir", "docsize", "stat"],
    fts3: ["content", "segments", "segdir", "docsize", "stat"],
    rtree: ["node", "parent", "rowid"],
    rtree_i32: ["node", "parent", "rowid"],
    geopoly: ["node", "parent", "rowid"],
  };
  const out = new Set<string>();
  for (const stmt of statements) {
    const module = /^CREATE\s+VIRTUAL\s+TABLE\b[\s\S]*?\bUSING\s+(\w+)/i.exec(stmt.text)?.[1]?.toLowerCase();
    const name = module === undefined ? undefined : createdName(stmt.text);
    if (name === undefined) continue;
    for (const s of suffixes[module!] ?? []) out.add(`${name}_${s}`.toLowerCase());
  }
  return out;
}

/**
 * The statement as written, comments inside it kept: SQLite stores a view's
 * or trigger's text as it was given, so a comment the splitter removed would
 * be missing from the migrated database's text. The statement's own text when
 * the span cannot be found.
 */
function asWritten(sql: string, stmt: Statement, lineStarts: number[]): string {
  const n = stmt.text.length;
  if (n === 0) return stmt.text;
  const at = (i: number) => (lineStarts[stmt.lines[i]! - 1] ?? -1) + stmt.columns[i]! - 1;
  const start = at(0);
  // Only comments may differ: the text without them, spaces aside, is the statement's.
  const bare = (x: string) => x.replace(/\s+/g, "");
  // The splitter's columns may run one late after a comment: the end is tried there and one either side.
  for (const end of [at(n - 1) + 1, at(n - 1) + 2, at(n - 1)]) {
    const raw = start >= 0 && end > start ? sql.slice(start, end).replace(/[\s;]+$/, "") : "";
    if (raw.length < n || raw[0] !== stmt.text[0] || raw.at(-1) !== stmt.text.at(-1)) continue;
    if (bare(splitStatements(raw, { dialect: "sqlite" }).statements[0]?.text ?? "") === bare(stmt.text)) return raw;
  }
  return stmt.text;
}

/** Parses a SQLite schema file (tables, indexes, views, triggers, virtual tables). */
export function parseSqliteSchema(sql: string): Schema {
  const { statements, annotations } = splitStatements(sql, { dialect: "sqlite" });
  const lineStarts = [0];
  for (let i = sql.indexOf("\n"); i >= 0; i = sql.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const schema: Schema = { tables: [], views: [], triggers: [], routines: [], virtualTables: [] };
  const shadows = shadowTables(statements);
  for (const stmt of statements) {
    const head = stmt.text.slice(0, 120).replace(/\s+/g, " ").toUpperCase();
    if (/^(PRAGMA|BEGIN|COMMIT|END|ANALYZE|VACUUM|DROP (TABLE|VIEW|INDEX|TRIGGER) IF EXISTS)\b/.test(head)) continue;
    if (/^CREATE VIRTUAL TABLE/.test(head)) {
      const vt = virtualTable(stmt);
      if (!vt) throw fail(stmt, "cannot read this CREATE VIRTUAL TABLE");
      schema.virtualTables!.push(vt);
      continue;
    }
    if (/^CREATE (TEMP |TEMPORARY )?TABLE/.test(head)) {
      if (/^CREATE (TEMP|TEMPORARY)/.test(head)) throw fail(stmt, "temporary tables are not supported");
      // A virtual table's own storage, which SQLite makes and drops with it (a dump lists it).
      // SQLite's own tables (sqlite_sequence, sqlite_stat1), which `.schema` prints and no one may create.
      const created = createdName(stmt.text)?.toLowerCase() ?? "";
      if (shadows.has(created) || created.startsWith("sqlite_")) continue;
      // node-sql-parser knows a fixed list of types and none of `[name]`, DEFERRABLE or ON CONFLICT: it reads
      // a rewritten text (lex.ts says how), and the declared types are given back as written after.
      const declared = declaredTypes(stmt.text);
      const text = forParser(declared.text);
      // Annotations are found by line in the text as written: the rewritten text's offsets differ.
      const t = buildTable(parseOne({ ...stmt, text }), { ...stmt, text }, annotations, bodyItems(stmt));
      if (declared.types.length === t.columns.length) {
        t.columns.forEach((c, i) => {
          const d = declared.types[i];
          c.type = d ? { ...c.type, base: d.base, args: d.args } : { ...c.type, base: "", args: [] };
        });
      }
      t.definition = stmt.text;
      if (findByName(schema.tables, t.name, { ignoreCase: true })) {
        throw new PatchopsError("SqlInvalid", `line ${stmt.line}: table "${t.name}" is defined twice`);
      }
      schema.tables.push(t);
      continue;
    }
    if (/^CREATE (UNIQUE )?INDEX/.test(head)) {
      buildIndex(parseOne({ ...stmt, text: forParser(stmt.text) }), stmt, schema, annotations);
      continue;
    }
    const view =
      /^CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?("[^"]+"|`[^`]+`|\[[^\]]+\]|[^\s(]+)/i.exec(
        stmt.text,
      );
    if (view) {
      const name = view[1]!.replace(/^["`[]|["`\]]$/g, "");
      const body = stmt.text.slice(view[0].length).replace(/^\s*(\([^)]*\)\s*)?AS\s+/i, "");
      schema.views.push({ name, canonical: canonical(body), sql: asWritten(sql, stmt, lineStarts), line: stmt.line });
      continue;
    }
    const trig =
      /^CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?("[^"]+"|`[^`]+`|[^\s]+)[\s\S]*?\bON\s+("[^"]+"|`[^`]+`|[^\s]+)/i
        .exec(stmt.text);
    if (trig) {
      schema.triggers.push({
        name: trig[1]!.replace(/^["`[]|["`\]]$/g, ""),
        table: trig[2]!.replace(/^["`[]|["`\]]$/g, ""),
        canonical: canonical(stmt.text.slice(trig.index + trig[0].indexOf(trig[1]!) + trig[1]!.length)),
        sql: asWritten(sql, stmt, lineStarts),
        line: stmt.line,
      });
      continue;
    }
    throw fail(
      stmt,
      `"${stmt.text.slice(0, 40).replace(/\s+/g, " ")}..." is not a table, index, view or trigger definition`,
    );
  }
  return schema;
}

export type { ForeignKey };
