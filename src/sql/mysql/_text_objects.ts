/**
 * The MySQL objects the model keeps as text, in the canonical form both
 * sides of a comparison are brought to: stored procedures and functions,
 * events, triggers and a table's partitioning. The canonical form follows
 * what MariaDB 10.11 gives back in SHOW CREATE (DEFINER added, routine
 * characteristics reordered, integer display widths, an event's STARTS
 * filled in, partitions with ENGINE and sorted LIST values), never changing
 * the case of a string literal.
 *
 * @module
 */

import type { Routine } from "../model.ts";
import { canonicalTokens, closingParen, isWord, lexMysql, type Token } from "./lex.ts";

const INTEGER_WORDS = new Set(["TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT"]);

/** Drops integer display widths (`int(11)` is `int`) except `tinyint(1)`. */
function dropDisplayWidths(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    out.push(t);
    if (
      t.kind === "word" && INTEGER_WORDS.has(t.value.toUpperCase()) && tokens[k + 1]?.text === "(" &&
      tokens[k + 2]?.kind === "number" && tokens[k + 3]?.text === ")" &&
      !(t.value.toUpperCase() === "TINYINT" && tokens[k + 2]!.text === "1")
    ) {
      k += 3;
    }
  }
  return out;
}

/** Index after a `DEFINER = user` clause starting at `k` (or `k` when there is none). */
function skipDefiner(tokens: Token[], k: number): number {
  if (!isWord(tokens[k], "DEFINER")) return k;
  k++;
  if (tokens[k]?.text === "=") k++;
  // user, `user`@`host`, 'user'@'host', CURRENT_USER, CURRENT_USER()
  k++;
  if (tokens[k]?.text === "(" && tokens[k + 1]?.text === ")") k += 2;
  if (tokens[k]?.kind === "variable") k++;
  else if (tokens[k]?.text === "@") k += 2;
  return k;
}

const NAME_KINDS = new Set(["word", "ident"]);

/** Reads `name` or `db.name` at `k`: the name and the index after it. */
function readName(tokens: Token[], k: number): { name: string; next: number } | undefined {
  const t = tokens[k];
  if (!t || !NAME_KINDS.has(t.kind)) return undefined;
  if (tokens[k + 1]?.text === "." && tokens[k + 2] && NAME_KINDS.has(tokens[k + 2]!.kind)) {
    return { name: tokens[k + 2]!.value, next: k + 3 };
  }
  return { name: t.value, next: k + 1 };
}

/** The head of a CREATE statement for a routine, an event or a trigger. */
export interface ObjectHead {
  kind: "procedure" | "function" | "event" | "trigger";
  name: string;
  /** Tokens after the name. */
  rest: Token[];
  orReplace: boolean;
  ifNotExists: boolean;
}

/** Reads `CREATE [OR REPLACE] [DEFINER=...] [AGGREGATE] PROCEDURE|FUNCTION|EVENT|TRIGGER [IF NOT EXISTS] name`. */
export function objectHead(text: string): ObjectHead | undefined {
  const tokens = lexMysql(text);
  if (!isWord(tokens[0], "CREATE")) return undefined;
  let k = 1;
  let orReplace = false;
  if (isWord(tokens[k], "OR") && isWord(tokens[k + 1], "REPLACE")) {
    orReplace = true;
    k += 2;
  }
  k = skipDefiner(tokens, k);
  if (isWord(tokens[k], "AGGREGATE")) k++;
  const kw = tokens[k]?.kind === "word" ? tokens[k]!.value.toLowerCase() : "";
  if (kw !== "procedure" && kw !== "function" && kw !== "event" && kw !== "trigger") return undefined;
  k++;
  let ifNotExists = false;
  if (isWord(tokens[k], "IF") && isWord(tokens[k + 1], "NOT") && isWord(tokens[k + 2], "EXISTS")) {
    ifNotExists = true;
    k += 3;
  }
  const name = readName(tokens, k);
  if (!name) return undefined;
  return { kind: kw, name: name.name, rest: tokens.slice(name.next), orReplace, ifNotExists };
}

const CHARACTERISTIC_DEFAULTS = new Set([
  "language sql",
  "not deterministic",
  "contains sql",
  "sql security definer",
]);

