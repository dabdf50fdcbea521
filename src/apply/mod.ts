/**
 * `apply` and `verify`: the library entry points the CLI calls.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { late } from "../late.ts";
import type { Manifest } from "../manifest.ts";
import type { ProgressCallback } from "../progress.ts";
import {
  canSyncFileSystem,
  forEachLimit,
  lstatOrUndefined,
  removeIfExists,
  syncDir,
  syncFile,
  syncFileSystem,
  writeFileAtomic,
} from "./_fs.ts";
import { checkStructure, type Plan, planSteps } from "./plan.ts";
import { prepareVerifier, receivePackage, type TransportOptions, type TrustOptions } from "./receive.ts";
import { asNoSpace, SpaceGuard } from "./space.ts";
import { checkEmbeddedOperations, OPERATIONS_MEMBER, SCHEMA_MEMBER } from "../signed_ops.ts";
import type { Workspace } from "./workspace.ts";
import { openBaseFile } from "./_base_files.ts";
import type { TrustPolicyOptions } from "./trust.ts";
import { checkHooks, type HookOptions, runHooks, type RunHooksOptions, runHooksOrThrow } from "./run_hooks.ts";
import { describeRun, type HookRun, type HookStage } from "./hooks.ts";
import { rollbackInSession } from "./rollback.ts";
import { PACKAGE_HOOK_MEMBERS, packageHooksOf, removePackageHooks, writePackageHooks } from "./package_hooks.ts";
import type { PackageHookEntry } from "../signed_ops.ts";
import { describeError } from "../errors.ts";

const CAPTURED: ReadonlySet<string> = new Set([OPERATIONS_MEMBER, SCHEMA_MEMBER, ...PACKAGE_HOOK_MEMBERS]);

/**
 * Runs the migration a package carries. Refuses without `db` unless
 * `skipDb`; a failed migration is recorded in `.patchops/migrations/` with
 * the statements that ran (MySQL cannot undo them) and stops the apply
 * before any file is committed.
 */
async function migrateCarried(
  ws: Workspace,
  id: string,
  manifest: Manifest,
  schemaSql: Uint8Array | undefined,
  options: ApplyOptions & { dryRun: boolean },
): Promise<ApplyResult["migration"]> {
  if (schemaSql === undefined || manifest.schemaDialect === undefined) {
    throw new PatchopsError(
      "StructureInvalid",
      schemaSql === undefined
        ? `the manifest names a ${manifest.schemaDialect} schema, but the package lacks "${SCHEMA_MEMBER}"`
        : `the package carries "${SCHEMA_MEMBER}", but the manifest names no schema dialect`,
    );
  }
  await checkDatabaseOption(manifest, options);
  if (options.db === undefined) {
    options.onWarning?.("skipping the database: the package's migration is not applied; only the files are");
    return undefined;
  }
  // The SQL modules and drivers are loaded only for packages that carry a schema.
  const { parseDbUrl } = await import("../sql/live/url.ts");
  const { MigrationError, migrateDatabase } = await late<typeof import("../sql/live/migrate.ts")>(
    "./sql/live/migrate.ts",
  );
  const url = parseDbUrl(options.db);
  const sql = new TextDecoder().decode(schemaSql);
  try {
    const r = await migrateDatabase(sql, options.db, {
      dryRun: options.dryRun,
      allowDestructive: options.allowDestructive ?? false,
    });
    return { planned: r.plan.changes.length, executed: r.executed, sql: r.plan.sql };
  } catch (err) {
    // A rolled-back migration left nothing; one that ran statements (MySQL) is recorded.
    if (err instanceof MigrationError && err.executed.length > 0) {
      const dir = `${ws.base}/migrations`;
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(
        `${dir}/${id}.json`,
        JSON.stringify({ id, db: url.display, failed: err.message, executed: err.executed }, null, 2) + "\n",
      );
    }
    throw err;
  }
}
/**
 * Refuses, before anything is fetched, a package whose manifest names a
 * schema when no database is given (and skipping it was not asked for), or
 * a database of another dialect.
 */
