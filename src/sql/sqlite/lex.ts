/**
 * The SQLite lexer: `'strings'` with doubled quotes (no backslash escapes),
 * names in `"double quotes"`, `` `backticks` `` and `[brackets]`, `x'..'`
 * blobs, `--` and `/* *\/` comments (SQLite's tokenizer, section "SQL
 * Language" of its manual). Written here because patchops needs the exact
 * source spans of a CREATE TABLE's items, which no maintained npm SQL parser
 * gives: the items are kept as the user wrote them (declared types, defaults,
 * DEFERRABLE and ON CONFLICT clauses, collations) and compared in a canonical
 * form, so that what node-sql-parser's model does not carry is neither lost
 * nor ignored. It also feeds node-sql-parser a text it can read (see
 * {@linkcode forParser}).
 *
 * @module
 */

/** One token; comments and whitespace are tokens too, so that spans can be cut from the source. */
export interface SqliteToken {
  kind: "space" | "comment" | "word" | "ident" | "string" | "blob" | "number" | "op";
  text: string;
  /** For names: the name; for strings: the value. */
  value: string;
  start: number;
  end: number;
}

/** Splits SQLite text into tokens (an unterminated string, name or comment runs to the end). */
export function lexSqlite(text: string): SqliteToken[] {
  const out: SqliteToken[] = [];
  const n = text.length;
  let i = 0;
  const push = (kind: SqliteToken["kind"], end: number, value = text.slice(i, end)) => {
    out.push({ kind, text: text.slice(i, end), value, start: i, end });
    i = end;
  };
  /** The end of a quoted span that closes with `close`, doubled `close` standing for itself. */
  const quoted = (from: number, close: string, doubled: boolean): [number, string] => {
    let value = "";
    let j = from;
    while (j < n) {
      const k = text.indexOf(close, j);
      if (k < 0) return [n, value + text.slice(j)];
      value += text.slice(j, k);
      if (doubled && text[k + 1] === close) {
        value += close;
        j = k + 2;
        continue;
      }
      return [k + 1, value];
    }
    return [n, value];
  };
  while (i < n) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < n && /\s/.test(text[j]!)) j++;
      push("space", j);
    } else if (c === "-" && text[i + 1] === "-") {
      const eol = text.indexOf("\n", i);
      push("comment", eol < 0 ? n : eol);
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      push("comment", close < 0 ? n : close + 2);
    } else if (c === "'") {
      const [end, value] = quoted(i + 1, "'", true);
      push("string", end, value);
    } else if ((c === "x" || c === "X") && text[i + 1] === "'") {
      const [end] = quoted(i + 2, "'", false);
      push("blob", end);
    } else if (c === '"' || c === "`") {
      const [end, value] = quoted(i + 1, c, true);
      push("ident", end, value);
    } else if (c === "[") {
      const [end, value] = quoted(i + 1, "]", false);
      push("ident", end, value);
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      const m = /^(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i, i + 400))!;
      push("number", i + m[0].length);
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$\u0080-\uffff]/.test(text[j]!)) j++;
      push("word", j);
    } else {
      const two = text.slice(i, i + 2);
      push(
        "op",
        i +
          (["||", "<=", ">=", "!=", "<>", "==", "<<", ">>", "->"].includes(two)
            ? (two === "->" && text[i + 2] === ">" ? 3 : 2)
            : 1),
      );
    }
  }
  return out;
}

/**
 * SQLite's keywords (its manual's "SQL Keywords" page). A bare keyword is
 * compared without case; any other name keeps its case, because SQLite
 * reports declared types and names as written.
 */
const KEYWORDS = new Set(
  `ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT BEFORE BEGIN BETWEEN BY CASCADE
  CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME
  CURRENT_TIMESTAMP DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH ELSE END ESCAPE
  EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP
  GROUPS HAVING IF IGNORE IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS ISNULL JOIN KEY
  LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER
  OVER PARTITION PLAN PRAGMA PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE RENAME
  REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET TABLE TEMP TEMPORARY THEN TIES TO
  TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT
  STORED STRICT ROWID TRUE FALSE`.split(/\s+/),
);

