/**
 * SQLite quoting: the one place that writes identifiers and string
 * literals for this dialect.
 *
 * @module
 */

/** Quotes an identifier with double quotes. */
export function quoteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

/** Quotes a string literal the SQL-standard way (doubled quotes, no backslash escapes). */
export function quoteString(value: string): string {
  return "'" + value.replaceAll("'", "''") + "'";
}

/**
 * Quotes an identifier inside an expression with backticks, which SQLite
 * also accepts: node-sql-parser's sqlite grammar reads a double-quoted name
 * as a string in some positions (generated columns), so the text patchops
 * stores and re-parses would not read back. CHECKs, never read that way,
 * are printed with double quotes.
 */
export function quoteExprIdent(name: string): string {
  return "`" + name.replaceAll("`", "``") + "`";
}
