/**
 * Helpers shared by the command modules: strict flag parsing, reading flag
 * values, and loading a public key argument.
 *
 * @module
 */

import { PatchopsError, UsageError } from "../errors.ts";
import { parsePublicKey, type PublicKey } from "../verify/minisign.ts";
import { decodeBase64 } from "../verify/base64.ts";
import { type FlagTable, type ParsedFlags, parseFlagTable } from "./_flags.ts";
import { MAX_HOOK_TIMEOUT } from "../apply/hooks.ts";

export type { FlagTable } from "./_flags.ts";

/** Parses `args` strictly against `table`; unknown flags and missing values become one-line `UsageError`s. */
export function parseFlags(args: string[], table: FlagTable): ParsedFlags {
  return parseFlagTable(args, table);
}

/** Flags every command takes. */
export const COMMON_FLAGS: FlagTable = {
  json: { type: "boolean", help: "print NDJSON events on stdout, ending with one result or error event" },
};

/** Flags that say how a package is authenticated, taken by `apply` and `verify`. */
export const TRUST_FLAGS: FlagTable = {
  "public-key": {
    type: "string",
    value: "<file|key>",
    help: "publisher's minisign public key: a .pub file or the key line",
  },
  "allow-unsigned": { type: "boolean", help: "accept a package without checking its signature (hash only)" },
  "allow-unsigned-operations": {
    type: "boolean",
    help: "accept a signature without a signed header (operations not authenticated)",
  },
  "require-signed-operations": { type: "boolean", help: "refuse a package that does not carry its operations" },
};

/** The values of {@linkcode TRUST_FLAGS}. */
export function trustFlags(values: Record<string, unknown>): {
  publicKey: string | undefined;
  allowUnsigned: boolean;
  requireSignedOperations: boolean;
  allowUnsignedOperations: boolean;
} {
  return {
    publicKey: stringFlag(values, "public-key"),
    allowUnsigned: values["allow-unsigned"] === true,
    requireSignedOperations: values["require-signed-operations"] === true,
    allowUnsignedOperations: values["allow-unsigned-operations"] === true,
  };
}

/** Flags that bound a download, taken by `apply` and `verify`. */
export const TRANSPORT_FLAGS: FlagTable = {
  timeout: { type: "string", value: "<s>", help: "seconds to wait for a connection or the next bytes", default: "30" },
  deadline: { type: "string", value: "<s>", help: "seconds the whole download may take", default: "3600" },
  "speed-limit": {
    type: "string",
    value: "<bytes/s>",
    help: "slowest average rate accepted over --speed-time",
    default: "1024",
  },
  "speed-time": { type: "string", value: "<s>", help: "window of the --speed-limit average", default: "60" },
};

/** The values of {@linkcode TRANSPORT_FLAGS}, checked. */
export function transportFlags(values: Record<string, unknown>): {
  timeoutSeconds: number;
  deadlineSeconds: number;
  speedLimit: number;
  speedTime: number;
} {
  return {
    timeoutSeconds: intFlag(values, "timeout", 30, 1),
    deadlineSeconds: intFlag(values, "deadline", 3600, 1),
    speedLimit: intFlag(values, "speed-limit", 1024, 0),
    speedTime: intFlag(values, "speed-time", 60, 1),
  };
}

/** Reads a string flag, or throws `UsageError` when required and absent. */
export function stringFlag(
  values: Record<string, unknown>,
  name: string,
  required: true,
): string;
export function stringFlag(
  values: Record<string, unknown>,
  name: string,
  required?: false,
): string | undefined;
export function stringFlag(
  values: Record<string, unknown>,
  name: string,
  required = false,
): string | undefined {
  const v = values[name];
  if (typeof v === "string") {
    if (v.length === 0) throw new UsageError(`--${name} must not be empty`);
    return v;
  }
  if (required) throw new UsageError(`missing --${name}`);
  return undefined;
}

/** Expects exactly `n` positional arguments named by `names`. */
export function positionals(list: string[], names: string[]): string[] {
  if (list.length < names.length) {
    throw new UsageError(
      `missing ${names.slice(list.length).map((n) => `<${n}>`).join(" ")}`,
    );
  }
  if (list.length > names.length) {
    throw new UsageError(`unexpected argument "${list[names.length]}"`);
  }
  return list;
}

/** Parses a positive integer flag. */
export function intFlag(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min = 0,
): number {
  const v = values[name];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !/^[0-9]+$/.test(v) || Number(v) < min) {
    throw new UsageError(
      `--${name} must be a whole number of at least ${min}, got "${v}"`,
    );
  }
  return Number(v);
}

/**
 * Loads `--public-key`: the base64 key line itself, or a path to a minisign
 * `.pub` file (or a file holding just the key line).
 */
export async function loadPublicKey(value: string): Promise<PublicKey> {
  const raw = decodeBase64(value);
  if (raw !== undefined && raw.length === 42) return parsePublicKey(value);
  let text: string;
  try {
    text = await Deno.readTextFile(value);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new PatchopsError(
        "KeyInvalid",
        `public key "${value}" is neither a key nor an existing file`,
      );
    }
    throw err;
  }
  return parsePublicKey(text);
}

export { formatBytes } from "../format.ts";

/** A manifest argument as it may be shown: a URL loses its user name and password. */
export function shownSource(source: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return source;
  try {
    const url = new URL(source);
    if (url.username === "" && url.password === "") return source;
    url.username = "";
    url.password = "";
    return url.href;
  } catch {
    return source;
  }
}

/** Flags of operator hooks, taken by `apply` and `rollback`. */
export const HOOK_FLAGS: FlagTable = {
  "hooks-dir": {
    type: "string",
    value: "<dir>",
    help: "operator hooks: <dir>/<stage> is a program or a directory of them",
    default: "/etc/patchops/hooks.d if it exists",
  },
  "hook-timeout": { type: "string", value: "<s>", help: "seconds a hook may run before it is killed", default: "300" },
};

/** The values of {@linkcode HOOK_FLAGS}; the default directory is looked up by {@linkcode resolveHooksDir}. */
export function hookFlags(values: Record<string, unknown>): { hooksDir: string | undefined; hookTimeout: number } {
  const hookTimeout = intFlag(values, "hook-timeout", 300, 1);
  if (hookTimeout > MAX_HOOK_TIMEOUT) {
    throw new UsageError(`--hook-timeout must be at most ${MAX_HOOK_TIMEOUT} seconds, got "${values["hook-timeout"]}"`);
  }
  return { hooksDir: stringFlag(values, "hooks-dir"), hookTimeout };
}

/** Where operator hooks live when `--hooks-dir` is not given (used only if it exists). */
export const DEFAULT_HOOKS_DIR = "/etc/patchops/hooks.d";

/**
 * The hooks directory to use: the flag's, else the default when anything
 * exists by that name (a link there is then refused, not ignored).
 */
export function resolveHooksDir(flag: string | undefined): string | undefined {
  if (flag !== undefined) return flag;
  try {
    Deno.lstatSync(DEFAULT_HOOKS_DIR);
    return DEFAULT_HOOKS_DIR;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable) return undefined;
    throw err;
  }
}
