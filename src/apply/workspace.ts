/**
 * Paths inside `<dir>/.patchops/`, kept in one place so every module agrees.
 *
 * @module
 */

import { RESERVED_DIR } from "../path_policy.ts";

/** The layout of one install directory's working area. */
export class Workspace {
  /** The install directory, as a real path. */
  readonly root: string;
  /** `<root>/.patchops` */
  readonly base: string;

  constructor(root: string) {
    this.root = root.replace(/\/+$/, "") || "/";
    this.base = `${this.root === "/" ? "" : this.root}/${RESERVED_DIR}`;
  }

  get lockPath(): string {
    return `${this.base}/lock`;
  }
  get statePath(): string {
    return `${this.base}/state.json`;
  }
  get txnBase(): string {
    return `${this.base}/txn`;
  }
  get backupsBase(): string {
    return `${this.base}/backups`;
  }
  get downloadsBase(): string {
    return `${this.base}/downloads`;
  }
  /** Working area of transaction `id`. */
  txnDir(id: string): string {
    return `${this.txnBase}/${id}`;
  }
  /** Kept backup of committed transaction `id`. */
  backupDir(id: string): string {
    return `${this.backupsBase}/${id}`;
  }
  /** Absolute path of a relative install path. */
  target(rel: string): string {
    return rel === "" ? this.root : `${this.root === "/" ? "" : this.root}/${rel}`;
  }
}

/**
 * A sortable, unique transaction id: UTC time to the millisecond plus
 * randomness (`20261130T081423.123Z-1a2b3c4d`). Backups are pruned and
 * rolled back in id order, so two patches applied within the same second
 * must still sort in the order they were applied.
 */
export function newTxnId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, "");
  const r = crypto.getRandomValues(new Uint8Array(4));
  return `${t}-${Array.from(r, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
