/**
 * Every line the CLI shows a person goes through here, so that text from a
 * manifest, an archive, a server or a state file cannot move the cursor,
 * erase a line or fake a result. JSON lines are printed as they are.
 *
 * @module
 */

import { escapeText } from "../format.ts";

/** Prints a result line on stdout, escaped. */
export function printOut(...parts: unknown[]): void {
  console.log(parts.map((p) => escapeText(String(p))).join(" "));
}

/** Prints a message on stderr, escaped; embedded newlines are kept as line breaks. */
export function printErr(...parts: unknown[]): void {
  console.error(
    parts.map((p) => String(p).split("\n").map((l) => escapeText(l)).join("\n")).join(" "),
  );
}