async function checkDatabaseOption(manifest: Manifest, options: ApplyOptions | undefined): Promise<void> {
  if (manifest.schemaDialect === undefined) return;
  if (options?.db === undefined) {
    if (options?.skipDb) return;
    throw new PatchopsError(
      "DbRequired",
      `the patch carries a ${manifest.schemaDialect} schema migration, and no database to migrate was given`,
    );
  }
  const { parseDbUrl } = await import("../sql/live/url.ts");
  const url = parseDbUrl(options.db);
  const family = (d: string) => (d === "mariadb" ? "mysql" : d);
  if (family(url.dialect) !== family(manifest.schemaDialect)) {
    throw new PatchopsError(
      "DbFailed",
      `the patch carries a ${manifest.schemaDialect} schema, but the database given is a ${url.dialect} database`,
    );
  }
}

import { readState } from "./state.ts";
import { compareVersions, isComparable } from "./version.ts";
import { commitTransaction, type Journal, type PointHook } from "./transaction.ts";
import { openInstallDir, Session } from "./session.ts";
import { newTxnId } from "./workspace.ts";

export type { TransportOptions, TrustOptions } from "./receive.ts";
export { openInstallDir, Session } from "./session.ts";

/** Options of {@linkcode applyPatch}. */
export interface ApplyOptions extends TrustOptions, TrustPolicyOptions, TransportOptions, HookOptions {
  /**
   * When a post-apply hook fails, roll the patch back (running the rollback hooks);
   * otherwise the new version stays and `HookFailed` says so.
   */
  rollbackOnHookFailure?: boolean | undefined;
  /**
   * Run the hooks a package carries (listed and pinned in its signed header). Without it a
   * package that carries hooks is refused (`PackageHooksNotAllowed`) before anything changes.
   */
  allowPackageHooks?: boolean | undefined;
  /** Stage, verify and plan, then stop without changing the install directory. */
  dryRun?: boolean;
  /**
   * Committed backups to keep for rollback.
   * @default 1
   */
  keep?: number;
  /** @default 30 */
  timeoutSeconds?: number;
  onProgress?: ProgressCallback;
  /** Non-fatal findings (a delete of a missing path, a stale lock taken over, recovery done). */
  onWarning?: (message: string) => void;
  /** Aborts the apply; a commit in progress is undone. */
  signal?: AbortSignal;
  /** Override the `from_version` and downgrade guards (with a warning). */
  force?: boolean;
  /** Refuse packages that do not carry their operations list (see `signed_ops.ts`). */
  requireSignedOperations?: boolean;
  /** Database to migrate to the schema the package carries (`mysql://`, `mariadb://`, `postgres://`, `sqlite:`). */
  db?: string;
  /** Apply the files of a package that carries a schema without migrating any database. */
  skipDb?: boolean;
  /** Let the carried migration run destructive statements. */
  allowDestructive?: boolean;
  /** Test hook: fail before commit step `n`. */
  failBeforeStep?: number;
  /** Test hook: called at named points of the transaction and of recovery. */
  onPoint?: PointHook;
}

/** What {@linkcode applyPatch} did (or, with `dryRun`, would do). */
export interface ApplyResult {
  id: string;
  dryRun: boolean;
  version: string;
  previousVersion: string | undefined;
  plan: Plan;
  bytes: number;
  signed: boolean;
  /** Bytes of the package taken from an earlier, interrupted download rather than fetched by this run. */
  resumedBytes: number;
  /** True when the version was installed already and nothing was done. */
  upToDate: boolean;
  /** The database migration the package carried, when one ran (or was planned, with `dryRun`). */
  migration: { planned: number; executed: string[]; sql: string } | undefined;
  /** The hooks that ran (with `dryRun`: none). */
  hooks: HookRun[];
  /** The hooks an apply would run, in order (with `dryRun`; otherwise empty). */
  plannedHooks: { stage: HookStage; name: string }[];
  /** The hooks the package carries, as its signed header lists them. */
  packageHooks: PackageHookEntry[];
}

