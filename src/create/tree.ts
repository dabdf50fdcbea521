/**
 * Scans a directory tree into a flat map of relative paths, without
 * following symlinks, refusing what a patch cannot carry.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { PatchopsError } from "../errors.ts";
import { linkEscapes, normalizeRelativePath, RESERVED_DIR } from "../path_policy.ts";

/** One scanned path. */
export interface TreeNode {
  type: "file" | "directory" | "symlink";
  /** Permission bits (0o777). */
  mode: number;
  size: number;
  /** Symlink target. */
  link?: string;
}

/** A scanned tree: the root and its paths (parents before children). */
export interface Tree {
  root: string;
  nodes: Map<string, TreeNode>;
}

/** Scans `root`; `.patchops/` at the top is skipped. */
export async function scanTree(root: string): Promise<Tree> {
  const info = await Deno.stat(root).catch((err) => {
    if (err instanceof Deno.errors.NotFound) {
      throw new PatchopsError(
        "TreeInvalid",
        `directory "${root}" does not exist`,
      );
    }
    throw err;
  });
  if (!info.isDirectory) {
    throw new PatchopsError("TreeInvalid", `"${root}" is not a directory`);
  }
  const nodes = new Map<string, TreeNode>();
  const walk = async (rel: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(rel ? `${root}/${rel}` : root)) {
      names.push(e.name);
    }
    names.sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (path === RESERVED_DIR) continue;
      try {
        normalizeRelativePath(path);
      } catch (err) {
        throw new PatchopsError(
          "TreeInvalid",
          `cannot carry "${root}/${path}": ${(err as Error).message}`,
        );
      }
      const st = await Deno.lstat(`${root}/${path}`);
      const mode = (st.mode ?? 0o644) & 0o777;
      if (st.isSymlink) {
        nodes.set(path, {
          type: "symlink",
          mode: 0o777,
          size: 0,
          link: await Deno.readLink(`${root}/${path}`),
        });
      } else if (st.isDirectory) {
        nodes.set(path, { type: "directory", mode, size: 0 });
        await walk(path);
      } else if (st.isFile) {
        nodes.set(path, { type: "file", mode, size: st.size });
      } else {
        throw new PatchopsError(
          "TreeInvalid",
          `"${root}/${path}" is a device, FIFO or socket, which a patch cannot carry`,
        );
      }
    }
  };
  await walk("");
  return { root, nodes };
}

/** Refuses symlinks that `apply` would refuse (leaving the tree). */
export function checkLinks(tree: Tree): void {
  const links = new Map<string, string>();
  for (const [p, n] of tree.nodes) {
    if (n.type === "symlink") links.set(p, n.link!);
  }
  for (const [p, target] of links) {
    if (linkEscapes(p, target, links)) {
      throw new PatchopsError(
        "TreeInvalid",
        `"${tree.root}/${p}" is a symlink to "${target}", which leaves the tree; apply would refuse it`,
      );
    }
  }
}

/** SHA-256 of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const h = createHash("sha256");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) h.update(chunk);
  return h.digest("hex");
}
