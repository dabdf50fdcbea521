/**
 * `patchops apply <manifest> --dir <dir>`.
 *
 * @module
 */

import { applyPatch } from "../apply/mod.ts";
import { loadManifest } from "../manifest.ts";
import { formatBytes, intFlag, loadPublicKey, parseFlags, positionals, shownSource, stringFlag } from "./_common.ts";
import { createProgressReporter } from "./_progress.ts";
import { printErr, printOut } from "./_print.ts";

/** Usage line of the command. */
export const usage =
  "patchops apply <manifest> --dir <dir> [--public-key <file|key>] [--allow-unsigned] [--allow-unsigned-operations] [--require-signed-operations] [--arch <arch>] [--dry-run] [--json] [--keep <n>] [--timeout <s>] [--deadline <s>] [--speed-limit <bytes/s>] [--speed-time <s>] [--force] [--db <url> | --skip-db] [--allow-destructive] [--allow-untrusted-owner]";

/** Parsed flags of `apply`. */
export interface ApplyFlags {
  manifest: string;
  dir: string;
  publicKey: string | undefined;
  allowUnsigned: boolean;
  requireSignedOperations: boolean;
  allowUnsignedOperations: boolean;
  deadlineSeconds: number;
  speedLimit: number;
  speedTime: number;
  arch: string | undefined;
  dryRun: boolean;
  json: boolean;
  keep: number;
  timeoutSeconds: number;
  force: boolean;
  db: string | undefined;
  skipDb: boolean;
  allowDestructive: boolean;
  allowUntrustedOwner: boolean;
}

/** Parses `apply`'s arguments. Pure; throws `UsageError`. */
export function parseApplyArgs(args: string[]): ApplyFlags {
  const { values, positionals: pos } = parseFlags(args, {
    dir: { type: "string" },
    "public-key": { type: "string" },
    "allow-unsigned": { type: "boolean" },
    "require-signed-operations": { type: "boolean" },
    "allow-unsigned-operations": { type: "boolean" },
    deadline: { type: "string" },
    "speed-limit": { type: "string" },
    "speed-time": { type: "string" },
    arch: { type: "string" },
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
    keep: { type: "string" },
    timeout: { type: "string" },
    force: { type: "boolean" },
    db: { type: "string" },
    "skip-db": { type: "boolean" },
    "allow-destructive": { type: "boolean" },
    "allow-untrusted-owner": { type: "boolean" },
  });
  const [manifest] = positionals(pos, ["manifest"]);
  return {
    manifest: manifest!,
    dir: stringFlag(values, "dir", true),
    publicKey: stringFlag(values, "public-key"),
    allowUnsigned: values["allow-unsigned"] === true,
    requireSignedOperations: values["require-signed-operations"] === true,
    allowUnsignedOperations: values["allow-unsigned-operations"] === true,
    deadlineSeconds: intFlag(values, "deadline", 3600, 1),
    speedLimit: intFlag(values, "speed-limit", 1024, 0),
    speedTime: intFlag(values, "speed-time", 60, 1),
    arch: stringFlag(values, "arch"),
    dryRun: values["dry-run"] === true,
    json: values.json === true,
    keep: intFlag(values, "keep", 1, 0),
    timeoutSeconds: intFlag(values, "timeout", 30, 1),
    force: values.force === true,
    db: stringFlag(values, "db"),
    skipDb: values["skip-db"] === true,
    allowDestructive: values["allow-destructive"] === true,
    allowUntrustedOwner: values["allow-untrusted-owner"] === true,
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: ApplyFlags): string {
  return `cannot apply "${shownSource(flags.manifest)}" to "${flags.dir}"`;
}

/** Runs `apply`; returns the exit code. */
export async function run(flags: ApplyFlags): Promise<number> {
  const publicKey = flags.publicKey ? await loadPublicKey(flags.publicKey) : undefined;
  const manifest = await loadManifest(flags.manifest, {
    timeoutSeconds: flags.timeoutSeconds,
    ...(flags.arch ? { arch: flags.arch } : {}),
  });
  if (!publicKey && flags.allowUnsigned) {
    printErr(
      "warning: --allow-unsigned: the package's signature is not checked, only its hash",
    );
  }
  const reporter = createProgressReporter({ json: flags.json });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    const result = await applyPatch(manifest, flags.dir, {
      publicKey,
      allowUnsigned: flags.allowUnsigned,
      requireSignedOperations: flags.requireSignedOperations,
      allowUnsignedOperations: flags.allowUnsignedOperations,
      deadlineSeconds: flags.deadlineSeconds,
      minRate: { bytesPerSecond: flags.speedLimit, windowSeconds: flags.speedTime },
      dryRun: flags.dryRun,
      keep: flags.keep,
      timeoutSeconds: flags.timeoutSeconds,
      onProgress: reporter.onProgress,
      onWarning: (m) => {
        reporter.finish();
        printErr(`warning: ${m}`);
      },
      signal: abort.signal,
      force: flags.force,
      ...(flags.db ? { db: flags.db } : {}),
      skipDb: flags.skipDb,
      allowDestructive: flags.allowDestructive,
      allowUntrustedOwner: flags.allowUntrustedOwner,
    });
    if (result.migration && !flags.json) {
      const m = result.migration;
      printErr(
        flags.dryRun
          ? `database: ${m.planned} schema change(s) planned, nothing changed`
          : `database: ${m.executed.length} statement(s) ran; the schema matches the patch`,
      );
      if (flags.dryRun) printOut(m.sql.trimEnd());
    }
    reporter.finish();
    const { counts, steps } = result.plan;
    if (flags.json) {
      console.log(JSON.stringify({
        event: "result",
        dryRun: result.dryRun,
        upToDate: result.upToDate,
        id: result.id,
        version: result.version,
        previousVersion: result.previousVersion ?? null,
        filesReplaced: counts.files,
        directoriesReplaced: counts.directories,
        pathsDeleted: counts.deleted,
        bytes: counts.bytes,
        packageBytes: result.bytes,
        signed: result.signed,
        migration: result.migration ?? null,
        steps,
      }));
    } else if (result.upToDate) {
      printOut(
        `${flags.dir} is at ${result.version} already: nothing applied`,
      );
    } else if (flags.dryRun) {
      printOut(`plan for ${result.version} (dry run, nothing changed):`);
      for (const s of steps) {
        const verb = s.action === "delete" ? "delete " : s.hadTarget ? "replace" : "create ";
        printOut(`  ${verb} ${s.path}`);
      }
      printOut(summary(counts));
    } else {
      printOut(
        `applied ${result.version} to ${flags.dir}: ${summary(counts)}`,
      );
    }
    return 0;
  } finally {
    reporter.finish();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

function summary(
  c: { files: number; directories: number; deleted: number; bytes: number },
): string {
  return `${c.files} files replaced, ${c.directories} directories replaced, ${c.deleted} paths deleted, ${
    formatBytes(c.bytes)
  }`;
}
