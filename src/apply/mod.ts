/**
 * `apply` and `verify`: the library entry points the CLI calls.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import type { Manifest } from "../manifest.ts";
import type { ProgressCallback } from "../progress.ts";
import { forEachLimit, removeIfExists, syncDir, syncFile } from "./_fs.ts";
import { DirLock, type LockHolder } from "./lock.ts";
import { checkStructure, type Plan, planSteps } from "./plan.ts";
import {
  prepareVerifier,
  receivePackage,
  type TrustOptions,
} from "./receive.ts";
import { readState } from "./state.ts";
import {
  commitTransaction,
  type Journal,
  recover,
  type RecoverReport,
} from "./transaction.ts";
import { newTxnId, Workspace } from "./workspace.ts";

export type { TrustOptions } from "./receive.ts";

/** Options of {@linkcode applyPatch}. */
export interface ApplyOptions extends TrustOptions {
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
  /** Test hook: fail before commit step `n`. */
  failBeforeStep?: number;
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
}

/** Resolves and checks the install directory. */
export async function openInstallDir(dir: string): Promise<Workspace> {
  let real: string;
  try {
    real = await Deno.realPath(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new PatchopsError(
        "StructureInvalid",
        `install directory "${dir}" does not exist`,
      );
    }
    throw err;
  }
  const info = await Deno.stat(real);
  if (!info.isDirectory) {
    throw new PatchopsError(
      "StructureInvalid",
      `install directory "${dir}" is not a directory`,
    );
  }
  return new Workspace(real);
}

/** A locked workspace with recovery done; {@linkcode Session.close} undoes what opening created. */
export class Session {
  readonly ws: Workspace;
  readonly lock: DirLock;
  readonly recovered: RecoverReport;
  #createdBase: boolean;

  private constructor(
    ws: Workspace,
    lock: DirLock,
    recovered: RecoverReport,
    createdBase: boolean,
  ) {
    this.ws = ws;
    this.lock = lock;
    this.recovered = recovered;
    this.#createdBase = createdBase;
  }

  /**
   * Creates `.patchops/` if needed, takes the lock and runs recovery,
   * reporting a stale lock or a repair through `onWarning`.
   */
  static async open(
    ws: Workspace,
    command: string,
    options?: { keep?: number; onWarning?: ((m: string) => void) | undefined },
  ): Promise<Session> {
    let createdBase = false;
    try {
      await Deno.mkdir(ws.base, { mode: 0o755 });
      createdBase = true;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    let lock: DirLock;
    try {
      lock = await DirLock.acquire(ws.lockPath, command);
    } catch (err) {
      if (createdBase) {
        await Deno.remove(ws.base, { recursive: true }).catch(() => {});
      }
      throw err;
    }
    const session = new Session(ws, lock, {
      rolledBack: [],
      finished: [],
      discarded: [],
    }, createdBase);
    if (lock.staleHolder) {
      options?.onWarning?.(
        `took over a stale lock left by ${describeHolder(lock.staleHolder)}`,
      );
    }
    try {
      const report = await recover(ws, options?.keep ?? 1);
      (session as { recovered: RecoverReport }).recovered = report;
      for (const id of report.rolledBack) {
        options?.onWarning?.(
          `recovered: rolled back interrupted transaction ${id}`,
        );
      }
      for (const id of report.finished) {
        options?.onWarning?.(`recovered: finished committed transaction ${id}`);
      }
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  /** Releases the lock; removes `.patchops/` again if this session created it and left nothing in it. */
  async close(): Promise<void> {
    await this.lock.release();
    if (this.#createdBase) {
      for (const p of [this.ws.txnBase, this.ws.base]) {
        await Deno.remove(p).catch(() => {});
      }
    }
  }
}

function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host} ("${h.command}", since ${h.since})`;
}

/**
 * Applies `manifest` to the install directory `dir` as one transaction:
 * lock, recover, fetch and verify while staging, check, plan, commit.
 * Any failure leaves the directory as it was.
 */
export async function applyPatch(
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
  } = options ?? {};
  const startedAt = Date.now();
  const verifier = prepareVerifier(manifest, options ?? {});
  const ws = await openInstallDir(dir);
  const session = await Session.open(ws, dryRun ? "apply --dry-run" : "apply", {
    keep,
    onWarning,
  });
  const id = newTxnId();
  const txnDir = ws.txnDir(id);
  let journaled = false;
  try {
    const state = await readState(ws);
    await Deno.mkdir(`${txnDir}/staging`, { recursive: true, mode: 0o700 });
    const received = await receivePackage(manifest, `${txnDir}/staging`, {
      verifier,
      timeoutSeconds,
      startedAt,
      ...(onProgress ? { onProgress } : {}),
      ...(signal ? { signal } : {}),
    });
    const { staged } = received;
    checkStructure(manifest.operations, staged);
    const plan = await planSteps(ws, manifest.operations, staged);
    for (const w of plan.warnings) onWarning?.(w);
    const version = manifest.version ?? `sha256:${manifest.sha256}`;
    const result: ApplyResult = {
      id,
      dryRun,
      version,
      previousVersion: state.version,
      plan,
      bytes: received.bytes,
      signed: received.signed,
    };
    if (dryRun) return result;

    onProgress?.({
      phase: "sync",
      files: staged.files,
      elapsedMs: Date.now() - startedAt,
    });
    const files: string[] = [];
    const dirs: string[] = [`${txnDir}/staging`];
    for (const [path, e] of staged.entries) {
      if (e.type === "file") files.push(`${txnDir}/staging/${path}`);
      else if (e.type === "directory") dirs.push(`${txnDir}/staging/${path}`);
    }
    await forEachLimit(files, 32, syncFile);
    await forEachLimit(dirs, 32, syncDir);

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
      ...(options?.failBeforeStep !== undefined
        ? { failBeforeStep: options.failBeforeStep }
        : {}),
    });
    onProgress?.({
      phase: "done",
      bytes: received.bytes,
      elapsedMs: Date.now() - startedAt,
    });
    return result;
  } finally {
    // Before the journal exists the working area is only staging; after,
    // commitTransaction has either finished or undone it.
    if (!journaled) await removeIfExists(txnDir);
    await session.close();
  }
}

/** Options of {@linkcode verifyPackage}. */
export interface VerifyOptions extends TrustOptions {
  timeoutSeconds?: number;
  onProgress?: ProgressCallback;
}

/** What {@linkcode verifyPackage} found. */
export interface VerifyResult {
  bytes: number;
  files: number;
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
  const verifier = prepareVerifier(manifest, options ?? {});
  const scratch = await Deno.makeTempDir({ prefix: "patchops-verify-" });
  try {
    const received = await receivePackage(manifest, scratch, {
      verifier,
      timeoutSeconds: options?.timeoutSeconds ?? 30,
      ...(options?.onProgress ? { onProgress: options.onProgress } : {}),
    });
    checkStructure(manifest.operations, received.staged);
    return {
      bytes: received.bytes,
      files: received.staged.files,
      signed: received.signed,
      trustedComment: received.trustedComment,
    };
  } finally {
    await removeIfExists(scratch);
  }
}
