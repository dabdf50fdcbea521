/**
 * PostgreSQL's objects beyond tables, indexes and views, read statement by
 * statement and compared by canonical text: enum, composite and range
 * types, domains, sequences (and OWNED BY), functions and procedures,
 * triggers, materialized views and their indexes, policies, row-level
 * security, grants on tables and sequences, and comments.
 *
 * A focused reader of our own rather than node-sql-parser: its postgresql
 * grammar rejects most of these statements (CREATE TYPE, DOMAIN, FUNCTION
 * with dollar quoting, TRIGGER, POLICY), and what is compared here is the
 * statement's text, not its structure. `sql apply` loads the target into a
 * scratch schema and reads both sides from the catalogs, so both texts come
 * from the same printer (pg_get_functiondef, pg_get_triggerdef, ...).
 *
 * @module
 */

import { PatchopsError } from "../../errors.ts";
import type { Change, PgObject } from "../model.ts";
import type { Statement } from "../split.ts";
import { quoteIdent as q, quoteString } from "./quote.ts";

const NAME = String.raw`(?:"(?:[^"]|"")+"|[\w$]+)`;
const QNAME = String.raw`${NAME}(?:\s*\.\s*${NAME})?`;

/** A name as the server folds it: quoted kept, unquoted lower-cased; a qualifier dropped. */
export function pgName(text: string): string {
  const parts = [...text.matchAll(/"((?:[^"]|"")+)"|([\w$]+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!.toLowerCase()
  );
  return parts.at(-1) ?? text;
}

/** Whitespace collapsed outside quotes and dollar-quoted bodies; keywords upper-cased. */
export function normalizeText(sql: string): string {
  let out = "";
  const re = /\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$|'(?:[^']|'')*'|"(?:[^"]|"")*"|\s+|[^\s'"$]+|\$/g;
  for (const m of sql.matchAll(re)) {
    const t = m[0];
    if (/^\s+$/.test(t)) out += " ";
    else if (/^['"$]/.test(t)) out += t;
    else out += t.replace(/\s*([(),])\s*/g, "$1").toUpperCase();
  }
  return out.replace(/\s*([(),])\s*/g, "$1").trim().replace(/;$/, "").trim();
}

function fail(stmt: Statement, why: string): PatchopsError {
  return new PatchopsError("SqlUnsupported", `line ${stmt.line}: ${why}`);
}

/** The labels of `ENUM ('a', 'b')`. */
function enumLabels(list: string): string[] {
  return [...list.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replaceAll("''", "'"));
}

const TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];
const SEQUENCE_PRIVILEGES = ["USAGE", "SELECT", "UPDATE"];

/**
 * Reads one statement if it makes one of the objects this file knows;
 * undefined when it is something else (tables, indexes, views).
 */
