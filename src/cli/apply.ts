/**
 * `patchops apply <manifest> --dir <dir>`.
 *
 * @module
 */

import { applyPatch, openInstallDir } from "../apply/mod.ts";
import { listDownloads } from "../apply/receive.ts";
import { readState } from "../apply/state.ts";
import { loadManifest } from "../manifest.ts";
import {
  COMMON_FLAGS,
  type FlagTable,
  formatBytes,
  HOOK_FLAGS,
  hookFlags,
  intFlag,
  loadPublicKey,
  parseFlags,
  positionals,
  shownSource,
  stringFlag,
  TRANSPORT_FLAGS,
  transportFlags,
  TRUST_FLAGS,
  trustFlags,
} from "./_common.ts";
import { helpText, usageLine } from "./_flags.ts";
import { plural } from "../format.ts";
import { createProgressReporter } from "./_progress.ts";
import { printErr, printOut } from "./_print.ts";
import type { Output } from "./_output.ts";
import { hookOptions, hookSummary } from "./_hooks.ts";

/** Flags of `apply`. */
export const flags: FlagTable = {
  dir: { type: "string", value: "<dir>", required: true, help: "install directory to patch" },
  ...TRUST_FLAGS,
  arch: { type: "string", value: "<arch>", help: "architecture to install", default: "this host's" },
  "dry-run": { type: "boolean", help: "fetch, verify and plan, then stop without changing anything" },
  keep: { type: "string", value: "<n>", help: "committed backups kept for rollback", default: "1" },
  force: { type: "boolean", help: "apply over a version mismatch, a downgrade, or the same version" },
  db: { type: "string", value: "<url>", help: "database to migrate when the patch carries a schema" },
  "skip-db": { type: "boolean", help: "apply only the files of a patch that carries a schema" },
  "allow-destructive": { type: "boolean", help: "let the carried migration drop columns or tables" },
  "allow-untrusted-owner": { type: "boolean", help: "accept an install directory writable by another user" },
  ...HOOK_FLAGS,
  "rollback-on-hook-failure": { type: "boolean", help: "roll the patch back when a post-apply hook fails" },
  "allow-package-hooks": { type: "boolean", help: "run the hooks a signed package carries (refused without)" },
  ...TRANSPORT_FLAGS,
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("apply", "<manifest>", flags);

/** `--help` text. */
export const help: string = helpText(
  "apply",
  "apply a signed patch to an install directory as one transaction",
  "<manifest>",
  flags,
  "<manifest> is a path or an http(s) URL. Ctrl-C stops the apply and leaves the directory as it was;\na partial download is kept and the next apply resumes it.",
);

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
  hooksDir: string | undefined;
  hookTimeout: number;
  rollbackOnHookFailure: boolean;
  allowPackageHooks: boolean;
}

