/**
 * A locked install directory with recovery done: what every command that
 * changes a directory opens first.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { DirLock, type LockHolder } from "./lock.ts";
import { type PointHook, recover, type RecoverReport } from "./transaction.ts";
import { Workspace } from "./workspace.ts";
import { DirTree } from "./_dirs.ts";
import { removeSync } from "./_fs.ts";
import { checkInstallDirTrust, type TrustPolicyOptions } from "./trust.ts";
import { markCrashedHooks } from "./run_hooks.ts";
import { removePackageHooks } from "./package_hooks.ts";

/**
 * Resolves the install directory and checks it against the ownership
 * policy (see `trust.ts`). The working area is opened by the caller.
 */
export async function openInstallDir(dir: string, options?: TrustPolicyOptions): Promise<Workspace> {
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
  checkInstallDirTrust(real, options);
  return new Workspace(real, new DirTree(real));
}

/** A locked workspace with recovery done; {@linkcode Session.close} undoes what opening created. */
export class Session {
  readonly ws: Workspace;
  readonly lock: DirLock;
  readonly recovered: RecoverReport;
  /** Transactions whose hook was running when an earlier patchops died (see `run_hooks.ts`). */
  readonly crashedHooks: string[] = [];
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
    options?: {
      keep?: number;
      onWarning?: ((m: string) => void) | undefined;
      onPoint?: PointHook | undefined;
    },
  ): Promise<Session> {
    const createdBase = ws.openBase(true) === "created";
    let lock: DirLock;
    try {
      lock = await DirLock.acquire(ws.lockPath, command, ws.show(ws.lockPath));
    } catch (err) {
      if (createdBase) await Deno.remove(ws.basePath).catch(() => {});
      ws.close();
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
      const report = await recover(ws, options?.keep ?? 1, options?.onPoint);
      (session as { recovered: RecoverReport }).recovered = report;
      for (const id of report.rolledBack) {
        options?.onWarning?.(
          `recovered: rolled back interrupted transaction ${id}`,
        );
      }
      for (const id of report.finished) {
        options?.onWarning?.(`recovered: finished committed transaction ${id}`);
      }
      for (const path of report.leftMissing ?? []) {
        options?.onWarning?.(
          `recovered: ${JSON.stringify(path)} was in neither its place nor the backup and is left missing, as found`,
        );
      }
      session.crashedHooks.push(...await markCrashedHooks(ws, options?.onWarning));
      // Package hooks live only as long as the apply that wrote them.
      await removePackageHooks(ws);
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  /** Releases the lock; removes `.patchops/` again if this session created it and left nothing in it. */
  async close(): Promise<void> {
    try {
      await this.lock.release();
      // Only empty directories go: non-recursive removal fails on anything else.
      for (const p of [this.ws.txnBase, this.ws.downloadsBase]) removeQuietly(p);
      if (this.#createdBase) removeQuietly(this.ws.basePath);
    } finally {
      this.ws.close();
    }
  }
}

function removeQuietly(path: string): void {
  try {
    removeSync(path);
  } catch {
    // Not empty, or not there: left as it is.
  }
}

function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host} ("${h.command}", since ${h.since})`;
}
