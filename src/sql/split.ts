/**
 * Splits a schema file into statements with each dialect's lexical rules,
 * tracking line numbers and columns, unwrapping MySQL versioned comments (`/*!50100 ... *\/`, so that what they hide is
 * parsed and checked rather than silently dropped), honouring `DELIMITER`,
 * and collecting `-- @renamed from=<old>` annotations, which the parser
 * would otherwise discard with the comments.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";

/** One statement of a schema file. */
export interface Statement {
  /** Text with comments removed (versioned comments unwrapped). */
  text: string;
  /** 1-based line of the statement's first character. */
  line: number;
  /** Line of each character of `text` (same length), for locating items. */
  lines: number[];
  /** 1-based column of each character of `text` (same length). */
  columns: number[];
}

/** A `-- @renamed from=<old>` annotation. */
export interface Annotation {
  line: number;
  from: string;
}

/** A split file. */
export interface SplitResult {
  statements: Statement[];
  annotations: Annotation[];
}

const RENAMED = /@renamed\s+from\s*=\s*(?:`([^`]+)`|"([^"]+)"|'([^']+)'|([^\s*]+))/;

/** The lexical family a file is split by. */
export type SplitDialect = "mysql" | "postgres" | "sqlite";

/** Options of {@linkcode splitStatements}. */
export interface SplitOptions {
  /**
   * MySQL: backslash escapes in strings, `#` and `-- ` comments, backticks,
   * `DELIMITER`, versioned comments. PostgreSQL: standard strings (`E'..'`
   * with escapes), dollar quoting, nested block comments. SQLite: standard
   * strings, `[name]` and backticks.
   * @default "mysql"
   */
  dialect?: SplitDialect | undefined;
}

