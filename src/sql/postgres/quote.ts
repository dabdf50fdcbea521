/**
 * PostgreSQL quoting: the one place that writes identifiers and string
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