/** Refuses a patch for another base version or a downgrade, unless forced. */
function checkVersion(
  manifest: Manifest,
  installed: string | undefined,
  force: boolean,
  onWarning: ((m: string) => void) | undefined,
): void {
  const problems: string[] = [];
  if (manifest.fromVersion !== undefined) {
    if (installed === undefined) {
      // A tree patchops did not install may be at any version: it must be adopted first.
      problems.push(
        `the patch is for version ${manifest.fromVersion}, but no version is recorded for this directory (adopt records one)`,
      );
    } else if (installed !== manifest.fromVersion) {
      problems.push(
        `the patch is for version ${manifest.fromVersion}, but ${installed} is installed`,
      );
    }
  }
  if (
    manifest.version !== undefined && isComparable(installed) &&
    compareVersions(manifest.version, installed) < 0
  ) {
    problems.push(
      `version ${manifest.version} is older than the installed ${installed} (a downgrade)`,
    );
  }
  if (problems.length === 0) return;
  if (!force) throw new PatchopsError("VersionGuard", problems.join("; "));
  for (const p of problems) onWarning?.(`forced: ${p}`);
}

/**
 * Applies `manifest` to the install directory `dir` as one transaction:
 * lock, recover, fetch and verify while staging, check, plan, commit.
 * Any failure leaves the directory as it was. When an installed file that
 * a delta applies to was changed locally, and the manifest names a full
 * fallback package, that package is applied instead (a warning says so).
 */
export async function applyPatch(
  manifest: Manifest,
  dir: string,
  options?: ApplyOptions,
): Promise<ApplyResult> {
  try {
    return await applyOnce(manifest, dir, options);
  } catch (err) {
    const fb = manifest.fallback;
    if (!(err instanceof PatchopsError) || err.code !== "DeltaBaseMismatch" || fb === undefined) throw err;
    // Refused before anything changed: the full package goes through the same checks from the start.
    options?.onWarning?.(`${err.message}; applying the full-file package instead`);
    return await applyOnce({ ...manifest, ...fb, fallback: undefined }, dir, options);
  }
}

