/**
 * `patchops create --from <old> --to <new> --out <dir>`.
 *
 * @module
 */

import { createPatch } from "../create/mod.ts";
import { COMMON_FLAGS, type FlagTable, formatBytes, parseFlags, positionals, stringFlag } from "./_common.ts";
import { helpText, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { loadSecretKey } from "./_secret.ts";
import { UsageError } from "../errors.ts";
import { SCHEMA_DIALECTS } from "../manifest.ts";
import type { Dialect } from "../sql/mod.ts";
import { printOut } from "./_print.ts";
import { plural } from "../format.ts";

/** Flags of `create`. */
export const flags: FlagTable = {
  from: { type: "string", value: "<old-dir>", required: true, help: "tree as installed now" },
  to: { type: "string", value: "<new-dir>", required: true, help: "tree after the patch" },
  out: { type: "string", value: "<out-dir>", required: true, help: "where patch.json and the package are written" },
  url: {
    type: "string",
    value: "<url>",
    help: "package URL written into the manifest",
    default: "the package's file name",
  },
  "secret-key": { type: "string", value: "<file>", help: "minisign secret key to sign with (unsigned without)" },
  version: { type: "string", value: "<v>", help: "version the patch installs" },
  "from-version": { type: "string", value: "<v>", help: "version the patch must be applied to" },
  notes: { type: "string", value: "<text>", help: "release notes written into the manifest" },
  mtime: { type: "string", value: "<epoch>", help: "modification time of every member", default: "0" },
  schema: { type: "string", value: "<file>", help: "target database schema the patch carries" },
  "schema-dialect": {
    type: "string",
    value: "<d>",
    help: "dialect of --schema: mysql, mariadb, postgres or sqlite",
    default: "mysql",
  },
  compression: {
    type: "string",
    value: "gzip|zstd",
    help: "package compression",
    default: "gzip, or zstd -19 with --delta",
  },
  arch: { type: "string", value: "<arch>", help: "architecture signed into the package header", default: "any" },
  force: { type: "boolean", help: "overwrite an existing manifest or package in --out" },
  hook: {
    type: "string",
    value: "<stage>=<file>",
    help: "ship a package hook (pre-apply or post-apply), pinned in the signed header; repeatable",
    repeatable: true,
  },
  delta: { type: "boolean", help: "ship changed files as binary deltas against the old ones where smaller" },
  "delta-fallback": {
    type: "boolean",
    help: "with --delta, also write a full-file package to <out>/full/ for installs changed locally",
  },
  "delta-min-size": {
    type: "string",
    value: "<bytes>",
    help: "smallest changed file considered for --delta",
    default: "1024",
  },
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("create", "", flags);

/** `--help` text. */
export const help: string = helpText("create", "build a patch package and manifest from two trees", "", flags);

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
  force: boolean;
  notes: string | undefined;
  mtime: number;
  schema: string | undefined;
  schemaDialect: string | undefined;
  /** Unset: gzip, or zstd with --delta. */
  compression: "gzip" | "zstd" | undefined;
  /** Package hooks by stage: file paths. */
  hooks: { stage: "pre-apply" | "post-apply"; file: string }[];
  /** Ship deltas; files below `deltaMinSize` bytes go whole. */
  delta: boolean;
  /** With `delta`, a full-file fallback package too. */
  deltaFallback: boolean;
  deltaMinSize: number | undefined;
}

/** Parses `create`'s arguments. Pure; throws `UsageError`. */
export function parseCreateArgs(args: string[]): CreateFlags {
  const { values, positionals: pos } = parseFlags(args, flags);
  positionals(pos, []);
  const mtime = stringFlag(values, "mtime");
  if (mtime !== undefined && !/^[0-9]+$/.test(mtime)) {
    throw new UsageError(`--mtime must be seconds since 1970, got "${mtime}"`);
  }
  const minSize = stringFlag(values, "delta-min-size");
  if (minSize !== undefined && !/^[0-9]{1,15}$/.test(minSize)) {
    throw new UsageError(`--delta-min-size must be a number of bytes, got "${minSize}"`);
  }
  if (values["delta-fallback"] === true && values.delta !== true) {
    throw new UsageError("--delta-fallback goes with --delta");
  }
  return {
    delta: values.delta === true,
    deltaFallback: values["delta-fallback"] === true,
    deltaMinSize: minSize === undefined ? undefined : Number(minSize),
    from: stringFlag(values, "from", true),
    to: stringFlag(values, "to", true),
    out: stringFlag(values, "out", true),
    url: stringFlag(values, "url"),
    secretKey: stringFlag(values, "secret-key"),
    version: stringFlag(values, "version"),
    arch: stringFlag(values, "arch"),
    fromVersion: stringFlag(values, "from-version"),
    force: values.force === true,
    notes: stringFlag(values, "notes"),
    mtime: mtime === undefined ? 0 : Number(mtime),
    schema: stringFlag(values, "schema"),
    schemaDialect: stringFlag(values, "schema-dialect"),
    compression: compressionFlag(stringFlag(values, "compression")),
    hooks: hookArgs(stringFlag(values, "hook")),
  };
}

function hookArgs(value: string | undefined): CreateFlags["hooks"] {
  if (value === undefined) return [];
  const out: CreateFlags["hooks"] = [];
  for (const arg of value.split("\0")) {
    const eq = arg.indexOf("=");
    const stage = arg.slice(0, eq);
    if (eq < 0 || arg.length === eq + 1) throw new UsageError(`--hook must be <stage>=<file>, got "${arg}"`);
    if (stage !== "pre-apply" && stage !== "post-apply") {
      throw new UsageError(`--hook stage must be pre-apply or post-apply, got "${stage}"`);
    }
    if (out.some((h) => h.stage === stage)) throw new UsageError(`--hook ${stage} is given more than once`);
    out.push({ stage, file: arg.slice(eq + 1) });
  }
  return out;
}

function compressionFlag(value: string | undefined): "gzip" | "zstd" | undefined {
  if (value === undefined || value === "gzip" || value === "zstd") return value;
  throw new UsageError(`--compression must be gzip or zstd, got "${value}"`);
}

/** What the command was doing, for its error line. */
export function describe(flags: CreateFlags): string {
  return `cannot create a patch from "${flags.from}" to "${flags.to}"`;
}

/** Runs `create`; returns the exit code. */
export async function run(flags: CreateFlags, out: Output): Promise<number> {
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
    overwrite: flags.force,
    hooks: await Promise.all(flags.hooks.map(async (h) => ({ stage: h.stage, bytes: await Deno.readFile(h.file) }))),
    delta: flags.delta ? { minSize: flags.deltaMinSize, fallback: flags.deltaFallback } : undefined,
  });
  const o = r.operations;
  if (!r.signed) out.warn("no --secret-key: the manifest carries no signature");
  const changes = o.replaceFiles.length + o.replaceDirectories.length + o.deleteFiles.length +
    o.deleteDirectories.length;
  if (changes === 0 && schema === undefined) {
    out.warn(`"${flags.from}" and "${flags.to}" have the same files: the patch changes nothing`);
  }
  if (out.json) {
    out.event("result", {
      exitCode: 0,
      manifest: r.manifestPath,
      package: r.packagePath,
      bytes: r.bytes,
      members: r.members,
      signed: r.signed,
      deltas: r.deltas,
      operations: o,
    });
    return 0;
  }
  const deleted = o.deleteFiles.length + o.deleteDirectories.length;
  printOut(
    `wrote ${r.manifestPath} and ${r.packagePath} (${formatBytes(r.bytes)}, ${plural(r.members, "member")}): ${
      plural(o.replaceFiles.length, "file")
    } and ${plural(o.replaceDirectories.length, "directory", "directories")} replaced, ${
      plural(deleted, "path")
    } deleted${r.deltas ? `, ${plural(r.deltas, "file")} as deltas` : ""}`,
  );
  return 0;
}