const significant = (t: SqliteToken) => t.kind !== "space" && t.kind !== "comment";

/**
 * Tokens in a canonical form, for comparing: no comments or spaces, bare
 * keywords (and names that spell one) in lower case, every other name as
 * `"name"` with its case, literals as written.
 */
export function canonicalTokens(tokens: readonly SqliteToken[]): string {
  return tokens.filter(significant).map((t) => {
    if (t.kind === "word" || t.kind === "ident") {
      const name = t.kind === "word" ? t.text : t.value;
      return KEYWORDS.has(name.toUpperCase()) ? name.toLowerCase() : `"${name.replaceAll('"', '""')}"`;
    }
    return t.kind === "blob" || t.kind === "number" ? t.text.toLowerCase() : t.text;
  }).join(" ");
}

/**
 * Tokens as the user wrote them, comments dropped and each run of spaces
 * one space (never inside a literal or a name), so that a `--` comment can
 * never swallow what follows.
 */
export function printTokens(tokens: readonly SqliteToken[]): string {
  let s = "";
  for (const t of tokens) {
    if (!significant(t)) {
      if (s && !s.endsWith(" ")) s += " ";
      continue;
    }
    s += t.text;
  }
  return s.trim();
}

/** The index of the token that closes the parenthesis at `open`, or -1. */
export function closingParen(tokens: readonly SqliteToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === "(") depth++;
    else if (tokens[i]!.text === ")" && --depth === 0) return i;
  }
  return -1;
}

/** One item of a CREATE TABLE body. */
export interface TableItem {
  kind: "column" | "constraint";
  tokens: SqliteToken[];
}

/** A CREATE TABLE cut into its parts. */
export interface TableParts {
  items: TableItem[];
  /** What follows the body: `WITHOUT ROWID`, `STRICT`. */
  options: SqliteToken[];
}