async function applyOnce(
  manifest: Manifest,
  dir: string,
  options?: ApplyOptions,
): Promise<ApplyResult> {
  const {
    dryRun = false,
    keep = 1,
    timeoutSeconds = 30,
    onProgress,
    onWarning,
    signal,
    force = false,
  } = options ?? {};
  const startedAt = Date.now();
  prepareVerifier(manifest, options ?? {});
  const ws = await openInstallDir(dir, options);
  const session = await Session.open(ws, dryRun ? "apply (dry run)" : "apply", {
    keep,
    onWarning,
    onPoint: options?.onPoint,
  });
  const id = newTxnId();
  const txnDir = ws.txnDir(id);
  let journaled = false;
  let failure: unknown;
  try {
    const state = await readState(ws);
    const version = manifest.version ?? `sha256:${manifest.sha256}`;
    if (state.version === version && !force) {
      onWarning?.(`version ${version} is installed already; nothing to do (forcing applies it again)`);
      return {
        id,
        dryRun,
        version,
        previousVersion: state.version,
        plan: {
          steps: [],
          warnings: [],
          counts: { files: 0, directories: 0, deleted: 0, bytes: 0 },
        },
        bytes: 0,
        signed: false,
        resumedBytes: 0,
        upToDate: true,
        migration: undefined,
        hooks: [],
        plannedHooks: [],
        packageHooks: [],
      };
    }
    // Everything the manifest alone can tell is checked before the first byte is fetched,
    // and so are the hooks: a refused hooks directory stops the apply before it starts.
    checkVersion(manifest, state.version, force, onWarning);
    const hookOptions: RunHooksOptions = { ...(options ?? {}), signal, onWarning };
    const plannedHooks = checkHooks(
      options?.rollbackOnHookFailure
        ? ["pre-apply", "post-apply", "pre-rollback", "post-rollback"]
        : ["pre-apply", "post-apply"],
      hookOptions,
    );
    await checkDatabaseOption(manifest, options);
    const space = new SpaceGuard(ws.base);
    if (manifest.size !== undefined) await space.require(manifest.size, "the package (the size its manifest declares)");
    await Deno.mkdir(`${txnDir}/staging`, { recursive: true, mode: 0o700 });
    const batchSync = canSyncFileSystem();
    const progress = await withResumable(onProgress, manifest, ws);
    const received = await receivePackage(manifest, `${txnDir}/staging`, {
      ...(options ?? {}),
      downloadDir: ws.downloadsBase,
      show: (p) => ws.show(p),
      capture: CAPTURED,
      // The compressed size is a floor for what staging needs; a kept
      // download copy needs as much again.
      // The package bounds what is fetched; a kept download copy is written beside staging, so
      // its bytes are spent before the first file is staged.
      onSize: (bytes, keepsCopy) =>
        bytes === undefined ? Promise.resolve() : space.require(bytes, "the package", keepsCopy),
      beforeFile: (size) => space.beforeFile(size),
      openBase: (path) => openBaseFile(ws.tree, path),
      // The journal must not name unsynced data: staged files are fsynced as they are
      // written, unless one syncfs after staging can cover them all.
      sync: batchSync ? "batch" : "each",
      ...(batchSync ? { flushStaged: () => syncFileSystem(`${txnDir}/staging`) } : {}),
      timeoutSeconds,
      startedAt,
      ...(progress ? { onProgress: progress } : {}),
      ...(signal ? { signal } : {}),
      arch: manifest.arch,
    });
    const { staged } = received;
    if (!received.headerChecked) {
      checkEmbeddedOperations(manifest, staged.captured, {
        require: options?.requireSignedOperations ?? false,
        onWarning,
      });
    }
    checkStructure(manifest.operations, staged);
    const carried = packageHooksOf(staged.captured, received.headerChecked && received.signed);
    if (carried.length > 0 && !dryRun && !options?.allowPackageHooks) {
      throw new PatchopsError(
        "PackageHooksNotAllowed",
        `the package carries ${
          carried.map((h) => `a ${h.stage} hook`).join(" and ")
        }, and running package hooks was not allowed; nothing ran and nothing was changed`,
      );
    }
    const plan = await planSteps(ws, manifest.operations, staged, options);
    for (const w of plan.warnings) onWarning?.(w);
    const result: ApplyResult = {
      id,
      dryRun,
      version,
      previousVersion: state.version,
      plan,
      bytes: received.bytes,
      signed: received.signed,
      resumedBytes: received.resumedFrom,
      upToDate: false,
      migration: undefined,
      hooks: [],
      plannedHooks: dryRun ? withPackageHooks(plannedHooks, carried) : [],
      packageHooks: carried.map(({ stage, sha256, size }) => ({ stage, sha256, size })),
    };
    if (carried.length > 0 && dryRun && !options?.allowPackageHooks) {
      onWarning?.("the package carries hooks: the apply is refused unless running package hooks is allowed");
    }
    if (!dryRun) hookOptions.packageHooks = await writePackageHooks(ws, id, carried);
    const hookEnv = { installDir: ws.root, oldVersion: state.version, newVersion: version, txnId: id };
    if (!dryRun) {
      // After staging and every check, before the database or the first rename: a failure changes nothing.
      result.hooks.push(
        ...await runHooksOrThrow(
          ws,
          "pre-apply",
          { ...hookEnv, stagingDir: ws.forChild(`${txnDir}/staging`) },
          hookOptions,
          "nothing was changed",
        ),
      );
    }
    // The database moves after the files are verified and before they are committed.
    const schemaSql = staged.captured.get(SCHEMA_MEMBER);
    if (schemaSql !== undefined || manifest.schemaDialect !== undefined) {
      result.migration = await migrateCarried(ws, id, manifest, schemaSql, { ...(options ?? {}), dryRun });
    }
    if (dryRun) return result;

    onProgress?.({
      phase: "sync",
      files: staged.files,
      elapsedMs: Date.now() - startedAt,
    });
    // One syncfs covers any number of files, but it also flushes whatever else is dirty on
    // that file system: for a handful of files, fsyncs of their own are cheaper and do not
    // wait for other writers.
    const viaSyncfs = batchSync && staged.files > FEW_FILES && (await syncFileSystem(`${txnDir}/staging`));
    if (!viaSyncfs) {
      const dirs: string[] = [`${txnDir}/staging`];
      const files: string[] = [];
      for (const [path, e] of staged.entries) {
        if (e.type === "directory") dirs.push(`${txnDir}/staging/${path}`);
        else if (batchSync && e.type === "file") files.push(`${txnDir}/staging/${path}`);
      }
      await forEachLimit(files, 32, syncFile);
      await forEachLimit(dirs, 32, syncDir);
    }

    const journal: Journal = {
      format: 1,
      id,
      kind: "apply",
      state: "prepared",
      source: `txn/${id}/staging`,
      backup: `txn/${id}/backup`,
      origin: manifest.sha256,
      version,
      previousVersion: state.version,
      createdAt: new Date().toISOString(),
      steps: plan.steps,
    };
    journaled = true;
    await commitTransaction(ws, journal, {
      keep,
      onStep: (done, total) =>
        onProgress?.({
          phase: "commit",
          steps: done,
          totalSteps: total,
          elapsedMs: Date.now() - startedAt,
        }),
      ...(signal ? { interrupted: () => signal.aborted } : {}),
      ...(options?.failBeforeStep !== undefined ? { failBeforeStep: options.failBeforeStep } : {}),
      ...(options?.onPoint ? { onPoint: options.onPoint } : {}),
    });
    onProgress?.({
      phase: "done",
      bytes: received.bytes,
      elapsedMs: Date.now() - startedAt,
    });
    const post = await runHooks(ws, "post-apply", hookEnv, hookOptions);
    result.hooks.push(...post.runs);
    if (post.failed !== undefined) {
      const what = describeRun(post.failed);
      if (!options?.rollbackOnHookFailure) {
        throw new PatchopsError(
          "HookFailed",
          `${what}; ${version} stays installed (rollback restores ${state.version ?? "the previous tree"})`,
        );
      }
      try {
        await rollbackInSession(ws, {
          keep,
          hooksDir: options.hooksDir,
          hookTimeoutSeconds: options.hookTimeoutSeconds,
          onHookOutput: options.onHookOutput,
          onHookRun: options.onHookRun,
          ...(signal ? { signal } : {}),
          ...(onWarning ? { onWarning } : {}),
        });
      } catch (err) {
        throw new PatchopsError("HookFailed", `${what}; rolling back failed too (${describeError(err)})`, {
          cause: err,
        });
      }
      throw new PatchopsError("HookFailed", `${what}; rolled back to ${state.version ?? "the previous tree"}`);
    }
    return result;
  } catch (err) {
    failure = asNoSpace(err);
    throw failure;
  } finally {
    // Before the journal exists the working area is only staging; after,
    // commitTransaction has either finished or undone it. A clean-up that
    // fails never hides the error that led to it: it follows that error.
    await cleanUp(
      failure,
      async () => {
        if (!journaled) await removeIfExists(txnDir);
      },
      () => ws.isOpen ? removePackageHooks(ws, id) : Promise.resolve(),
      () => session.close(),
    );
  }
}

