/**
 * Opens installed files that a delta applies to. A local user may swap the
 * file or a directory above it for a symlink at any moment: the directory
 * is reached through the `DirTree` (each component opened without following
 * links), the file is opened with `O_NOFOLLOW` and checked through its
 * descriptor to be a regular file, and every later read goes through that
 * descriptor, so a rename after the open changes nothing that is read.
 *
 * @module
 */

import * as nfs from "node:fs";
import { PatchopsError } from "../errors.ts";
import type { BaseFile } from "../delta/rebuild.ts";
import type { DirTree } from "./_dirs.ts";

const READ_BASE = nfs.constants.O_RDONLY | nfs.constants.O_NOFOLLOW | nfs.constants.O_NONBLOCK;

/** Opens the installed `rel` below `tree` for reading at positions; throws `DeltaBaseMismatch`. */
export function openBaseFile(tree: DirTree, rel: string): BaseFile {
  const refuse = (why: string, cause?: unknown) =>
    new PatchopsError("DeltaBaseMismatch", `Cannot update "${rel}" from its delta: the installed file ${why}`, {
      cause,
    });
  let fd: number;
  try {
    fd = nfs.openSync(tree.entry(rel), READ_BASE);
  } catch (err) {
    if (err instanceof PatchopsError) throw refuse(`cannot be reached safely (${err.message})`, err);
    const code = (err as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw refuse("is missing", err);
    if (code === "ELOOP") throw refuse("is a symbolic link", err);
    throw refuse(`cannot be opened (${(err as Error).message})`, err);
  }
  const st = nfs.fstatSync(fd);
  if (!st.isFile()) {
    nfs.closeSync(fd);
    throw refuse("is not a regular file");
  }
  return {
    size: st.size,
    read: (buf, position) => nfs.readSync(fd, buf, 0, buf.length, position),
    close: () => nfs.closeSync(fd),
  };
}