/** Parses `apply`'s arguments. Pure; throws `UsageError`. */
export function parseApplyArgs(args: string[]): ApplyFlags {
  const { values, positionals: pos } = parseFlags(args, flags);
  const [manifest] = positionals(pos, ["manifest"]);
  return {
    manifest: manifest!,
    dir: stringFlag(values, "dir", true),
    ...trustFlags(values),
    ...transportFlags(values),
    arch: stringFlag(values, "arch"),
    dryRun: values["dry-run"] === true,
    json: values.json === true,
    keep: intFlag(values, "keep", 1, 0),
    force: values.force === true,
    db: stringFlag(values, "db"),
    skipDb: values["skip-db"] === true,
    allowDestructive: values["allow-destructive"] === true,
    allowUntrustedOwner: values["allow-untrusted-owner"] === true,
    ...hookFlags(values),
    rollbackOnHookFailure: values["rollback-on-hook-failure"] === true,
    allowPackageHooks: values["allow-package-hooks"] === true,
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: ApplyFlags): string {
  return `cannot apply "${shownSource(flags.manifest)}" to "${flags.dir}"`;
}

/** Runs `apply`; returns the exit code. */
export async function run(flags: ApplyFlags, out: Output): Promise<number> {
  const publicKey = flags.publicKey ? await loadPublicKey(flags.publicKey) : undefined;
  const manifest = await loadManifest(flags.manifest, {
    timeoutSeconds: flags.timeoutSeconds,
    deadlineSeconds: flags.deadlineSeconds,
    minRate: { bytesPerSecond: flags.speedLimit, windowSeconds: flags.speedTime },
    ...(flags.arch ? { arch: flags.arch } : {}),
  });
  if (!publicKey && flags.allowUnsigned) {
    out.warn("--allow-unsigned: the package's signature is not checked, only its hash");
  }
  const reporter = createProgressReporter({ json: flags.json });
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
        out.warn(m);
      },
      signal: out.signal,
      force: flags.force,
      ...(flags.db ? { db: flags.db } : {}),
      skipDb: flags.skipDb,
      allowDestructive: flags.allowDestructive,
      allowUntrustedOwner: flags.allowUntrustedOwner,
      ...hookOptions(flags, out, () => reporter.finish()),
      rollbackOnHookFailure: flags.rollbackOnHookFailure,
      allowPackageHooks: flags.allowPackageHooks,
    });
    reporter.finish();
    if (result.migration && !flags.json) {
      const m = result.migration;
      printErr(
        flags.dryRun
          ? `database: ${m.planned} schema change(s) planned, nothing changed`
          : `database: ${m.executed.length} statement(s) ran; the schema matches the patch`,
      );
      if (flags.dryRun) printOut(m.sql.trimEnd());
    }
    const { counts, steps } = result.plan;
    if (flags.json) {
      out.event("result", {
        exitCode: 0,
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
        resumedBytes: result.resumedBytes,
        // Nothing fetched, nothing checked: neither signed nor unsigned.
        signed: result.upToDate ? null : result.signed,
        migration: result.migration ?? null,
        steps,
        hooks: result.hooks.map(hookSummary),
        plannedHooks: result.plannedHooks,
        packageHooks: result.packageHooks,
      });
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
      for (const h of result.plannedHooks) printOut(`  hook ${h.name} (${h.stage})`);
      for (const h of result.packageHooks) {
        printOut(`  package hook ${h.stage}: sha256 ${h.sha256}, ${formatBytes(h.size)}`);
      }
    } else {
      printOut(
        `applied ${result.version} to ${flags.dir}: ${summary(counts)}`,
      );
    }
    return 0;
  } finally {
    reporter.finish();
  }
}

/** What an interrupted apply left: the directory as it was, and any partial download kept to resume. */
export async function kept(flags: ApplyFlags): Promise<string> {
  const ws = await openInstallDir(flags.dir, { allowUntrustedOwner: flags.allowUntrustedOwner });
  try {
    ws.openBase(false);
    // Stopped during the post-apply hooks: the patch is committed, so the directory is not as it was.
    const state = ws.isOpen ? await readState(ws) : undefined;
    const hook = state?.hooks?.at(-1);
    if (hook?.stage === "post-apply" && hook.outcome === "interrupted" && state?.history.at(-1)?.id === hook.txn) {
      return `${flags.dir} has ${state.version} installed: the patch was committed, and its post-apply hook "${hook.name}" was stopped`;
    }
    const parts = ws.isOpen ? (await listDownloads(ws.downloadsBase)).filter((d) => d.name.endsWith(".part")) : [];
    const size = parts.reduce((n, d) => n + d.size, 0);
    return `${flags.dir} is as it was` +
      (parts.length
        ? `; the partial download (${
          formatBytes(size)
        }) is kept and the next apply resumes it (recover --discard-downloads removes it)`
        : "");
  } finally {
    ws.close();
  }
}

/** The apply stops itself at the next chunk or commit step, undoing what it did. */
export const abortable = true;

function summary(
  c: { files: number; directories: number; deleted: number; bytes: number },
): string {
  return `${plural(c.files, "file")} replaced, ${plural(c.directories, "directory", "directories")} replaced, ${
    plural(c.deleted, "path")
  } deleted, ${formatBytes(c.bytes)}`;
}