/** The planned hook list with the package's hooks in the place they would run. */
function withPackageHooks(
  planned: { stage: HookStage; name: string }[],
  carried: { stage: HookStage }[],
): { stage: HookStage; name: string }[] {
  const out: { stage: HookStage; name: string }[] = [];
  for (const stage of ["pre-apply", "post-apply"] as const) {
    const operator = planned.filter((h) => h.stage === stage);
    const pkg = carried.filter((h) => h.stage === stage).map(() => ({ stage, name: `package:${stage}` }));
    out.push(...(stage === "pre-apply" ? [...operator, ...pkg] : [...pkg, ...operator]));
  }
  return [...out, ...planned.filter((h) => h.stage !== "pre-apply" && h.stage !== "post-apply")];
}

/**
 * Marks download events with the size of a partial download kept from an
 * earlier run (receive.ts keeps it as `downloads/<sha256>.part`), so that a
 * rate is measured over this run's bytes only. Only its size is read: a
 * planted file there costs nothing but a wrong hint.
 */
async function withResumable(
  onProgress: ProgressCallback | undefined,
  manifest: Manifest,
  ws: Workspace,
): Promise<ProgressCallback | undefined> {
  if (onProgress === undefined || !/^https?:$/.test(manifest.url.protocol)) return onProgress;
  const kept = (await lstatOrUndefined(`${ws.downloadsBase}/${manifest.sha256}.part`))?.size ?? 0;
  if (kept === 0) return onProgress;
  return (e) => onProgress(e.phase === "download" ? { ...e, resumable: kept } : e);
}