/**
 * Canonical text of a procedure or function after its name: the parameter
 * list and RETURNS type without display widths, the characteristics as a
 * sorted set without their defaults, then the body.
 */
function canonicalRoutine(rest: Token[]): string {
  let k = 0;
  const close = rest[0]?.text === "(" ? closingParen(rest, 0) : -1;
  const params = close >= 0 ? rest.slice(0, close + 1) : [];
  k = close + 1;
  let returns: Token[] = [];
  if (isWord(rest[k], "RETURNS")) {
    const start = k + 1;
    k = start + 1;
    if (rest[k]?.text === "(") k = closingParen(rest, k) + 1;
    while (
      rest[k] && ["UNSIGNED", "ZEROFILL", "SIGNED", "CHARSET", "CHARACTER", "SET", "COLLATE", "BINARY"].includes(
        rest[k]!.value.toUpperCase(),
      )
    ) {
      k++;
      if (["CHARSET", "SET", "COLLATE"].includes(rest[k - 1]!.value.toUpperCase())) k++;
    }
    returns = rest.slice(start, k);
    // The server adds the charset's default collation to a RETURNS type with a charset.
    const co = returns.findIndex((t) => isWord(t, "COLLATE"));
    const cs = returns.findIndex((t) => isWord(t, "CHARSET") || isWord(t, "SET"));
    if (
      co > 0 && cs > 0 && returns[co + 1]?.value.toLowerCase() === `${returns[cs + 1]?.value.toLowerCase()}_general_ci`
    ) {
      returns = [...returns.slice(0, co), ...returns.slice(co + 2)];
    }
  }
  const characteristics: string[] = [];
  for (;;) {
    const t = rest[k];
    const w = t?.kind === "word" ? t.value.toUpperCase() : "";
    let len = 0;
    if (w === "COMMENT") len = 2;
    else if (w === "LANGUAGE") len = 2;
    else if (w === "DETERMINISTIC") len = 1;
    else if (w === "NOT" && isWord(rest[k + 1], "DETERMINISTIC")) len = 2;
    else if (w === "CONTAINS" || w === "NO") len = 2;
    else if (w === "READS" || w === "MODIFIES") len = 3;
    else if (w === "SQL" && isWord(rest[k + 1], "SECURITY")) len = 3;
    else break;
    const c = canonicalTokens(rest.slice(k, k + len));
    if (!CHARACTERISTIC_DEFAULTS.has(c) && c !== "comment ''") characteristics.push(c);
    k += len;
  }
  characteristics.sort();
  return [
    canonicalTokens(dropDisplayWidths(params)),
    returns.length ? `returns ${canonicalTokens(dropDisplayWidths(returns))}` : "",
    ...characteristics,
    canonicalTokens(rest.slice(k)),
  ].filter((s) => s !== "").join(" | ");
}

/**
 * Canonical text of an event after its name. The server fills in STARTS
 * with the creation time when none is given and evaluates AT expressions,
 * so STARTS is left out of the comparison (a change of STARTS alone is not
 * seen) and an AT schedule is compared as written.
 */
function canonicalEvent(rest: Token[]): string {
  const doAt = rest.findIndex((t) => isWord(t, "DO"));
  const head = doAt < 0 ? rest : rest.slice(0, doAt);
  const body = doAt < 0 ? [] : rest.slice(doAt + 1);
  const kept: Token[] = [];
  let completion = "on completion not preserve";
  let status = "enable";
  let comment = "";
  for (let k = 0; k < head.length; k++) {
    const t = head[k]!;
    if (isWord(t, "STARTS")) {
      // STARTS expr: up to the next clause keyword.
      k++;
      while (
        k + 1 < head.length &&
        !["ENDS", "ON", "ENABLE", "DISABLE", "COMMENT"].includes(head[k + 1]!.value.toUpperCase())
      ) k++;
      continue;
    }
    if (isWord(t, "ON") && isWord(head[k + 1], "COMPLETION")) {
      const not = isWord(head[k + 2], "NOT");
      completion = not ? "on completion not preserve" : "on completion preserve";
      k += not ? 3 : 2;
      continue;
    }
    if (isWord(t, "ENABLE")) {
      status = "enable";
      continue;
    }
    if (isWord(t, "DISABLE")) {
      status = "disable";
      if (isWord(head[k + 1], "ON")) {
        status = `disable on ${head[k + 2]?.value.toLowerCase()}`;
        k += 2;
      }
      continue;
    }
    if (isWord(t, "COMMENT")) {
      comment = canonicalTokens(head.slice(k, k + 2));
      k++;
      continue;
    }
    kept.push(t);
  }
  return [canonicalTokens(kept), completion, status, comment, canonicalTokens(body)].filter((s) => s !== "").join(
    " | ",
  );
}

