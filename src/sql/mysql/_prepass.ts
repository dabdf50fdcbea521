/**
 * The pre-pass between a CREATE TABLE as written and node-sql-parser.
 *
 * node-sql-parser 5.4's mysql/mariadb grammars reject column and index
 * syntax both servers accept (measured on items written from the manuals:
 * the `BINARY` attribute, `INVISIBLE`, `COMPRESSED`, `PERSISTENT`,
 * `CHARSET x`, charset introducers, `inet4`/`inet6`/`serial` types,
 * `IGNORED` indexes, `1e3` literals and typed literals in defaults, an
 * unquoted column named like a keyword such as `status`). Writing a whole
 * CREATE TABLE grammar of our own would duplicate the expression parser we
 * still need for defaults, checks and generated columns; instead each
 * item is rewritten into the subset the parser reads, and what was taken
 * out is kept beside it as {@linkcode ItemExtras} for the model.
 *
 * @module
 */

import { topLevelItems } from "../_ddl.ts";
import { isWord, lexMysql, type Token } from "./lex.ts";
import { quoteIdent } from "./quote.ts";

/** What the pre-pass took out of one item. */
export interface ItemExtras {
  /** A type node-sql-parser does not know (`inet6`), parsed as `blob`. */
  typeOverride?: string;
  /** The `BINARY` attribute: the `_bin` collation of the column's charset. */
  binary?: boolean;
  invisible?: boolean;
  compressed?: boolean;
  /** NCHAR, NATIONAL VARCHAR...: the utf8mb3 charset. */
  national?: boolean;
  /** MariaDB `IGNORED` / MySQL `INVISIBLE` index. */
  ignored?: boolean;
  /** Index options kept verbatim and canonical: `KEY_BLOCK_SIZE=8`, `WITH PARSER ngram`. */
  indexOptions?: string[];
}

/** Type spellings MySQL accepts and node-sql-parser does not, with the ones it does. */
const TYPE_SYNONYMS: [RegExp, string][] = [
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
  [/^national\s+varchar\b/i, "varchar"],
  [/^national\s+char(acter)?\s+varying\b/i, "varchar"],
  [/^national\s+char(acter)?\b/i, "char"],
  [/^nvarchar\b/i, "varchar"],
  [/^nchar\s+varchar\b/i, "varchar"],
  [/^nchar\b/i, "char"],
  [/^long\s+varchar\b/i, "mediumtext"],
  [/^long\b(?!\s*(varbinary|blob))/i, "mediumtext"],
  [/^serial\b/i, "bigint unsigned NOT NULL AUTO_INCREMENT UNIQUE"],
];

const KEY_WORDS = /^(KEY|INDEX|UNIQUE|PRIMARY|FULLTEXT|SPATIAL|CONSTRAINT|FOREIGN|CHECK|PERIOD)\b/i;
const OWN_TYPES = new Set(["INET4", "INET6", "UUID"]);

/** One text edit: replace `[start, end)` with `text`. */
type Edit = [number, number, string];

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const [s, e, r] of [...edits].sort((a, b) => b[0] - a[0])) out = out.slice(0, s) + r + out.slice(e);
  return out;
}

/** Maps an offset in the edited text back to the original (an offset inside a replacement maps to its start). */
function unedit(edits: Edit[], offset: number): number {
  let delta = 0;
  for (const [s, e, r] of [...edits].sort((a, b) => a[0] - b[0])) {
    if (offset < s + delta) break;
    if (offset < s + delta + r.length) return s;
    delta += r.length - (e - s);
  }
  return offset - delta;
}