/**
 * Runs clean-up steps after a success or a `failure`. A clean-up error after
 * a failure is appended to the failure's message rather than replacing it;
 * after a success it is thrown.
 */
export async function cleanUp(failure: unknown, ...steps: (() => Promise<void>)[]): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first === undefined) return;
  if (failure instanceof Error) {
    failure.message += `; clean-up failed too (${first instanceof Error ? first.message : String(first)})`;
    return;
  }
  throw first;
}

/** Up to this many staged files are fsynced one by one even where one syncfs could do. */
const FEW_FILES = 64;

/** Options of {@linkcode verifyPackage}. */
export interface VerifyOptions extends TrustOptions, TransportOptions {
  requireSignedOperations?: boolean;
  onWarning?: (message: string) => void;
  timeoutSeconds?: number;
  onProgress?: ProgressCallback;
  /** Stops the download; the scratch directory is removed. */
  signal?: AbortSignal;
}

/** What {@linkcode verifyPackage} found. */
export interface VerifyResult {
  /** The hooks the package carries, as its signed header lists them (checked against the bytes). */
  hooks: PackageHookEntry[];
  bytes: number;
  files: number;
  /** Files shipped as deltas (format 3); they are rebuilt only by apply, against the installed files. */
  deltas: number;
  signed: boolean;
  trustedComment: string | undefined;
}

/**
 * Does everything `apply` does before touching an install directory, in a
 * scratch directory that is removed afterwards: fetch, hash, signature,
 * extraction under the policy, and the structure check.
 */
export async function verifyPackage(
  manifest: Manifest,
  options?: VerifyOptions,
): Promise<VerifyResult> {
  prepareVerifier(manifest, options ?? {});
  const scratch = await Deno.makeTempDir({ prefix: "patchops-verify-" });
  try {
    const received = await receivePackage(manifest, scratch, {
      ...(options ?? {}),
      capture: CAPTURED,
      timeoutSeconds: options?.timeoutSeconds ?? 30,
      ...(options?.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options?.signal ? { signal: options.signal } : {}),
      arch: manifest.arch,
    });
    if (!received.headerChecked) {
      checkEmbeddedOperations(manifest, received.staged.captured, {
        require: options?.requireSignedOperations ?? false,
        onWarning: options?.onWarning,
      });
    }
    checkStructure(manifest.operations, received.staged);
    const hooks = packageHooksOf(received.staged.captured, received.headerChecked && received.signed);
    return {
      hooks: hooks.map(({ stage, sha256, size }) => ({ stage, sha256, size })),
      bytes: received.bytes,
      files: received.staged.files,
      deltas: received.staged.deltas ?? 0,
      signed: received.signed,
      trustedComment: received.trustedComment,
    };
  } finally {
    await removeIfExists(scratch);
  }
}
