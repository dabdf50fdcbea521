/**
 * The command line's own flag parser: one table per command drives parsing,
 * the usage line and `--help`, so a flag cannot be accepted without being
 * documented. Every failure is one `UsageError` line, with a suggestion for a
 * misspelt flag. Pure: no I/O.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** One flag of a command. */
export interface FlagSpec {
  type: "string" | "boolean";
  /** One-letter alias (`-W`). */
  short?: string;
  /** Placeholder of the value in help (`<n>`); string flags only. */
  value?: string;
  /** What the flag does, one line. */
  help: string;
  /** The default as shown in help, when there is one worth saying. */
  default?: string;
  /** Listed in the usage line without brackets. */
  required?: boolean;
  /** Accepted but not listed (an old spelling). */
  hidden?: boolean;
  /** May be given more than once; the values are joined with NUL (which no argument holds). */
  repeatable?: boolean;
}

/** Flags of a command by long name (without `--`). */
export type FlagTable = Record<string, FlagSpec>;

/** What {@linkcode parseFlagTable} found. */
export interface ParsedFlags {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` against `table`: `--name value`, `--name=value`, `-x`,
 * and `--` ending the flags. A string flag takes the next argument even when
 * it starts with `-` (so `--keep -1` reaches the range check), unless that
 * argument is one of the command's own flags.
 */
export function parseFlagTable(args: string[], table: FlagTable): ParsedFlags {
  const values: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(table).flatMap(([n, s]) => s.short ? [[s.short, n] as const] : []));
  const isOwnFlag = (a: string) =>
    a.startsWith("--") ? a.slice(2).split("=")[0]! in table : /^-[A-Za-z]$/.test(a) && byShort.has(a.slice(1));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      const long = arg.length === 2 ? byShort.get(arg.slice(1)) : undefined;
      if (long === undefined) throw unknownFlag(arg, table);
      name = long;
    }
    const spec = table[name];
    if (spec === undefined) throw unknownFlag(`--${name}`, table);
    if (name in values && !spec.repeatable) throw new UsageError(`--${name} is given more than once`);
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value, got "${inline}"`);
      values[name] = true;
      continue;
    }
    if (inline === undefined) {
      const next = args[i + 1];
      if (next === undefined || isOwnFlag(next)) {
        throw new UsageError(`--${name} needs a value ${spec.value ?? "<value>"}`);
      }
      inline = next;
      i++;
    }
    const before = values[name];
    values[name] = typeof before === "string" ? `${before}\0${inline}` : inline;
  }
  return { values, positionals };
}

function unknownFlag(flag: string, table: FlagTable): UsageError {
  const names = Object.keys(table).map((n) => `--${n}`);
  const guess = suggest(flag, names);
  return new UsageError(`unknown flag ${flag}${guess ? ` (did you mean ${guess}?)` : ""}`);
}

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // A third of the word may be wrong (at least one edit, at most three): "aply", "--dryrun", "--forse".
  const allowed = Math.min(3, Math.max(1, Math.floor(word.replace(/^-+/, "").length / 3)));
  if (best !== undefined && bestDistance <= allowed) return best;
  // A unique prefix is a guess too: "--allow-unt" for "--allow-untrusted-owner".
  const prefixed = candidates.filter((c) => c.startsWith(word));
  return word.replace(/^-+/, "").length >= 2 && prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Damerau-Levenshtein distance (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The usage line: `patchops <command> <positionals> --required <v> [--flag <v>] ...`. */
export function usageLine(command: string, positionals: string, table: FlagTable): string {
  const parts = [`patchops ${command}`];
  if (positionals) parts.push(positionals);
  for (const [name, s] of Object.entries(table)) {
    if (s.hidden) continue;
    const flag = s.type === "string" ? `--${name} ${s.value ?? "<value>"}` : `--${name}`;
    parts.push(s.required ? flag : `[${flag}]`);
  }
  return parts.join(" ");
}

/** `--help` text: the summary, the usage, and one line per flag with its default. */
export function helpText(
  command: string,
  summary: string,
  positionals: string,
  table: FlagTable,
  extra?: string,
): string {
  const rows = Object.entries(table).filter(([, s]) => !s.hidden).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : ""}--${name}${s.type === "string" ? ` ${s.value ?? "<value>"}` : ""}`;
    const notes = [s.required ? "required" : "", s.default !== undefined ? `default: ${s.default}` : ""]
      .filter((n) => n !== "");
    return [flag, `${s.help}${notes.length ? ` (${notes.join("; ")})` : ""}`] as const;
  });
  rows.push(["-h, --help", "show this help"]);
  const required = Object.entries(table).filter(([, s]) => s.required).map(([n, s]) =>
    s.type === "string" ? ` --${n} ${s.value ?? "<value>"}` : ` --${n}`
  );
  const width = Math.max(...rows.map(([f]) => f.length));
  return [
    `patchops ${command}: ${summary}`,
    "",
    `usage: patchops ${command}${positionals ? ` ${positionals}` : ""}${required.join("")} [flags]`,
    "",
    "flags:",
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
    ...(extra ? ["", extra] : []),
  ].join("\n");
}