/** Rewrites one column definition; `base` is the item's offset of its first token. */
function prepareColumn(item: string): { text: string; extras: ItemExtras; edits: Edit[] } {
  const extras: ItemExtras = {};
  const tokens = lexMysql(item);
  const edits: Edit[] = [];
  const name = tokens[0]!;
  if (name.kind === "word") edits.push([name.start, name.end, quoteIdent(name.value)]);
  const typeTok = tokens[1];
  if (typeTok?.kind === "word") {
    const rest = item.slice(typeTok.start);
    const synonym = TYPE_SYNONYMS.find(([re]) => re.test(rest));
    if (synonym) {
      const m = synonym[0].exec(rest)!;
      edits.push([typeTok.start, typeTok.start + m[0].length, synonym[1]]);
      if (/^n|^national/i.test(m[0])) extras.national = true;
    } else if (OWN_TYPES.has(typeTok.value.toUpperCase())) {
      extras.typeOverride = typeTok.value.toLowerCase();
      edits.push([typeTok.start, typeTok.end, "blob"]);
    }
  }
  for (let k = 2; k < tokens.length; k++) {
    // The server writes `cast(x as char charset utf8mb4)` for `CAST(x AS CHAR)`: the connection's charset.
    if (isWord(tokens[k], "CHARSET") && isWord(tokens[k - 1], "CHAR") && isWord(tokens[k - 2], "AS")) {
      edits.push([tokens[k]!.start, tokens[k + 1]?.end ?? tokens[k]!.end, ""]);
    }
  }
  let depth = 0;
  for (let k = 2; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.text === "(") depth++;
    else if (t.text === ")") depth--;
    if (depth > 0 || t.kind !== "word") continue;
    const w = t.value.toUpperCase();
    const prev = tokens[k - 1]!;
    if (w === "BINARY" && !isWord(prev, "DEFAULT") && !isWord(prev, "AS")) {
      extras.binary = true;
      edits.push([t.start, t.end, ""]);
    } else if (w === "INVISIBLE") {
      extras.invisible = true;
      edits.push([t.start, t.end, ""]);
    } else if (w === "COMPRESSED") {
      extras.compressed = true;
      let end = t.end;
      if (tokens[k + 1]?.text === "=") end = tokens[k + 2]?.end ?? end;
      edits.push([t.start, end, ""]);
    } else if (w === "PERSISTENT") {
      edits.push([t.start, t.end, "STORED"]);
    } else if (w === "CHARSET") {
      edits.push([t.start, t.end, "CHARACTER SET"]);
    } else if (w === "DEFAULT") {
      const v = tokens[k + 1];
      // Typed literals (DATE '2024-01-01') are stored as the plain string.
      if (v?.kind === "word" && /^(DATE|TIME|TIMESTAMP)$/i.test(v.value) && tokens[k + 2]?.kind === "string") {
        edits.push([v.start, v.end, ""]);
      } else if (v?.kind === "number" && /e/i.test(v.text) && !/^0x/i.test(v.text)) {
        edits.push([v.start, v.end, String(Number(v.text))]);
      }
    }
  }
  // Charset introducers (`_utf8mb4'x'`): the lexer reads past them; drop them from the text.
  for (const m of item.matchAll(/(?<![\w$`'"])_[a-z0-9]+(?=['"])/gi)) edits.push([m.index, m.index + m[0].length, ""]);
  return { text: applyEdits(item, edits), extras, edits };
}

/** Rewrites one key definition. */
function prepareKey(item: string): { text: string; extras: ItemExtras; edits: Edit[] } {
  const extras: ItemExtras = {};
  const tokens = lexMysql(item);
  const edits: Edit[] = [];
  const options: string[] = [];
  let depth = 0;
  let seenParts = false;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.text === "(") depth++;
    else if (t.text === ")" && --depth === 0) seenParts = true;
    if (depth > 0 || !seenParts || t.kind !== "word") continue;
    const w = t.value.toUpperCase();
    if (w === "IGNORED" || w === "INVISIBLE") {
      extras.ignored = true;
      edits.push([t.start, t.end, ""]);
    } else if ((w === "NOT" && isWord(tokens[k + 1], "IGNORED")) || w === "VISIBLE") {
      extras.ignored = false;
      edits.push([t.start, w === "NOT" ? tokens[k + 1]!.end : t.end, ""]);
      if (w === "NOT") k++;
    } else if (w === "KEY_BLOCK_SIZE") {
      const eq = tokens[k + 1]?.text === "=" ? 1 : 0;
      const v = tokens[k + 1 + eq];
      if (v) {
        options.push(`KEY_BLOCK_SIZE=${v.text}`);
        edits.push([t.start, v.end, ""]);
        k += 1 + eq;
      }
    } else if (w === "WITH" && isWord(tokens[k + 1], "PARSER") && tokens[k + 2]) {
      options.push(`WITH PARSER ${tokens[k + 2]!.value.toLowerCase()}`);
      edits.push([t.start, tokens[k + 2]!.end, ""]);
      k += 2;
    }
  }
  if (options.length) extras.indexOptions = options;
  return { text: applyEdits(item, edits), extras, edits };
}

/** A CREATE TABLE rewritten for node-sql-parser. */
export interface PreparedTable {
  text: string;
  /** Extras of each body item, in order. */
  extras: ItemExtras[];
  /** Maps an offset in `text` back to the offset in the original. */
  originalOffset: (offset: number) => number;
}

/** Prepares a CREATE TABLE (or a `CREATE TABLE x (items)` wrapper) for node-sql-parser. */
export function prepareCreateTable(text: string): PreparedTable {
  const tokens: Token[] = lexMysql(text);
  const open = tokens.find((t) => t.text === "(");
  const identity = { text, extras: [], originalOffset: (o: number) => o };
  if (!open) return identity;
  const { items, end, closed } = topLevelItems(text, open.start + 1, { backslashEscapes: true });
  if (!closed) return identity;
  const extras: ItemExtras[] = [];
  const pieces: string[] = [];
  /** [new start, old start, old end, edits] of each item. */
  const spans: [number, number, number, Edit[]][] = [];
  let cursor = open.start + 1;
  for (const [from, to] of items) {
    const item = text.slice(from, to);
    const { text: rewritten, extras: x, edits } = KEY_WORDS.test(item.trim()) ? prepareKey(item) : prepareColumn(item);
    spans.push([cursor, from, to, edits]);
    pieces.push(rewritten);
    extras.push(x);
    cursor += rewritten.length + 1;
  }
  const body = pieces.join(",");
  const out = text.slice(0, open.start + 1) + body + text.slice(end);
  const shift = (open.start + 1 + body.length) - end;
  return {
    text: out,
    extras,
    originalOffset(offset) {
      if (offset <= open.start) return offset;
      if (offset >= open.start + 1 + body.length) return offset - shift;
      for (const [ns, os, oe, edits] of [...spans].reverse()) {
        if (offset >= ns) return Math.min(os + unedit(edits, offset - ns), oe);
      }
      return offset;
    },
  };
}

/** One table option: upper-case key (`DEFAULT` dropped, `CHARSET` for every charset spelling) and its value. */
export interface TableOption {
  key: string;
  value: string;
}

/**
 * Reads the table options after a CREATE TABLE body ourselves (node-sql-parser
 * rejects engine-defined ones such as `PAGE_COMPRESSED=1`, and MariaDB
 * prints those as `` `PAGE_COMPRESSED`='1' ``) and returns the statement
 * without them.
 */
export function splitTableOptions(text: string): { table: string; options: TableOption[] } {
  const tokens = lexMysql(text);
  const open = tokens.findIndex((t) => t.text === "(");
  if (open < 0) return { table: text, options: [] };
  let depth = 0;
  let close = -1;
  for (let k = open; k < tokens.length; k++) {
    if (tokens[k]!.text === "(") depth++;
    else if (tokens[k]!.text === ")" && --depth === 0) {
      close = k;
      break;
    }
  }
  if (close < 0 || close === tokens.length - 1) return { table: text, options: [] };
  const options: TableOption[] = [];
  let k = close + 1;
  while (k < tokens.length) {
    if (tokens[k]!.text === ",") {
      k++;
      continue;
    }
    const t = tokens[k]!;
    if (t.kind !== "word" && t.kind !== "ident") return { table: text, options: [] };
    let key = t.value.toUpperCase();
    k++;
    if (key === "DEFAULT" && tokens[k]) {
      key = tokens[k]!.value.toUpperCase();
      k++;
    }
    if (key === "CHARACTER" && isWord(tokens[k], "SET")) k++;
    if (key === "CHARACTER" || key === "CHARSET") key = "CHARSET";
    if (tokens[k]?.text === "=") k++;
    const v = tokens[k];
    if (!v) return { table: text, options: [] };
    options.push({ key, value: v.kind === "word" || v.kind === "ident" || v.kind === "string" ? v.value : v.text });
    k++;
  }
  return { table: text.slice(0, tokens[close]!.end), options };
}
