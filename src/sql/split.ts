/**
 * Splits a schema file into statements, tracking line numbers, unwrapping
 * MySQL versioned comments (`/*!50100 ... *\/`, so that what they hide is
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

/** Splits `sql` into statements. */
export function splitStatements(sql: string): SplitResult {
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
    if ((ch === "D" || ch === "d") && atLineStart() && /^delimiter\s/i.test(sql.slice(i, i + 10))) {
      const eol = sql.indexOf("\n", i);
      const directive = sql.slice(i, eol < 0 ? n : eol).trim();
      delimiter = directive.split(/\s+/)[1] ?? ";";
      text = "";
      lines = [];
      columns = [];
      i = eol < 0 ? n : eol;
      continue;
    }
    if (sql.startsWith(delimiter, i) && !(delimiter === ";" && insideTriggerBody(text))) {
      push();
      skip(delimiter);
      i += delimiter.length;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      while (j < n) {
        if (sql[j] === "\\" && ch !== "`") j += 2;
        else if (sql[j] === ch && sql[j + 1] === ch) j += 2;
        else if (sql[j] === ch) break;
        else j++;
      }
      if (j >= n) {
        throw new PatchopsError("SqlInvalid", `line ${line}: unterminated ${ch === "`" ? "identifier" : "string"}`);
      }
      emit(sql.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if ((ch === "-" && sql[i + 1] === "-" && /[\s]/.test(sql[i + 2] ?? " ")) || ch === "#") {
      const eol = sql.indexOf("\n", i);
      const comment = sql.slice(i, eol < 0 ? n : eol);
      const m = RENAMED.exec(comment);
      if (m) annotations.push({ line, from: (m[1] ?? m[2] ?? m[3] ?? m[4])! });
      i = eol < 0 ? n : eol;
      continue;
    }
    if (ch === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) throw new PatchopsError("SqlInvalid", `line ${line}: unterminated comment`);
      const body = sql.slice(i + 2, end);
      const versioned = /^(M?!)(\d{5,6})?/.exec(body);
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
function insideTriggerBody(text: string): boolean {
  if (!/^\s*CREATE\b[\s\S]*?\b(TRIGGER|PROCEDURE|FUNCTION|EVENT)\b/i.test(text)) return false;
  const bare = text.replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|`[^`]*`/g, " ");
  const opens = (bare.match(/\b(BEGIN|CASE)\b/gi) ?? []).length;
  const closes = (bare.match(/\bEND\b(?!\s+(IF|LOOP|WHILE|REPEAT)\b)/gi) ?? []).length;
  return opens > closes;
}