/** Splits `sql` into statements. */
export function splitStatements(sql: string, options?: SplitOptions): SplitResult {
  const dialect = options?.dialect ?? "mysql";
  const mysql = dialect === "mysql";
  const statements: Statement[] = [];
  const annotations: Annotation[] = [];
  let delimiter = ";";
  let text = "";
  let lines: number[] = [];
  let columns: number[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  const n = sql.length;
  const push = () => {
    const trimmedStart = text.search(/\S/);
    if (trimmedStart >= 0) {
      const end = text.trimEnd().length;
      statements.push({
        text: text.slice(trimmedStart, end),
        line: lines[trimmedStart]!,
        lines: lines.slice(trimmedStart, end),
        columns: columns.slice(trimmedStart, end),
      });
    }
    text = "";
    lines = [];
    columns = [];
  };
  const emit = (s: string) => {
    for (const ch of s) {
      text += ch;
      lines.push(line);
      columns.push(column);
      step(ch);
    }
  };
  const step = (ch: string) => {
    if (ch === "\n") {
      line++;
      column = 1;
    } else column++;
  };
  const skip = (s: string) => {
    for (const ch of s) step(ch);
  };
  const atLineStart = () => text.trim() === "";
  while (i < n) {
    const ch = sql[i]!;
    // DELIMITER directive (mysql client syntax), only at the start of a statement.
    if (mysql && (ch === "D" || ch === "d") && atLineStart() && /^delimiter\s/i.test(sql.slice(i, i + 10))) {
      const eol = sql.indexOf("\n", i);
      const directive = sql.slice(i, eol < 0 ? n : eol).trim();
      delimiter = directive.split(/\s+/)[1] ?? ";";
      text = "";
      lines = [];
      columns = [];
      i = eol < 0 ? n : eol;
      continue;
    }
    if (
      sql.startsWith(delimiter, i) && !(delimiter === ";" && dialect !== "postgres" && insideTriggerBody(text, mysql))
    ) {
      push();
      skip(delimiter);
      i += delimiter.length;
      continue;
    }
    // PostgreSQL dollar quoting: $tag$ ... $tag$ (function bodies).
    const dollar = dialect === "postgres" && ch === "$"
      ? /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64))
      : null;
    if (dollar && !/[\w$]/.test(sql[i - 1] ?? " ")) {
      const end = sql.indexOf(dollar[0], i + dollar[0].length);
      if (end < 0) throw new PatchopsError("SqlInvalid", `line ${line}: unterminated ${dollar[0]} string`);
      emit(sql.slice(i, end + dollar[0].length));
      i = end + dollar[0].length;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`" || (ch === "[" && dialect === "sqlite")) {
      const close = ch === "[" ? "]" : ch;
      // Backslash escapes: MySQL strings, and PostgreSQL's E'...' strings.
      const escapes = ch !== "`" && ch !== "[" &&
        (mysql ||
          (dialect === "postgres" && ch === "'" && /[eE]/.test(sql[i - 1] ?? "") && !/\w/.test(sql[i - 2] ?? " ")));
      let j = i + 1;
      while (j < n) {
        if (escapes && sql[j] === "\\") j += 2;
        else if (sql[j] === close && sql[j + 1] === close && close !== "]") j += 2;
        else if (sql[j] === close) break;
        else j++;
      }
      if (j >= n) {
        throw new PatchopsError("SqlInvalid", `line ${line}: unterminated ${ch === "'" ? "string" : "identifier"}`);
      }
      emit(sql.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    // `--` starts a comment only before whitespace in MySQL, always elsewhere; `#` only in MySQL.
    if ((ch === "-" && sql[i + 1] === "-" && (!mysql || /[\s]/.test(sql[i + 2] ?? " "))) || (ch === "#" && mysql)) {
      const eol = sql.indexOf("\n", i);
      const comment = sql.slice(i, eol < 0 ? n : eol);
      const m = RENAMED.exec(comment);
      if (m) annotations.push({ line, from: (m[1] ?? m[2] ?? m[3] ?? m[4])! });
      i = eol < 0 ? n : eol;
      continue;
    }
    if (ch === "/" && sql[i + 1] === "*") {
      const end = dialect === "postgres" ? nestedCommentEnd(sql, i) : sql.indexOf("*/", i + 2);
      if (end < 0) throw new PatchopsError("SqlInvalid", `line ${line}: unterminated comment`);
      const body = sql.slice(i + 2, end);
      const versioned = mysql ? /^(M?!)(\d{5,6})?/.exec(body) : null;
      if (versioned) {
        // Executable comment: keep its content; drop the marker.
        const inner = body.slice(versioned[0].length);
        skip(sql.slice(i, i + 2 + versioned[0].length));
        emit(inner);
        skip("*/");
      } else {
        const m = RENAMED.exec(body);
        if (m) annotations.push({ line, from: (m[1] ?? m[2] ?? m[3] ?? m[4])! });
        skip(sql.slice(i, end + 2));
        emit(" ");
      }
      i = end + 2;
      continue;
    }
    emit(ch);
    i++;
  }
  push();
  return { statements, annotations };
}

/**
 * Whether `text` is a CREATE TRIGGER (or MySQL procedure, function or
 * event) whose BEGIN ... END body is still open, so that a `;` belongs to the body (SQLite and delimiter-less MySQL
 * files write triggers that way).
 */
function insideTriggerBody(text: string, backslashes: boolean): boolean {
  if (!/^\s*CREATE\b[\s\S]*?\b(TRIGGER|PROCEDURE|FUNCTION|EVENT)\b/i.test(text)) return false;
  const strings = backslashes
    ? /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|`[^`]*`/g
    : /'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]/g;
  const bare = text.replace(strings, " ");
  const opens = (bare.match(/\b(BEGIN|CASE)\b/gi) ?? []).length;
  const closes = (bare.match(/\bEND\b(?!\s+(IF|LOOP|WHILE|REPEAT)\b)/gi) ?? []).length;
  return opens > closes;
}

/** Where the PostgreSQL block comment opening at `from` closes (they nest), or -1. */
function nestedCommentEnd(sql: string, from: number): number {
  let depth = 0;
  for (let i = from; i < sql.length - 1; i++) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth++;
      i++;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      if (--depth === 0) return i;
      i++;
    }
  }
  return -1;
}
