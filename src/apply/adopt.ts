/**
 * Records the version of a tree that patchops did not install, so that the
 * first patch's `from_version` can be checked against it.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { openInstallDir, Session } from "./session.ts";
import { readState, writeState } from "./state.ts";
import type { TrustPolicyOptions } from "./trust.ts";
import { newTxnId } from "./workspace.ts";

/** Options of {@linkcode adoptVersion}. */
export interface AdoptOptions extends TrustPolicyOptions {
  /** Replace a version that is recorded already. @default false */
  force?: boolean | undefined;
  /** Non-fatal findings (a stale lock taken over, recovery done). */
  onWarning?: ((message: string) => void) | undefined;
}

/** What {@linkcode adoptVersion} recorded. */
export interface AdoptResult {
  /** The version recorded now. */
  version: string;
  /** The version recorded before, if any. */
  previousVersion: string | undefined;
  /** False when `version` was recorded already and nothing changed. */
  changed: boolean;
}

/**
 * Records `version` as the installed version of `dir`, under the lock and
 * after recovery, like every command that changes a directory. A different
 * version recorded already is kept unless `force`: that record came from an
 * apply, which knows better than the caller.
 */
export async function adoptVersion(dir: string, version: string, options?: AdoptOptions): Promise<AdoptResult> {
  if (version.trim() === "" || version.length > 256) {
    throw new PatchopsError("StateInvalid", `version "${version}" is empty or too long to record`);
  }
  const ws = await openInstallDir(dir, options);
  const session = await Session.open(ws, "adopt", { onWarning: options?.onWarning });
  try {
    const state = await readState(ws);
    if (state.version === version) return { version, previousVersion: version, changed: false };
    if (state.version !== undefined && !options?.force) {
      throw new PatchopsError(
        "VersionGuard",
        `version ${state.version} is recorded already; adopting ${version} would replace that record`,
      );
    }
    const at = new Date().toISOString();
    await writeState(ws, {
      ...state,
      version,
      appliedAt: at,
      history: [...state.history, {
        id: newTxnId(),
        kind: "adopt",
        version,
        previousVersion: state.version,
        hash: undefined,
        at,
        steps: 0,
      }],
    });
    return { version, previousVersion: state.version, changed: true };
  } finally {
    await session.close();
  }
}