/** A procedure, function or event definition, or undefined when `text` is none. */
export function parseRoutine(text: string, line: number): Routine | undefined {
  const head = objectHead(text);
  if (!head || head.kind === "trigger") return undefined;
  const canonical = head.kind === "event" ? canonicalEvent(head.rest) : canonicalRoutine(head.rest);
  return { kind: head.kind, name: head.name, canonical, sql: text, line };
}

/** Canonical text of a trigger after its name (timing, event, table, order and body). */
export function canonicalTrigger(rest: Token[]): string {
  return canonicalTokens(rest, { unqualify: false });
}

/** A table's partitioning: the clause as written and its canonical form. */
export interface Partitioning {
  sql: string;
  canonical: string;
}

/**
 * Finds a `PARTITION BY` clause after the body of a CREATE TABLE: returns
 * the statement without it, and the clause.
 */
export function splitPartitioning(text: string): { table: string; partition: Partitioning | undefined } {
  const tokens = lexMysql(text);
  const open = tokens.findIndex((t) => t.text === "(");
  if (open < 0) return { table: text, partition: undefined };
  const close = closingParen(tokens, open);
  if (close < 0) return { table: text, partition: undefined };
  for (let k = close + 1; k < tokens.length - 1; k++) {
    if (isWord(tokens[k], "PARTITION") && isWord(tokens[k + 1], "BY")) {
      const sql = text.slice(tokens[k]!.start).trim();
      return {
        table: text.slice(0, tokens[k]!.start),
        partition: { sql, canonical: canonicalPartitioning(tokens.slice(k)) },
      };
    }
  }
  return { table: text, partition: undefined };
}

/**
 * TO_DAYS of a date literal, as the server computes it when it stores a
 * partition bound (`VALUES LESS THAN (TO_DAYS('2024-02-01'))` is kept as
 * `739282`): days since year 0 in the proleptic Gregorian calendar, the
 * time of day ignored. Undefined for a literal that is not a valid date
 * from year 1000 on (the server's own range for such bounds is that of
 * DATE; older dates are left as written).
 */
export function toDays(literal: string): number | undefined {
  // '2024-02-01', '2024-2-1' and '20240201', with or without a time of day.
  const m = /^(\d{4})(?:-(\d{1,2})-(\d{1,2})|(\d{2})(\d{2}))(?:[ T]\d{1,2}:\d{2}:\d{2}(?:\.\d{1,6})?)?$/.exec(literal);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2] ?? m[4]), Number(m[3] ?? m[5])];
  if (y < 1000 || mo < 1 || mo > 12 || d < 1) return undefined;
  const ms = Date.UTC(y, mo - 1, d);
  if (new Date(ms).getUTCDate() !== d) return undefined; // 2023-02-30 and the like
  // TO_DAYS('1970-01-01') is 719528.
  return Math.round(ms / 86_400_000) + 719_528;
}

/**
 * The tokens with every `TO_DAYS('<date>')` folded into the number the
 * server stores for it: a RANGE bound (`VALUES LESS THAN (TO_DAYS(...))`)
 * and a LIST value (`VALUES IN (TO_DAYS(...), ...)`) alike. Only bounds
 * call TO_DAYS on a literal; the partitioning expression names a column.
 */
function foldToDays(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const arg = tokens[k + 2];
    if (isWord(t, "TO_DAYS") && tokens[k + 1]?.text === "(" && arg?.kind === "string" && tokens[k + 3]?.text === ")") {
      const days = toDays(arg.value);
      if (days !== undefined) {
        out.push({ kind: "number", text: String(days), value: String(days), start: t.start, end: tokens[k + 3]!.end });
        k += 3;
        continue;
      }
    }
    out.push(t);
  }
  return out;
}

