/**
 * The MySQL/MariaDB lexer: strings with backslash escapes, `` `names` ``,
 * `#` and `-- ` comments, `_charset'x'` introducers. Used to compare text
 * the model keeps as text (trigger, routine and event bodies, partitioning,
 * views node-sql-parser cannot read) in a canonical form, and by the
 * pre-pass that prepares table items for node-sql-parser.
 *
 * @module
 */

import { unescapeString } from "../expr.ts";
import { quoteString } from "./quote.ts";

/** One token. */
export interface Token {
  kind: "word" | "ident" | "string" | "number" | "op" | "variable";
  /** Source text. */
  text: string;
  /** For words and names: the name; for strings: the value. */
  value: string;
  /** Offset of the first character in the lexed text. */
  start: number;
  end: number;
}

/** Splits MySQL text into tokens; comments and whitespace are dropped. */
export function lexMysql(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "#" || (c === "-" && text[i + 1] === "-" && /\s/.test(text[i + 2] ?? " "))) {
      const eol = text.indexOf("\n", i);
      i = eol < 0 ? n : eol;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      while (j < n) {
        if (text[j] === "\\" && c !== "`") j += 2;
        else if (text[j] === c && text[j + 1] === c) j += 2;
        else if (text[j] === c) break;
        else j++;
      }
      const raw = text.slice(i + 1, Math.min(j, n));
      i = Math.min(j + 1, n);
      if (c === "`") {
        out.push({ kind: "ident", text: text.slice(start, i), value: raw.replaceAll("``", "`"), start, end: i });
      } else {
        const value = unescapeString(c === '"' ? raw.replaceAll('""', '"') : raw, true);
        out.push({ kind: "string", text: text.slice(start, i), value, start, end: i });
      }
      continue;
    }
    if (c === "@") {
      const m = /^@@?(?:[\w$.]+|`[^`]*`|'[^']*')/.exec(text.slice(i));
      const len = m ? m[0].length : 1;
      out.push({ kind: "variable", text: text.slice(i, i + len), value: text.slice(i, i + len), start, end: i + len });
      i += len;
      continue;
    }
    const num = /^(?:0x[0-9a-f]+|0b[01]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(?![\w$])/i.exec(text.slice(i, i + 80));
    if (num) {
      out.push({ kind: "number", text: num[0], value: num[0], start, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const word = /^[\p{L}\p{N}_$]+/u.exec(text.slice(i, i + 200));
    if (word) {
      i += word[0].length;
      // A charset introducer (`_utf8mb4'x'`) only says how to read the string that follows.
      if (/^_\w+$/.test(word[0]) && (text[i] === "'" || text[i] === '"')) continue;
      // x'..' and b'..' literals.
      if (/^[xb]$/i.test(word[0]) && text[i] === "'") {
        const end = text.indexOf("'", i + 1);
        const lit = `${word[0].toLowerCase()}${text.slice(i, end + 1)}`;
        i = end + 1;
        out.push({ kind: "number", text: lit, value: lit, start, end: i });
        continue;
      }
      out.push({ kind: "word", text: word[0], value: word[0], start, end: i });
      continue;
    }
    const op = /^(?:<=>|<<|>>|<=|>=|<>|!=|:=|&&|\|\||->>|->|.)/s.exec(text.slice(i, i + 3))![0];
    out.push({ kind: "op", text: op, value: op, start, end: i + op.length });
    i += op.length;
  }
  return out;
}

/** Options of {@linkcode canonicalTokens}. */
export interface CanonicalOptions {
  /** Drop `name.` qualifiers before names (the server adds them in views). @default false */
  unqualify?: boolean;
}

/**
 * A canonical spelling of tokens for comparison: words and names lower-case
 * (MySQL reads keywords, column names and routine names without regard to
 * case), strings re-quoted one way with their case kept, one space between
 * tokens.
 */
export function canonicalTokens(tokens: readonly Token[], options?: CanonicalOptions): string {
  const parts: string[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (options?.unqualify && (t.kind === "ident" || t.kind === "word") && tokens[k + 1]?.text === ".") {
      const after = tokens[k + 2];
      if (after && (after.kind === "ident" || after.kind === "word")) {
        k++;
        continue;
      }
    }
    if (t.kind === "string") parts.push(quoteString(t.value));
    else if (t.kind === "word" || t.kind === "ident") parts.push(t.value.toLowerCase());
    else parts.push(t.text.toLowerCase());
  }
  return parts.join(" ");
}

/** {@linkcode canonicalTokens} of a text. */
export function canonicalText(text: string, options?: CanonicalOptions): string {
  return canonicalTokens(lexMysql(text), options);
}

/** Whether token `t` is the keyword `word` (any case). */
export function isWord(t: Token | undefined, word: string): boolean {
  return t !== undefined && t.kind === "word" && t.value.toUpperCase() === word;
}

/** Index of the token closing the parenthesis opened at `open`, or -1. */
export function closingParen(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (tokens[k]!.text === "(") depth++;
    else if (tokens[k]!.text === ")" && --depth === 0) return k;
  }
  return -1;
}
