/**
 * Who may write where: the ownership policy for install directories and for
 * patchops' own working area, after logrotate's "insecure permissions" check
 * and sshd's StrictModes.
 *
 * - A directory is trusted when its owner is root or the user running
 *   patchops and no other user can write it (group- or world-writable only
 *   with the sticky bit, as `/tmp` has, for directories above the install
 *   directory).
 * - The install directory, every directory above it, and every existing
 *   directory inside it on the way to a target must be trusted, unless the
 *   caller accepts untrusted owners; then every rename goes through pinned
 *   directories (`_dirs.ts`), which needs Linux and every permission.
 * - `.patchops/` and everything in it belong to the running user, are never
 *   symlinks and are not writable by group or others.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { canPinDirectories } from "./_dirs.ts";

let uid: number | undefined;

/**
 * The user id patchops runs as. `Deno.uid()` needs `--allow-sys=uid`;
 * without it, the owner of a file just created in `probeDir` tells.
 */
export function currentUid(probeDir: string): number {
  if (uid !== undefined) return uid;
  try {
    uid = Deno.uid() ?? undefined;
  } catch {
    // No permission: probe below.
  }
  if (uid === undefined) {
    const probe = `${probeDir}/.patchops-uid-${crypto.randomUUID()}`;
    const file = Deno.openSync(probe, { write: true, createNew: true, mode: 0o600 });
    try {
      uid = file.statSync().uid ?? 0;
    } finally {
      file.close();
      Deno.removeSync(probe);
    }
  }
  return uid;
}

/** Why a directory is not trusted, or `undefined` when it is. */
export function untrustedBecause(info: Deno.FileInfo, me: number, stickyOk: boolean): string | undefined {
  const mode = info.mode ?? 0;
  if (info.uid !== null && info.uid !== 0 && info.uid !== me) return `is owned by uid ${info.uid}`;
  if ((mode & 0o022) !== 0 && !(stickyOk && (mode & 0o1000) !== 0)) {
    return (mode & 0o002) !== 0 ? "is writable by all users" : "is writable by its group";
  }
  return undefined;
}

/** Options of {@linkcode checkInstallDirTrust}. */
export interface TrustPolicyOptions {
  /**
   * Accept an install directory (or directories in it) that other users can
   * write. Every rename then goes through pinned directories.
   * @default false
   */
  allowUntrustedOwner?: boolean | undefined;
}

/**
 * Checks the install directory and every directory above it. Throws
 * `UntrustedOwner` when another user could write them, unless accepted (and
 * pinning is available to make that safe).
 */
export function checkInstallDirTrust(root: string, options?: TrustPolicyOptions): void {
  const me = currentUid(root);
  const problems: string[] = [];
  const own = untrustedBecause(Deno.lstatSync(root), me, false);
  if (own) problems.push(`"${root}" ${own}`);
  for (let p = root; p !== "/";) {
    p = p.slice(0, p.lastIndexOf("/")) || "/";
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(p);
    } catch (err) {
      // Under permissions scoped to the install directory, Deno lets nothing above it be
      // inspected: the operator who scoped them vouches for those directories (README).
      if (err instanceof Deno.errors.NotCapable) break;
      throw err;
    }
    const why = untrustedBecause(info, me, true);
    if (why) problems.push(`"${p}" above it ${why}`);
  }
  if (problems.length === 0) return;
  refuseUntrusted(problems.join("; "), options);
}

/** Refuses an untrusted directory unless accepted; accepted only where pinning makes it safe. */
export function refuseUntrusted(problem: string, options?: TrustPolicyOptions): void {
  if (!options?.allowUntrustedOwner) {
    throw new PatchopsError(
      "UntrustedOwner",
      `${problem}, so another user could redirect what patchops writes as uid ${uid}`,
    );
  }
  if (!canPinDirectories()) {
    throw new PatchopsError(
      "UntrustedOwner",
      `${problem}; accepting that is safe only with directories pinned through /proc/self/fd, which needs Linux and every permission granted`,
    );
  }
}

/**
 * Checks an entry of patchops' own working area: it must be of the expected
 * type (never a symlink), owned by the running user, and not writable by
 * group or others. Throws `StateInvalid` naming the path and the fault.
 */
export function checkOwnEntry(info: Deno.FileInfo, display: string, kind: "directory" | "file"): void {
  if (uid === undefined) {
    try {
      uid = Deno.uid() ?? undefined;
    } catch {
      throw new Error("the running user's id is unknown: open the install directory first");
    }
  }
  const fault = info.isSymlink
    ? "is a symbolic link"
    : kind === "directory" && !info.isDirectory
    ? "is not a directory"
    : kind === "file" && !info.isFile
    ? "is not a regular file"
    : info.uid !== null && info.uid !== uid
    ? `is owned by uid ${info.uid}, not by uid ${uid} running patchops`
    : ((info.mode ?? 0) & 0o022) !== 0
    ? "is writable by group or others"
    : undefined;
  if (fault !== undefined) {
    throw new PatchopsError("StateInvalid", `"${display}" ${fault}: refusing to use it`);
  }
}
