/**
 * Formatting shared by the library and the CLI.
 *
 * @module
 */

/** Formats a byte count for people: `1.5 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** `1 file`, `2 files`; `plural(2, "directory", "directories")`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Makes untrusted text safe for a terminal or a log line: control characters
 * (C0, DEL, C1, so ESC and NUL too) become `\xNN` or `\u{NNNN}` escapes, and
 * text longer than `max` characters is cut with an ellipsis. JSON output is
 * not passed through here: JSON.stringify escapes what JSON needs.
 *
 * @example
 * ```ts
 * import { escapeText } from "./format.ts";
 * escapeText("ok\u001b[2Jfake"); // "ok\\x1b[2Jfake"
 * ```
 */
export function escapeText(text: string, max = 4000): string {
  // deno-lint-ignore no-control-regex
  let out = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
  if (out.length > max) out = `${out.slice(0, max)}…`;
  return out;
}
