/**
 * `patchops create --from <old> --to <new> --out <dir>`.
 *
 * @module
 */

import { createPatch } from "../create/mod.ts";
import { formatBytes, parseFlags, positionals, stringFlag } from "./_common.ts";
import { loadSecretKey } from "./_secret.ts";
import { UsageError } from "../errors.ts";
import { SCHEMA_DIALECTS } from "../manifest.ts";
import type { Dialect } from "../sql/mod.ts";
import { printErr, printOut } from "./_print.ts";

/** Usage line of the command. */
export const usage =
  "patchops create --from <old-dir> --to <new-dir> --out <out-dir> [--url <url>] [--secret-key <file>] [--version <v>] [--from-version <v>] [--notes <text>] [--mtime <epoch>] [--schema <file> --schema-dialect <d>] [--compression gzip|zstd] [--arch <arch>]";

/** Parsed flags of `create`. */
export interface CreateFlags {
  from: string;
  to: string;
  out: string;
  url: string | undefined;
  secretKey: string | undefined;
  version: string | undefined;
  /** Architecture signed into the package header; any when absent. */
  arch: string | undefined;
  fromVersion: string | undefined;
  notes: string | undefined;
  mtime: number;
  schema: string | undefined;
  schemaDialect: string | undefined;
  compression: "gzip" | "zstd";
}

/** Parses `create`'s arguments. Pure; throws `UsageError`. */
export function parseCreateArgs(args: string[]): CreateFlags {
  const { values, positionals: pos } = parseFlags(args, {
    from: { type: "string" },
    to: { type: "string" },
    out: { type: "string" },
    url: { type: "string" },
    "secret-key": { type: "string" },
    version: { type: "string" },
    arch: { type: "string" },
    "from-version": { type: "string" },
    notes: { type: "string" },
    mtime: { type: "string" },
    schema: { type: "string" },
    "schema-dialect": { type: "string" },
    compression: { type: "string" },
  });
  positionals(pos, []);
  const mtime = stringFlag(values, "mtime");
  if (mtime !== undefined && !/^[0-9]+$/.test(mtime)) {
    throw new UsageError(`--mtime must be seconds since 1970, got "${mtime}"`);
  }
  return {
    from: stringFlag(values, "from", true),
    to: stringFlag(values, "to", true),
    out: stringFlag(values, "out", true),
    url: stringFlag(values, "url"),
    secretKey: stringFlag(values, "secret-key"),
    version: stringFlag(values, "version"),
    arch: stringFlag(values, "arch"),
    fromVersion: stringFlag(values, "from-version"),
    notes: stringFlag(values, "notes"),
    mtime: mtime === undefined ? 0 : Number(mtime),
    schema: stringFlag(values, "schema"),
    schemaDialect: stringFlag(values, "schema-dialect"),
    compression: compressionFlag(stringFlag(values, "compression")),
  };
}

function compressionFlag(value: string | undefined): "gzip" | "zstd" {
  if (value === undefined || value === "gzip" || value === "zstd") return value ?? "gzip";
  throw new UsageError(`--compression must be gzip or zstd, got "${value}"`);
}

/** What the command was doing, for its error line. */
export function describe(flags: CreateFlags): string {
  return `cannot create a patch from "${flags.from}" to "${flags.to}"`;
}

/** Runs `create`; returns the exit code. */
export async function run(flags: CreateFlags): Promise<number> {
  const secretKey = flags.secretKey ? await loadSecretKey(flags.secretKey) : undefined;
  let schema: { sql: string; dialect: Dialect } | undefined;
  if (flags.schema) {
    const dialect = flags.schemaDialect ?? "mysql";
    if (!SCHEMA_DIALECTS.includes(dialect)) {
      throw new UsageError(`--schema-dialect must be one of ${SCHEMA_DIALECTS.join(", ")}, got "${dialect}"`);
    }
    schema = { sql: await Deno.readTextFile(flags.schema), dialect: dialect as Dialect };
  }
  const r = await createPatch(flags.from, flags.to, flags.out, {
    ...(flags.url ? { url: flags.url } : {}),
    ...(secretKey ? { secretKey } : {}),
    ...(flags.version ? { version: flags.version } : {}),
    arch: flags.arch,
    ...(flags.fromVersion ? { fromVersion: flags.fromVersion } : {}),
    ...(flags.notes ? { notes: flags.notes } : {}),
    mtime: flags.mtime,
    ...(schema ? { schema } : {}),
    compression: flags.compression,
  });
  const o = r.operations;
  if (!r.signed) {
    printErr(
      "warning: no --secret-key: the manifest carries no signature",
    );
  }
  printOut(
    `wrote ${r.manifestPath} and ${r.packagePath} (${
      formatBytes(r.bytes)
    }, ${r.members} members): ${o.replaceFiles.length} files and ${o.replaceDirectories.length} directories replaced, ${
      o.deleteFiles.length + o.deleteDirectories.length
    } paths deleted`,
  );
  return 0;
}
