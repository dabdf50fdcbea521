/**
 * MySQL/MariaDB quoting: the one place that writes identifiers and string
 * literals for this dialect.
 *
 * @module
 */

/** Quotes an identifier with backticks. */
export function quoteIdent(name: string): string {
  return "`" + name.replaceAll("`", "``") + "`";
}

/** Quotes a string literal the way MySQL prints it (backslash escapes). */
export function quoteString(value: string): string {
  return "'" + value.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'";
}