/** Canonical text of a PARTITION BY clause's tokens. */
function canonicalPartitioning(written: Token[]): string {
  const tokens = foldToDays(written);
  const seen: Token[] = [];
  const out: string[] = [];
  const push = (t: Token, text = canonicalTokens([t])) => {
    seen.push(t);
    out.push(text);
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    // `[STORAGE] ENGINE [=] x` on a partition: MariaDB allows only the table's own engine.
    if (isWord(t, "STORAGE") && isWord(tokens[k + 1], "ENGINE")) continue;
    if (isWord(t, "ENGINE")) {
      k += tokens[k + 1]?.text === "=" ? 2 : 1;
      continue;
    }
    // `COMMENT = 'x'` is `COMMENT 'x'`; the same for the other partition options.
    if (t.text === "=" && seen.at(-1)?.kind === "word") continue;
    // VALUES LESS THAN (MAXVALUE) is VALUES LESS THAN MAXVALUE.
    if (t.text === "(" && isWord(tokens[k + 1], "MAXVALUE") && tokens[k + 2]?.text === ")") {
      push(tokens[k + 1]!);
      k += 2;
      continue;
    }
    // The values of a LIST partition are a set: the server sorts them.
    if (t.text === "(" && isWord(seen.at(-1), "IN") && isWord(seen.at(-2), "VALUES")) {
      const end = closingParen(tokens, k);
      const items: Token[][] = [[]];
      let depth = 0;
      for (let j = k + 1; j < end; j++) {
        const x = tokens[j]!;
        if (x.text === "(") depth++;
        if (x.text === ")") depth--;
        if (x.text === "," && depth === 0) items.push([]);
        else items.at(-1)!.push(x);
      }
      push(t, `( ${items.map((i) => canonicalTokens(i)).sort().join(" , ")} )`);
      k = end;
      continue;
    }
    push(t);
  }
  // HASH and KEY partitioning with one partition is the default.
  return out.join(" ").replace(/ partitions 1$/, "");
}

/** Words after which a parenthesis only groups (the server adds such parentheses to joins and conditions). */
const GROUPING_AFTER = new Set([
  "ON",
  "FROM",
  "WHERE",
  "AND",
  "OR",
  "NOT",
  "JOIN",
  "HAVING",
  "WHEN",
  "THEN",
  "ELSE",
  "SELECT",
]);
/** Words that end the FROM clause. */
const AFTER_FROM = new Set([
  "WHERE",
  "GROUP",
  "HAVING",
  "ORDER",
  "LIMIT",
  "UNION",
  "WINDOW",
  "WITH",
  "INTERSECT",
  "EXCEPT",
]);

/** Drops parentheses that only group: not a call, a list, a subquery or an IN (...). */
function dropGroupingParens(tokens: Token[]): Token[] {
  const drop = new Set<number>();
  for (let k = 0; k < tokens.length; k++) {
    if (tokens[k]!.text !== "(") continue;
    const prev = tokens[k - 1];
    const grouping = prev === undefined || prev.text === "(" || prev.text === "," ||
      (prev.kind === "op" && prev.text !== ")") ||
      (prev.kind === "word" && GROUPING_AFTER.has(prev.value.toUpperCase()));
    if (!grouping || isWord(tokens[k + 1], "SELECT")) continue;
    const close = closingParen(tokens, k);
    if (close < 0) continue;
    let depth = 0;
    let list = false;
    for (let j = k + 1; j < close; j++) {
      const t = tokens[j]!.text;
      if (t === "(") depth++;
      else if (t === ")") depth--;
      else if (t === "," && depth === 0) list = true;
    }
    if (!list) {
      drop.add(k);
      drop.add(close);
    }
  }
  return tokens.filter((_, k) => !drop.has(k));
}

