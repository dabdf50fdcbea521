/**
 * MySQL/MariaDB type, charset and default normalisation.
 *
 * @module
 */

import type { ColumnType } from "../model.ts";
import { quoteString } from "./quote.ts";

const SYNONYMS: Record<string, string> = {
  integer: "int",
  int4: "int",
  int8: "bigint",
  int1: "tinyint",
  int2: "smallint",
  int3: "mediumint",
  middleint: "mediumint",
  dec: "decimal",
  numeric: "decimal",
  fixed: "decimal",
  real: "double",
  "double precision": "double",
  float8: "double",
  float4: "float",
  character: "char",
  "character varying": "varchar",
  nchar: "char",
  nvarchar: "varchar",
  "national char": "char",
  "national varchar": "varchar",
  "long varchar": "mediumtext",
  long: "mediumtext",
};

/** Integer types, whose display width is cosmetic. */
export const INTEGER_TYPES = new Set(["tinyint", "smallint", "mediumint", "int", "bigint"]);
/** Types that hold text and so carry a charset and collation. */
export const TEXT_TYPES = new Set(["char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"]);
const NUMERIC_TYPES = new Set([...INTEGER_TYPES, "decimal", "float", "double", "bit"]);

/** Whether literal defaults of this type print unquoted. */
export function isNumericType(t: ColumnType): boolean {
  return NUMERIC_TYPES.has(t.base);
}

/** Builds a canonical type from the parts node-sql-parser reports. */
export function normalizeType(
  dataType: string,
  length: number | undefined,
  scale: number | undefined,
  suffix: string[],
  values: string[] | undefined,
): ColumnType {
  let base = dataType.toLowerCase().replace(/\s+/g, " ").trim();
  base = SYNONYMS[base] ?? base;
  const unsigned = suffix.some((s) => /unsigned/i.test(s));
  const zerofill = suffix.some((s) => /zerofill/i.test(s));
  let args: string[] = [];
  if (base === "bool" || base === "boolean") return { base: "tinyint", args: ["1"], unsigned, zerofill };
  if (values !== undefined) args = values.map((v) => quoteString(v));
  else if (length !== undefined && length !== null) {
    args = scale !== undefined && scale !== null ? [String(length), String(scale)] : [String(length)];
  }
  if (INTEGER_TYPES.has(base)) {
    // Display widths are cosmetic, except tinyint(1) (read as boolean by many clients) and with zerofill,
    // which implies unsigned and pads to the type's full unsigned width by default.
    if (zerofill) {
      const widths: Record<string, string> = { tinyint: "3", smallint: "5", mediumint: "8", int: "10", bigint: "20" };
      if (args.length === 0) args = [widths[base]!];
      return { base, args, unsigned: true, zerofill };
    }
    if (!(base === "tinyint" && args[0] === "1")) args = [];
  } else if (base === "decimal") {
    if (args.length === 0) args = ["10", "0"];
    else if (args.length === 1) args = [args[0]!, "0"];
  } else if (base === "char" || base === "binary") {
    if (args.length === 0) args = ["1"];
  } else if (base === "bit") {
    if (args.length === 0) args = ["1"];
  } else if (base === "year") {
    args = [];
  } else if (["datetime", "timestamp", "time"].includes(base) && args[0] === "0") {
    args = [];
  }
  return { base, args, unsigned, zerofill };
}

/** Prints a type: `int unsigned`, `varchar(191)`, `enum('a','b')`. */
export function printType(t: ColumnType): string {
  let s = t.base;
  if (t.args.length > 0) s += `(${t.args.join(",")})`;
  if (t.unsigned) s += " unsigned";
  if (t.zerofill) s += " zerofill";
  return s;
}

/** Charset aliases as MariaDB reports them. */
export function normalizeCharset(cs: string): string {
  const c = cs.toLowerCase();
  return c === "utf8" ? "utf8mb3" : c;
}

/** Normalises a collation name (utf8_* is utf8mb3_* in MariaDB 10.6+). */
export function normalizeCollation(co: string): string {
  const c = co.toLowerCase();
  return c.startsWith("utf8_") ? `utf8mb3_${c.slice(5)}` : c;
}

const DEFAULT_COLLATION: Record<string, string> = {
  utf8mb4: "utf8mb4_general_ci",
  utf8mb3: "utf8mb3_general_ci",
  latin1: "latin1_swedish_ci",
  ascii: "ascii_general_ci",
  binary: "binary",
  ucs2: "ucs2_general_ci",
  utf16: "utf16_general_ci",
  utf32: "utf32_general_ci",
  cp1251: "cp1251_general_ci",
  sjis: "sjis_japanese_ci",
  ujis: "ujis_japanese_ci",
  gbk: "gbk_chinese_ci",
  big5: "big5_chinese_ci",
  euckr: "euckr_korean_ci",
  latin2: "latin2_general_ci",
  greek: "greek_general_ci",
  hebrew: "hebrew_general_ci",
};

/** The charset and collation a (charset, collate) pair means. */
export function resolveCharset(
  charset: string | undefined,
  collate: string | undefined,
): { charset: string; collate: string } | undefined {
  if (charset === undefined && collate === undefined) return undefined;
  const co = collate ? normalizeCollation(collate) : undefined;
  const cs = charset ? normalizeCharset(charset) : co === "binary" ? "binary" : co!.split("_")[0]!;
  return { charset: cs, collate: co ?? DEFAULT_COLLATION[cs] ?? `${cs}_general_ci` };
}

/** Canonical value of a literal default for a column of type `t`. */
export function canonicalLiteral(t: ColumnType, raw: string | number | boolean): string {
  if (typeof raw === "boolean") return raw ? "1" : "0";
  const text = String(raw);
  if (INTEGER_TYPES.has(t.base)) {
    if (/^[+-]?\d+(\.0*)?$/.test(text.trim())) return String(BigInt(text.trim().replace(/\.0*$/, "")));
    if (/^true$/i.test(text)) return "1";
    if (/^false$/i.test(text)) return "0";
    return text;
  }
  if (t.base === "decimal" && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text.trim())) {
    return Number(text).toFixed(Number(t.args[1] ?? 0));
  }
  if ((t.base === "float" || t.base === "double") && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim())) {
    return String(Number(text));
  }
  return text;
}