const CONSTRAINT_START = new Set(["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]);

/** Cuts the body of a `CREATE TABLE name (...) options` statement into items, or undefined when it has none. */
export function tableParts(text: string): TableParts | undefined {
  const tokens = lexSqlite(text);
  const open = tokens.findIndex((t) => t.text === "(");
  const close = open < 0 ? -1 : closingParen(tokens, open);
  if (close < 0) return undefined;
  const items: TableItem[] = [];
  let depth = 0;
  let current: SqliteToken[] = [];
  const flush = () => {
    const first = current.find(significant);
    if (first) {
      const word = first.kind === "word" ? first.text.toUpperCase() : "";
      items.push({ kind: CONSTRAINT_START.has(word) ? "constraint" : "column", tokens: current });
    }
    current = [];
  };
  for (const t of tokens.slice(open + 1, close)) {
    if (t.text === "(") depth++;
    else if (t.text === ")") depth--;
    if (depth === 0 && t.text === ",") flush();
    else current.push(t);
  }
  flush();
  return { items, options: tokens.slice(close + 1).filter((t) => t.text !== ";") };
}

/**
 * Text node-sql-parser's sqlite grammar can read, same length and lines:
 * `[name]` becomes `"name"`, and the clauses it does not know (a foreign
 * key's `DEFERRABLE ...`, a constraint's `ON CONFLICT ...`) become spaces.
 * The model does not carry those clauses; the items are compared and
 * printed from the source instead (see sqlite/diff.ts), so nothing is lost.
 */
export function forParser(text: string): string {
  const tokens = lexSqlite(text);
  const words = tokens.map((t, i) => ({ t, i })).filter(({ t }) => significant(t));
  const blank = new Set<number>();
  const upper = (k: number) => words[k]?.t.kind === "word" ? words[k]!.t.text.toUpperCase() : "";
  for (let k = 0; k < words.length; k++) {
    let end = k;
    if (upper(k) === "NOT" && upper(k + 1) === "DEFERRABLE") end = k + 1;
    else if (upper(k) === "DEFERRABLE") end = k;
    else if (upper(k) === "ON" && upper(k + 1) === "CONFLICT" && upper(k + 2)) end = k + 2;
    else continue;
    if (upper(end) === "DEFERRABLE" && upper(end + 1) === "INITIALLY" && upper(end + 2)) end += 2;
    for (let j = words[k]!.i; j <= words[end]!.i; j++) blank.add(j);
    k = end;
  }
  return tokens.map((t, i) => {
    if (blank.has(i)) return t.text.replace(/[^\n]/g, " ");
    if (t.kind === "ident" && t.text.startsWith("[")) {
      const inner = `"${t.value.replaceAll('"', '""')}"`;
      return t.text.endsWith("]") ? inner : inner.slice(0, -1);
    }
    return t.text;
  }).join("");
}

const TYPE_END = new Set([
  "CONSTRAINT",
  "PRIMARY",
  "NOT",
  "NULL",
  "UNIQUE",
  "CHECK",
  "DEFAULT",
  "COLLATE",
  "REFERENCES",
  "GENERATED",
  "AS",
]);

/** A column's declared type as SQLite reads it: names, then optional `(n)` or `(n, m)`. */
export interface DeclaredType {
  /** The names, lower case, one space apart: `integer unsigned`, `nvarchar`. */
  base: string;
  /** The numbers in the parenthesis, as written. */
  args: string[];
}

/**
 * SQLite takes any sequence of names as a column type (`bool`,
 * `NVARCHAR(120)`, `unsigned big int`); node-sql-parser's sqlite grammar
 * knows a fixed list. Each declared type is replaced by `BLOB` for the
 * parser (its lines kept) and handed back, one entry per column item.
 */
export function declaredTypes(text: string): { text: string; types: (DeclaredType | undefined)[] } {
  const parts = tableParts(text);
  if (!parts) return { text, types: [] };
  const types: (DeclaredType | undefined)[] = [];
  const spans: [number, number][] = [];
  for (const item of parts.items.filter((i) => i.kind === "column")) {
    const toks = item.tokens.filter(significant);
    let k = 1;
    while (
      k < toks.length && (toks[k]!.kind === "word" || toks[k]!.kind === "ident") &&
      !TYPE_END.has(toks[k]!.kind === "word" ? toks[k]!.text.toUpperCase() : "")
    ) k++;
    if (k === 1) {
      types.push(undefined);
      continue;
    }
    const names = toks.slice(1, k).map((t) => (t.kind === "word" ? t.text : t.value).toLowerCase());
    let last = toks[k - 1]!;
    const args: string[] = [];
    if (toks[k]?.text === "(") {
      const close = closingParen(toks, k);
      if (close < 0) return { text, types: [] };
      let arg = "";
      for (const t of toks.slice(k + 1, close)) {
        if (t.text === ",") {
          args.push(arg);
          arg = "";
        } else arg += t.text;
      }
      args.push(arg);
      last = toks[close]!;
    }
    types.push({ base: names.join(" "), args });
    spans.push([toks[1]!.start, last.end]);
  }
  // One pass over the text, so that a table of many columns costs linear time.
  const pieces: string[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    pieces.push(text.slice(at, start), "BLOB", text.slice(start, end).replace(/[^\n]/g, ""));
    at = end;
  }
  pieces.push(text.slice(at));
  return { text: pieces.join(""), types };
}

/** The parts of a `CREATE INDEX name ON table (part, ...)` as token lists, or undefined. */
export function indexParts(text: string): SqliteToken[][] | undefined {
  const tokens = lexSqlite(text).filter(significant);
  const on = tokens.findIndex((t) => t.kind === "word" && t.text.toUpperCase() === "ON");
  const open = on + 2;
  if (on < 0 || tokens[open]?.text !== "(") return undefined;
  const close = closingParen(tokens, open);
  if (close < 0) return undefined;
  const parts: SqliteToken[][] = [[]];
  let depth = 0;
  for (const t of tokens.slice(open + 1, close)) {
    if (t.text === "(") depth++;
    else if (t.text === ")") depth--;
    if (depth === 0 && t.text === ",") parts.push([]);
    else parts.at(-1)!.push(t);
  }
  return parts;
}