/**
 * Canonical text of a view's SELECT, the way MariaDB stores it: every
 * column qualified and every top-level select item named (`a` is
 * `` `t`.`a` AS `a` ``), grouping parentheses around joins and
 * conditions, `count(*)` as `count(0)`, `AS` before table aliases dropped,
 * `INNER`/`OUTER` joins spelled `join`, `!=` as `<>`, casts to CHAR with
 * the connection's charset. Qualifiers are dropped on both sides, so a
 * change that only swaps which table a column comes from is not seen.
 */
export function canonicalView(select: string): string {
  let tokens = dropGroupingParens(lexMysql(select));
  // Spellings.
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const w = t.kind === "word" ? t.value.toUpperCase() : "";
    if ((w === "INNER" || w === "CROSS") && isWord(tokens[k + 1], "JOIN")) continue;
    if (w === "OUTER" && isWord(tokens[k + 1], "JOIN")) continue;
    if (w === "CHARSET" && isWord(out.at(-1), "CHAR") && isWord(out.at(-2), "AS")) {
      k++;
      continue;
    }
    if (t.text === "!=") {
      out.push({ ...t, text: "<>", value: "<>" });
      continue;
    }
    if (w === "COUNT" && tokens[k + 1]?.text === "(" && tokens[k + 2]?.text === "*" && tokens[k + 3]?.text === ")") {
      out.push(t, tokens[k + 1]!, { ...tokens[k + 2]!, kind: "number", text: "0", value: "0" }, tokens[k + 3]!);
      k += 3;
      continue;
    }
    if (w === "WITH" && isWord(tokens[k + 1], "CHECK")) {
      out.push(t, { ...t, text: "CASCADED", value: "CASCADED" });
      continue;
    }
    out.push(t);
  }
  tokens = out;
  // Select lists named, table aliases without AS, qualifiers dropped.
  const parts: string[] = [];
  let pending: Token[] = [];
  const flushPending = () => {
    if (pending.length) parts.push(canonicalTokens(pending, { unqualify: true }));
    pending = [];
  };
  let depth = 0;
  let clause = "";
  let item: Token[] = [];
  let itemRaw: [number, number] | undefined;
  const flushItem = () => {
    if (!item.length) return;
    const last = item.at(-1)!;
    const beforeLast = item.at(-2);
    let alias: string | undefined;
    let expr = item;
    if (beforeLast && isWord(beforeLast, "AS")) {
      alias = last.value;
      expr = item.slice(0, -2);
    } else if (
      item.length > 1 && (last.kind === "ident" || last.kind === "word") && beforeLast &&
      beforeLast.kind !== "op" && !isWord(beforeLast, "DISTINCT")
    ) {
      alias = last.value;
      expr = item.slice(0, -1);
    } else if (item.length === 1 || (item.length === 3 && item[1]!.text === ".")) {
      alias = last.value;
    } else if (itemRaw) {
      alias = select.slice(itemRaw[0], itemRaw[1]).trim();
    }
    parts.push(
      canonicalTokens(expr, { unqualify: true }) +
        (alias ? ` as ${canonicalTokens([{ ...last, kind: "ident", value: alias }])}` : ""),
    );
    item = [];
    itemRaw = undefined;
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const w = t.kind === "word" ? t.value.toUpperCase() : "";
    if (depth === 0 && (w === "SELECT" || w === "FROM" || AFTER_FROM.has(w))) {
      if (clause === "SELECT") flushItem();
      flushPending();
      clause = w;
      parts.push(w.toLowerCase());
      continue;
    }
    if (t.text === "(") depth++;
    if (t.text === ")") depth--;
    if (clause === "SELECT" && depth === 0) {
      if (t.text === ",") {
        flushItem();
        parts.push(",");
        continue;
      }
      if (w === "DISTINCT" || w === "ALL" || w === "DISTINCTROW") {
        parts.push(w.toLowerCase());
        continue;
      }
      item.push(t);
      itemRaw = [itemRaw?.[0] ?? t.start, t.end];
      continue;
    }
    if (clause === "SELECT") {
      item.push(t);
      itemRaw = [itemRaw?.[0] ?? t.start, t.end];
      continue;
    }
    if (clause === "FROM" && depth === 0 && w === "AS") continue;
    pending.push(t);
  }
  if (clause === "SELECT") flushItem();
  flushPending();
  return parts.join(" ");
}