export function parsePgObjects(stmt: Statement): PgObject[] | undefined {
  const text = stmt.text.trim();
  const line = stmt.line;
  const obj = (kind: PgObject["kind"], name: string, more?: Partial<PgObject>): PgObject[] => [
    { kind, name, canonical: normalizeText(text).replace(/^CREATE OR REPLACE /, "CREATE "), sql: text, line, ...more },
  ];
  let m = new RegExp(String.raw`^CREATE\s+TYPE\s+(${QNAME})\s+AS\s+ENUM\s*\(([\s\S]*)\)$`, "i").exec(text);
  if (m) {
    const labels = enumLabels(m[2]!);
    return [{ kind: "enum", name: pgName(m[1]!), canonical: JSON.stringify(labels), sql: text, line, labels }];
  }
  m = new RegExp(String.raw`^CREATE\s+TYPE\s+(${QNAME})\s+AS\b`, "i").exec(text);
  if (m) return obj("type", pgName(m[1]!));
  m = new RegExp(String.raw`^CREATE\s+DOMAIN\s+(${QNAME})\s`, "i").exec(text);
  if (m) return obj("domain", pgName(m[1]!));
  m = new RegExp(String.raw`^CREATE\s+SEQUENCE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${QNAME})([\s\S]*)$`, "i").exec(text);
  if (m) {
    const name = pgName(m[1]!);
    const owned = new RegExp(String.raw`\s+OWNED\s+BY\s+(${QNAME}(?:\s*\.\s*${NAME})?|NONE)`, "i").exec(m[2]!);
    const rest = owned ? m[2]!.replace(owned[0], "") : m[2]!;
    const seq = { kind: "sequence" as const, name, canonical: canonicalSequence(rest), sql: text, line };
    if (!owned || /^none$/i.test(owned[1]!)) return [seq];
    seq.sql = `CREATE SEQUENCE ${q(name)}${rest}`;
    return [seq, ownedBy(name, owned[1]!, line)];
  }
  m = new RegExp(String.raw`^ALTER\s+SEQUENCE\s+(${QNAME})\s+OWNED\s+BY\s+(${QNAME}(?:\s*\.\s*${NAME})?)$`, "i").exec(
    text,
  );
  if (m) return [ownedBy(pgName(m[1]!), m[2]!, line)];
  // The options of a sequence a serial or identity column owns, where they are not PostgreSQL's defaults (the
  // live introspection writes them so; a schema file may too): compared like a sequence's, changed in place.
  m = new RegExp(String.raw`^ALTER\s+SEQUENCE\s+(${QNAME})((?:\s+${SEQUENCE_OPTION})+)$`, "i").exec(text);
  if (m) return [sequenceOptions(pgName(m[1]!), undefined, m[2]!, line)];
  m = new RegExp(
    String
      .raw`^ALTER\s+TABLE\s+(?:ONLY\s+)?(${QNAME})\s+ALTER\s+(?:COLUMN\s+)?(${NAME})((?:\s+SET\s+${SEQUENCE_OPTION})+)$`,
    "i",
  ).exec(text);
  if (m) {
    return [sequenceOptions(pgName(m[1]!), pgName(m[2]!), m[3]!.replace(/\bSET\s+/gi, ""), line)];
  }
  m = new RegExp(String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+(${QNAME})\s*\(`, "i").exec(text);
  if (m) {
    const open = m[0].length - 1;
    const close = matching(text, open);
    if (close < 0) throw fail(stmt, "a function's argument list is not closed");
    const args = argumentsForDrop(text.slice(open + 1, close));
    const name = `${pgName(m[2]!)}(${args})`;
    const kind = m[1]!.toUpperCase();
    return obj("function", name, {
      sql: text.replace(/^CREATE\s+(OR\s+REPLACE\s+)?/i, "CREATE OR REPLACE "),
      on: `${kind} ${name}`,
    });
  }
  m = new RegExp(
    String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(${NAME})\s[\s\S]*?\sON\s+(${QNAME})\s`,
    "i",
  )
    .exec(text);
  if (m) return obj("trigger", `${q(pgName(m[1]!))} ON ${q(pgName(m[2]!))}`, { on: pgName(m[2]!) });
  m = new RegExp(String.raw`^CREATE\s+MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(${QNAME})\s`, "i").exec(text);
  if (m) return obj("matview", pgName(m[1]!));
  m = new RegExp(String.raw`^CREATE\s+POLICY\s+(${NAME})\s+ON\s+(${QNAME})([\s\S]*)$`, "i").exec(text);
  if (m) {
    // Defaults spelt out, so that a policy written short equals the catalog's long form.
    let rest = normalizeText(m[3]!);
    if (!/\bAS (PERMISSIVE|RESTRICTIVE)\b/.test(rest)) rest = `AS PERMISSIVE ${rest}`;
    if (!/\bFOR (ALL|SELECT|INSERT|UPDATE|DELETE)\b/.test(rest)) rest = rest.replace(/^(AS \w+)/, "$1 FOR ALL");
    if (!/\bTO\b/.test(rest.replace(/\(.*$/, ""))) rest = rest.replace(/^(AS \w+ FOR \w+)/, "$1 TO PUBLIC");
    const table = pgName(m[2]!);
    return [{
      kind: "policy",
      name: `${q(pgName(m[1]!))} ON ${q(table)}`,
      canonical: rest,
      sql: text,
      line,
      on: table,
    }];
  }
  m = new RegExp(String.raw`^ALTER\s+TABLE\s+(?:ONLY\s+)?(${QNAME})\s+(ENABLE|FORCE)\s+ROW\s+LEVEL\s+SECURITY$`, "i")
    .exec(text);
  if (m) {
    const table = pgName(m[1]!);
    const what = m[2]!.toUpperCase();
    return [{ kind: "rls", name: `${what} ${q(table)}`, canonical: what, sql: text, line, on: table }];
  }
  const routine = routineGrant(stmt, text);
  if (routine) return routine;
  m = /^GRANT\s+([\s\S]+?)\s+ON\s+(?:(TABLE|SEQUENCE)\s+)?([\s\S]+?)\s+TO\s+([\s\S]+?)(\s+WITH\s+GRANT\s+OPTION)?$/i
    .exec(text);
  if (m) {
    if (/^(ALL\s+(TABLES|SEQUENCES|FUNCTIONS)|FUNCTION|SCHEMA|DATABASE|TYPE|DOMAIN|LANGUAGE)\b/i.test(m[3]!)) {
      throw fail(stmt, "GRANT on tables, views and sequences is modelled; not on other objects");
    }
    const sequence = m[2]?.toUpperCase() === "SEQUENCE";
    const privileges = splitTop(m[1]!).map((p) => p.trim().replace(/\s+/g, " "))
      .flatMap((p) => {
        // A column privilege, `UPDATE (email, name)`: one grant per column.
        const cols = /^(\w+(?: \w+)?)\s*\(([\s\S]*)\)$/.exec(p);
        if (cols) {
          if (sequence) throw fail(stmt, "a sequence has no columns to grant on");
          const priv = cols[1]!.toUpperCase();
          return splitTop(cols[2]!).flatMap((col) =>
            (/^ALL( PRIVILEGES)?$/.test(priv) ? ["SELECT", "INSERT", "UPDATE", "REFERENCES"] : [priv]).map((x) =>
              `${x} (${q(pgName(col))})`
            )
          );
        }
        const priv = p.toUpperCase();
        return /^ALL( PRIVILEGES)?$/.test(priv) ? (sequence ? SEQUENCE_PRIVILEGES : TABLE_PRIVILEGES) : [priv];
      });
    const names = m[3]!.split(",").map((n) => pgName(n.trim()));
    const grantees = m[4]!.split(",").map((g) => g.trim().replace(/^GROUP\s+/i, ""))
      .map((g) => /^public$/i.test(g) ? "PUBLIC" : q(pgName(g)));
    const option = m[5] ? " WITH GRANT OPTION" : "";
    return names.flatMap((n) =>
      grantees.flatMap((g) =>
        privileges.map((p) => ({
          kind: "grant" as const,
          name: `${p} ON ${q(n)} TO ${g}`,
          canonical: option,
          sql: `GRANT ${p} ON ${sequence ? "SEQUENCE" : "TABLE"} ${q(n)} TO ${g}${option}`,
          line,
          on: n,
        }))
      )
    );
  }
  if (/^REVOKE\b/i.test(text)) {
    const revoked = routineGrant(stmt, text);
    if (revoked) return revoked;
    throw fail(stmt, "REVOKE in a schema file is not modelled: write the GRANTs the objects should have");
  }
  m = new RegExp(
    String
      .raw`^COMMENT\s+ON\s+(INDEX|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE|DOMAIN|FUNCTION|PROCEDURE|TRIGGER|POLICY|CONSTRAINT)\s+([\s\S]+?)\s+IS\s+(NULL|'(?:[^']|'')*')$`,
    "i",
  ).exec(text);
  if (m) {
    const kind = m[1]!.toUpperCase().replace(/\s+/g, " ");
    let target = m[2]!.trim();
    let on: string | undefined;
    const onTable = new RegExp(String.raw`^(${NAME})\s+ON\s+(${QNAME})$`, "i").exec(target);
    if (onTable) {
      on = pgName(onTable[2]!);
      target = `${q(pgName(onTable[1]!))} ON ${q(on)}`;
    } else if (kind === "FUNCTION" || kind === "PROCEDURE") {
      const open = target.indexOf("(");
      target = open < 0
        ? pgName(target)
        : `${pgName(target.slice(0, open))}(${argumentTypes(target.slice(open + 1, matching(target, open)))})`;
      on = `${kind} ${target}`;
    } else {
      on = pgName(target);
      target = q(on);
    }
    if (/^null$/i.test(m[3]!)) return [];
    return [{
      kind: "comment",
      name: `${kind} ${target}`,
      canonical: m[3]!,
      sql: `COMMENT ON ${kind} ${target} IS ${m[3]}`,
      line,
      on,
    }];
  }
  return undefined;
}

/** The privilege every role has on a new object of these kinds, through PUBLIC. */
const PUBLIC_DEFAULT: Record<string, string> = {
  FUNCTION: "EXECUTE",
  PROCEDURE: "EXECUTE",
  TYPE: "USAGE",
  DOMAIN: "USAGE",
};

/**
 * `GRANT EXECUTE ON FUNCTION f(int) TO r` and `REVOKE EXECUTE ON FUNCTION
 * f(int) FROM PUBLIC` (the same for procedures, types and domains with
 * USAGE): one object per privilege and grantee. A revoke is modelled only
 * where it takes away the privilege PUBLIC has by default, which is what a
 * schema file means by it; anything else is refused.
 */
function routineGrant(stmt: Statement, text: string): PgObject[] | undefined {
  const m =
    /^(GRANT|REVOKE)\s+([\s\S]+?)\s+ON\s+(FUNCTION|PROCEDURE|ROUTINE|TYPE|DOMAIN)\s+([\s\S]+?)\s+(TO|FROM)\s+([\s\S]+?)(\s+WITH\s+GRANT\s+OPTION|\s+(?:CASCADE|RESTRICT))?$/i
      .exec(text);
  if (!m) return undefined;
  const revoke = m[1]!.toUpperCase() === "REVOKE";
  let kind = m[3]!.toUpperCase();
  if (kind === "ROUTINE") kind = "FUNCTION";
  if (kind === "DOMAIN") kind = "TYPE";
  const privilege = m[2]!.trim().toUpperCase().replace(/\s+/g, " ");
  const wanted = PUBLIC_DEFAULT[kind]!;
  if (privilege !== wanted && !/^ALL( PRIVILEGES)?$/.test(privilege)) {
    throw fail(stmt, `only ${wanted} can be granted on a ${kind.toLowerCase()}`);
  }
  const grantees = m[6]!.split(",").map((g) => g.trim().replace(/^GROUP\s+/i, ""))
    .map((g) => /^public$/i.test(g) ? "PUBLIC" : q(pgName(g)));
  if (revoke && (grantees.some((g) => g !== "PUBLIC") || m[7])) {
    throw fail(stmt, "REVOKE in a schema file is modelled only as taking a default privilege from PUBLIC");
  }
  const option = !revoke && m[7] && /GRANT/i.test(m[7]) ? " WITH GRANT OPTION" : "";
  return splitTop(m[4]!).map((target) => {
    const open = target.indexOf("(");
    if (kind === "FUNCTION" || kind === "PROCEDURE") {
      if (open < 0) throw fail(stmt, `name the ${kind.toLowerCase()}'s argument types: ${target}(...)`);
      const name = `${pgName(target.slice(0, open))}(${argumentTypes(target.slice(open + 1, matching(target, open)))})`;
      return {
        name,
        on: `${kind} ${name}`,
        printed: `${q(name.slice(0, name.indexOf("(")))}${name.slice(name.indexOf("("))}`,
      };
    }
    const name = pgName(target);
    return { name, on: name, printed: q(name) };
  }).flatMap(({ on, printed }) =>
    grantees.map((g) => ({
      kind: "grant" as const,
      name: revoke ? `REVOKE ${wanted} ON ${kind} ${printed} FROM PUBLIC` : `${wanted} ON ${kind} ${printed} TO ${g}`,
      canonical: option,
      sql: revoke
        ? `REVOKE ${wanted} ON ${kind} ${printed} FROM PUBLIC`
        : `GRANT ${wanted} ON ${kind} ${printed} TO ${g}${option}`,
      line: stmt.line,
      on,
    }))
  );
}

function ownedBy(sequence: string, column: string, line: number): PgObject {
  const parts = [...column.matchAll(/"((?:[^"]|"")+)"|([\w$]+)/g)].map((x) => x[1] ?? x[2]!.toLowerCase());
  const [table, col] = parts.slice(-2) as [string, string];
  return {
    kind: "owned",
    name: sequence,
    canonical: `${table}.${col}`,
    sql: `ALTER SEQUENCE ${q(sequence)} OWNED BY ${q(table)}.${q(col)}`,
    line,
    on: table,
  };
}

/** One option of CREATE or ALTER SEQUENCE that says what the sequence is (not RESTART, OWNED BY, RENAME). */
export const SEQUENCE_OPTION = String
  .raw`(?:AS\s+\w+|INCREMENT\s+(?:BY\s+)?-?\d+|NO\s+(?:MINVALUE|MAXVALUE|CYCLE)|(?:MINVALUE|MAXVALUE)\s+-?\d+|START\s+(?:WITH\s+)?-?\d+|CACHE\s+\d+|CYCLE)`;

/**
 * The options of the sequence a serial column (`ALTER SEQUENCE s ...`) or an
 * identity column (`ALTER TABLE t ALTER COLUMN c SET ...`) owns. The type
 * is the column's, so it is left out of the comparison (an identity cannot be
 * given one); the defaults are PostgreSQL's for a bigint where not written.
 */
export function sequenceOptions(
  name: string,
  column: string | undefined,
  options: string,
  line: number,
  type = "bigint",
): PgObject {
  const canonical = canonicalSequence(`AS ${type} ${options.replace(/\bAS\s+\w+/i, "")}`).replace(/^AS \w+ /, "");
  const set = canonical.replace(/ (MINVALUE|MAXVALUE|START WITH|CACHE|NO CYCLE|CYCLE)\b/g, " SET $1");
  return {
    kind: "seqopts",
    name: column === undefined ? name : `${name}.${column}`,
    canonical,
    sql: column === undefined
      ? `ALTER SEQUENCE ${q(name)} ${canonical}`
      : `ALTER TABLE ${q(name)} ALTER COLUMN ${q(column)} SET ${set}`,
    line,
    ...(column === undefined ? {} : { on: name }),
  };
}

/** The sequence options PostgreSQL defaults, spelt out, so that `CREATE SEQUENCE s` equals the catalog's form. */
export function canonicalSequence(options: string): string {
  const o = normalizeText(options);
  const type = /\bAS (SMALLINT|INTEGER|INT|BIGINT|INT2|INT4|INT8)\b/.exec(o)?.[1] ?? "BIGINT";
  const bits = { SMALLINT: 16, INT2: 16, INTEGER: 32, INT: 32, INT4: 32, BIGINT: 64, INT8: 64 }[type]!;
  const max = (2n ** BigInt(bits - 1) - 1n).toString();
  const inc = /\bINCREMENT (?:BY )?(-?\d+)/.exec(o)?.[1] ?? "1";
  const up = !inc.startsWith("-");
  const min = /\bMINVALUE (-?\d+)/.exec(o)?.[1] ?? (up ? "1" : `-${max}`);
  const maxv = /\bMAXVALUE (-?\d+)/.exec(o)?.[1] ?? (up ? max : "-1");
  const start = /\bSTART (?:WITH )?(-?\d+)/.exec(o)?.[1] ?? (up ? min : maxv);
  const cache = /\bCACHE (\d+)/.exec(o)?.[1] ?? "1";
  const cycle = /\bNO CYCLE\b/.test(o) ? "NO CYCLE" : /\bCYCLE\b/.test(o) ? "CYCLE" : "NO CYCLE";
  const canonicalType = { 16: "smallint", 32: "integer", 64: "bigint" }[bits]!;
  return `AS ${canonicalType} INCREMENT BY ${inc} MINVALUE ${min} MAXVALUE ${maxv} START WITH ${start} CACHE ${cache} ${cycle}`;
}

/** Index of the parenthesis closing the one at `open`, quotes respected; -1 if none. */
function matching(text: string, open: number): number {
  let depth = 0;
  let quote = "";
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = "";
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

/** Splits at top-level commas. */
function splitTop(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let quote = "";
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (quote) {
      if (c === quote) quote = "";
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(list.slice(start, i));
      start = i + 1;
    }
  }
  out.push(list.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== "");
}

/** The argument list without defaults, as DROP FUNCTION takes it. */
function argumentsForDrop(list: string): string {
  return splitTop(list).map((a) => normalizeText(a.replace(/\s+(DEFAULT|=)\s[\s\S]*$/i, "")).toLowerCase()).join(
    ", ",
  );
}

/** Only the argument types (COMMENT ON FUNCTION may name them with or without argument names). */
function argumentTypes(list: string): string {
  return splitTop(list).map((a) => normalizeText(a).toLowerCase()).join(", ");
}

/** Where an object's creation goes among the changes. */
const RANK: Record<PgObject["kind"], number> = {
  enum: 0,
  type: 1,
  domain: 2,
  sequence: 3,
  seqopts: 10.2,
  function: 4,
  owned: 10,
  partition: 10.5,
  matview: 11,
  index: 12,
  trigger: 13,
  policy: 14,
  rls: 15,
  grant: 16,
  comment: 17,
};

/** Changes for the objects: drops (before everything), creations before tables and after views. */
export interface ObjectChanges {
  drops: Change[];
  /** Drops of objects made again with another definition: before `early`. */
  replaced: Change[];
  early: Change[];
  late: Change[];
}

/** What a guarded script needs to know of the object a change makes or drops. */
const objectOf = (o: PgObject, drop: boolean): NonNullable<Change["pgObject"]> => ({
  kind: o.kind,
  name: o.name,
  on: o.on,
  drop,
});

function dropOf(o: PgObject): Change {
  const base = {
    ...(o.on !== undefined ? { table: o.on } : {}),
    description: `drop ${o.kind} ${o.name}`,
    pgObject: objectOf(o, true),
  };
  switch (o.kind) {
    case "enum":
    case "type":
      return { ...base, kind: "drop_routine", sql: `DROP TYPE ${q(o.name)}` };
    case "domain":
      return { ...base, kind: "drop_routine", sql: `DROP DOMAIN ${q(o.name)}` };
    case "sequence":
      return {
        ...base,
        kind: "drop_routine",
        sql: `DROP SEQUENCE ${q(o.name)}`,
        destructive: `drops sequence ${q(o.name)} and its current value`,
      };
    case "owned":
      return { ...base, kind: "alter_table", sql: `ALTER SEQUENCE ${q(o.name)} OWNED BY NONE` };
    case "seqopts": {
      // Back to PostgreSQL's defaults for the sequence's type (NO MINVALUE/MAXVALUE: the type's own bounds).
      const defaults = "INCREMENT BY 1 NO MINVALUE NO MAXVALUE START WITH 1 CACHE 1 NO CYCLE";
      return {
        ...base,
        kind: "alter_table",
        sql: o.on === undefined
          ? `ALTER SEQUENCE ${q(o.name)} ${defaults}`
          : o.sql.replace(/ SET INCREMENT[\s\S]*$/, ` SET ${defaults.replace(/ (NO|START|CACHE)\b/g, " SET $1")}`),
      };
    }
    case "function": {
      const kind = /^CREATE\s+(?:OR\s+REPLACE\s+)?PROCEDURE/i.test(o.sql) ? "PROCEDURE" : "FUNCTION";
      const open = o.name.indexOf("(");
      return { ...base, kind: "drop_routine", sql: `DROP ${kind} ${q(o.name.slice(0, open))}${o.name.slice(open)}` };
    }
    case "matview":
      return { ...base, kind: "drop_view", sql: `DROP MATERIALIZED VIEW ${q(o.name)}` };
    case "index":
      return { ...base, kind: "drop_index", sql: `DROP INDEX ${q(o.name)}` };
    case "trigger":
      return { ...base, kind: "drop_trigger", sql: `DROP TRIGGER ${o.name}` };
    case "policy":
      return { ...base, kind: "alter_table", sql: `DROP POLICY ${o.name}` };
    case "rls": {
      const [what, table] = o.name.split(" ", 2) as [string, string];
      return {
        ...base,
        kind: "alter_table",
        sql: `ALTER TABLE ${table} ${what === "FORCE" ? "NO FORCE" : "DISABLE"} ROW LEVEL SECURITY`,
      };
    }
    case "grant":
      // Undoing a revoke from PUBLIC gives the default privilege back.
      if (/^REVOKE /.test(o.name)) {
        return {
          ...base,
          kind: "alter_table",
          sql: o.name.replace(/^REVOKE /, "GRANT ").replace(/ FROM PUBLIC$/, " TO PUBLIC"),
        };
      }
      return { ...base, kind: "alter_table", sql: `REVOKE ${o.name.replace(/ TO (?!.* TO )/, " FROM ")}` };
    case "comment":
      return { ...base, kind: "comment", sql: `COMMENT ON ${o.name} IS NULL` };
    case "partition":
      return {
        ...base,
        kind: "drop_table",
        sql: `DROP TABLE ${q(o.name)}`,
        destructive: `drops partition ${q(o.name)} and its rows`,
      };
  }
}

function createOf(o: PgObject): Change {
  const kind: Change["kind"] = o.kind === "partition"
    ? "create_table"
    : o.kind === "trigger"
    ? "create_trigger"
    : o.kind === "matview"
    ? "create_view"
    : o.kind === "index"
    ? "create_index"
    : o.kind === "comment"
    ? "comment"
    : "create_routine";
  return {
    kind,
    ...(o.on !== undefined ? { table: o.on } : {}),
    sql: o.sql.replace(/;\s*$/, ""),
    description: `create ${o.kind} ${o.name}`,
    pgObject: objectOf(o, false),
  };
}

/**
 * An enum that loses or reorders values is made anew, as PostgreSQL cannot
 * drop a value: the old type renamed, the new one created, every table
 * column of the old type converted through text (its default dropped and
 * set again around the conversion), the old type dropped. A row that holds a
 * removed value makes the conversion fail, and the migration is rolled back;
 * a view, array or domain over the type makes the drop fail the same way.
 */
function rebuildEnum(cur: PgObject, des: PgObject): Change[] {
  const removed = cur.labels!.filter((l) => !des.labels!.includes(l));
  const old = `${des.name.slice(0, 50)}__patchops_old`;
  const [type, oldType] = [q(des.name), q(old)];
  const body = `DO $patchops$
DECLARE r record;
BEGIN
  FOR r IN SELECT a.attrelid::regclass AS rel, a.attname, pg_get_expr(d.adbin, d.adrelid) AS def
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE a.atttypid = ${quoteString(oldType)}::regtype AND a.attnum > 0 AND NOT a.attisdropped
             AND c.relkind IN ('r', 'p')
  LOOP
    IF r.def IS NOT NULL THEN
      EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', r.rel, r.attname);
    END IF;
    EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE %s USING %I::text::%s', r.rel, r.attname,
      ${quoteString(type)}, r.attname, ${quoteString(type)});
    IF r.def IS NOT NULL THEN
      EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', r.rel, r.attname,
        replace(r.def, '::' || format_type(${quoteString(oldType)}::regtype, NULL),
                '::' || format_type(${quoteString(type)}::regtype, NULL)));
    END IF;
  END LOOP;
END
$patchops$`;
  return [{
    kind: "create_routine",
    sql: `ALTER TYPE ${type} RENAME TO ${oldType};\n${des.sql.replace(/;\s*$/, "")};\n${body};\nDROP TYPE ${oldType}`,
    description: `remake enum ${des.name}${removed.length ? ` without ${removed.join(", ")}` : " in a new order"}`,
    destructive: removed.length
      ? `removes value(s) ${
        removed.map(quoteString).join(", ")
      } from enum ${type}: rows that hold them make the migration fail`
      : `reorders the values of enum ${type}`,
  }];
}

/** ALTER TYPE ... ADD VALUE for labels added to an enum; a removal or reordering remakes the type. */
function enumChanges(cur: PgObject, des: PgObject): Change[] {
  const have = [...cur.labels!];
  const want = des.labels!;
  const kept = want.filter((l) => have.includes(l));
  if (have.length !== kept.length || kept.some((l, i) => have[i] !== l)) return rebuildEnum(cur, des);
  const out: Change[] = [];
  want.forEach((label, i) => {
    if (have.includes(label)) return;
    const where = i > 0 ? ` AFTER ${quoteString(want[i - 1]!)}` : have.length ? ` BEFORE ${quoteString(have[0]!)}` : "";
    have.splice(i, 0, label);
    out.push({
      kind: "create_routine",
      sql: `ALTER TYPE ${q(des.name)} ADD VALUE ${quoteString(label)}${where}`,
      description: `add value ${label} to ${des.name}`,
    });
  });
  return out;
}

/**
 * Diffs the objects of two schemas. `remade` names relations (views,
 * materialized views) that are dropped and made again whatever their
 * objects: what belongs to them is made again too.
 */
export function diffPgObjects(from: PgObject[], to: PgObject[], remade: Set<string>): ObjectChanges {
  const key = (o: PgObject) => `${o.kind}\u0000${o.name}`;
  const cur = new Map(from.map((o) => [key(o), o]));
  const des = new Map(to.map((o) => [key(o), o]));
  const drops: PgObject[] = [];
  const creates: PgObject[] = [];
  const early: Change[] = [];
  const replaced = new Set<string>();
  for (const o of from) {
    const next = des.get(key(o));
    if (!next) drops.push(o);
    else if (
      next.canonical !== o.canonical && o.kind !== "enum" && o.kind !== "sequence" && o.kind !== "seqopts" &&
      !(o.kind === "domain" && domainChanges(o, next))
    ) {
      // A function whose return type is unchanged is replaced in place; otherwise dropped and made again.
      if (o.kind === "function" && sameReturns(o.sql, next.sql)) continue;
      drops.push(o);
    }
  }
  for (const o of drops) if (o.kind === "matview") remade.add(o.name);
  // A function dropped and made again loses its grants and comment: they are made again too.
  for (const o of drops) if (o.kind === "function" && o.on !== undefined && des.has(key(o))) remade.add(o.on);
  for (const o of to) {
    const prev = cur.get(key(o));
    if (o.kind === "enum" && prev) {
      if (prev.canonical !== o.canonical) early.push(...enumChanges(prev, o));
      continue;
    }
    const altered = o.kind === "domain" && prev && prev.canonical !== o.canonical ? domainChanges(prev, o) : undefined;
    if (altered) {
      early.push(...altered);
      continue;
    }
    if (o.kind === "sequence" && prev) {
      if (prev.canonical !== o.canonical) {
        early.push({
          kind: "create_routine",
          sql: `ALTER SEQUENCE ${q(o.name)} ${o.canonical}`,
          description: `alter sequence ${o.name}`,
        });
      }
      continue;
    }
    if (o.kind === "matview" && remade.has(o.name)) {
      creates.push(o);
      replaced.add(o.name);
      continue;
    }
    if (!prev || prev.canonical !== o.canonical || (o.on !== undefined && remade.has(o.on))) creates.push(o);
  }
  // What belonged to a dropped matview goes with it: only its creation is needed.
  const gone = new Set([...drops.filter((o) => o.kind === "matview").map((o) => o.name), ...replaced]);
  const kept = drops.filter((o) => !(o.on !== undefined && gone.has(o.on) && o.kind !== "matview"))
    .filter((o) => !(o.kind === "comment" && des.has(key(o))))
    .sort((a, b) => RANK[b.kind] - RANK[a.kind]);
  const early0 = (o: PgObject) => RANK[o.kind] < 10 && des.has(key(o));
  const late: Change[] = [];
  for (const o of creates.sort((a, b) => RANK[a.kind] - RANK[b.kind])) {
    (RANK[o.kind] < 10 ? early : late).push(createOf(o));
  }
  return {
    drops: kept.filter((o) => !early0(o)).map(dropOf),
    replaced: kept.filter(early0).map(dropOf),
    early,
    late,
  };
}

/**
 * A domain whose type, default and NOT NULL are unchanged and whose named
 * CHECK constraints differ is altered in place (DROP DOMAIN would fail while
 * a column uses it); undefined when it must be made again.
 */
function domainChanges(cur: PgObject, des: PgObject): Change[] | undefined {
  const split = (sql: string) => {
    const at = sql.search(/\sCONSTRAINT\s/i);
    const head = normalizeText(at < 0 ? sql : sql.slice(0, at));
    const checks = new Map<string, string>();
    const re = new RegExp(
      String.raw`\sCONSTRAINT\s+(${NAME})\s+(CHECK\s*\([\s\S]*?\))(?=\s+CONSTRAINT\s|\s*;?\s*$)`,
      "gi",
    );
    let rest = at < 0 ? "" : sql.slice(at);
    for (const m of rest.matchAll(re)) {
      checks.set(pgName(m[1]!), m[2]!);
      rest = rest.replace(m[0], "");
    }
    // Anything left (an unnamed CHECK, NOT NULL written as a constraint): made again.
    return rest.replace(/;\s*$/, "").trim() === "" ? { head, checks } : undefined;
  };
  const [a, b] = [split(cur.sql), split(des.sql)];
  if (!a || !b) return undefined;
  // The head is `CREATE DOMAIN d AS type [COLLATE c] [DEFAULT expr] [NOT NULL | NULL]`: a changed default or
  // NOT NULL is altered in place too; a changed type or collation makes it again.
  const parts = (sql: string) => {
    const raw = sql.slice(0, sql.search(/\sCONSTRAINT\s/i) < 0 ? undefined : sql.search(/\sCONSTRAINT\s/i))
      .replace(/;\s*$/, "").trim();
    const notNull = /\sNOT\s+NULL$/i.test(raw);
    const rest = raw.replace(/\s(NOT\s+)?NULL$/i, "");
    const def = /\sDEFAULT\s([\s\S]+)$/i.exec(rest);
    // The written text is read only where it ends in the clauses above; anything else compares the whole head.
    const base = normalizeText(def ? rest.slice(0, def.index) : rest);
    return { base, notNull, def: def === null ? undefined : def[1]!.trim() };
  };
  const [pa, pb] = [parts(cur.sql), parts(des.sql)];
  if (pa.base !== pb.base || /\sDEFAULT\s/i.test(pa.base) || /\sDEFAULT\s/i.test(pb.base)) return undefined;
  const out: Change[] = [];
  const alter = (sql: string, description: string) =>
    out.push({ kind: "create_routine", sql: `ALTER DOMAIN ${q(des.name)} ${sql}`, description });
  if (normalizeText(pa.def ?? "") !== normalizeText(pb.def ?? "")) {
    if (pb.def === undefined) alter("DROP DEFAULT", `drop the default of domain ${des.name}`);
    else alter(`SET DEFAULT ${pb.def}`, `default of domain ${des.name}`);
  }
  if (pa.notNull && !pb.notNull) alter("DROP NOT NULL", `domain ${des.name} allows NULL`);
  for (const [name, check] of a.checks) {
    if (normalizeText(b.checks.get(name) ?? "") !== normalizeText(check)) {
      alter(`DROP CONSTRAINT ${q(name)}`, `drop check ${name} of domain ${des.name}`);
    }
  }
  for (const [name, check] of b.checks) {
    if (normalizeText(a.checks.get(name) ?? "") !== normalizeText(check)) {
      alter(`ADD CONSTRAINT ${q(name)} ${check}`, `add check ${name} to domain ${des.name}`);
    }
  }
  // NOT NULL last: a row's NULL makes it fail (and the migration roll back), never silently.
  if (!pa.notNull && pb.notNull) alter("SET NOT NULL", `domain ${des.name} refuses NULL`);
  return out;
}

function sameReturns(a: string, b: string): boolean {
  const returns = (s: string) =>
    /\bRETURNS\s+([\s\S]+?)\s+(LANGUAGE|AS|IMMUTABLE|STABLE|VOLATILE|STRICT|SECURITY|RETURN|BEGIN|PARALLEL|COST|ROWS|SET|WINDOW|LEAKPROOF|CALLED|SUPPORT|TRANSFORM)\b/i
      .exec(s)?.[1]?.toLowerCase().replace(/\s+/g, " ") ?? "";
  const proc = (s: string) => /^CREATE\s+(?:OR\s+REPLACE\s+)?PROCEDURE/i.test(s);
  return proc(a) === proc(b) && returns(a) === returns(b);
}
