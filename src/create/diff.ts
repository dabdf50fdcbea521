/**
 * Turns two scanned trees into patch operations.
 *
 * The rule for directories: a directory is replaced wholesale when it is
 * new, when it replaces a non-directory, when its own mode changed (the
 * operations cannot change a kept directory's mode), or when it has at least
 * `wholesaleMinEntries` entries below it of which at least
 * `wholesaleRatio` changed. Otherwise the walk goes inside it and names
 * single files. Wholesale replacement drops whatever the target holds in
 * that directory beyond the old tree, so the thresholds lean towards
 * file-level operations.
 *
 * @module
 */

import type { Operations } from "../manifest.ts";
import { hashFile, type Tree, type TreeNode } from "./tree.ts";

/** Options of {@linkcode diffTrees}. */
export interface DiffOptions {
  /** @default 0.75 */
  wholesaleRatio?: number;
  /** @default 8 */
  wholesaleMinEntries?: number;
}

async function differs(
  from: Tree,
  to: Tree,
  path: string,
  o: TreeNode,
  n: TreeNode,
): Promise<boolean> {
  if (o.type !== n.type) return true;
  if (n.type === "symlink") return o.link !== n.link;
  if (o.mode !== n.mode) return true;
  if (n.type === "directory") return false;
  if (o.size !== n.size) return true;
  return (await hashFile(`${from.root}/${path}`)) !==
    (await hashFile(`${to.root}/${path}`));
}

function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

/** Computes the operations that turn `from` into `to`. */
export async function diffTrees(
  from: Tree,
  to: Tree,
  options?: DiffOptions,
): Promise<Operations> {
  const { wholesaleRatio = 0.75, wholesaleMinEntries = 8 } = options ?? {};
  const all = [...new Set([...from.nodes.keys(), ...to.nodes.keys()])].sort();
  const changed = new Set<string>();
  const below = new Map<string, { total: number; changed: number }>();
  for (const p of all) {
    const o = from.nodes.get(p);
    const n = to.nodes.get(p);
    const isChanged = !o || !n || (await differs(from, to, p, o, n));
    if (isChanged) changed.add(p);
    for (const a of ancestors(p)) {
      const c = below.get(a) ?? { total: 0, changed: 0 };
      c.total++;
      if (isChanged) c.changed++;
      below.set(a, c);
    }
  }
  const ops: Operations = {
    replaceFiles: [],
    replaceDirectories: [],
    deleteFiles: [],
    deleteDirectories: [],
  };
  const children = new Map<string, string[]>();
  for (const p of all) {
    const i = p.lastIndexOf("/");
    const parent = i < 0 ? "" : p.slice(0, i);
    (children.get(parent) ?? children.set(parent, []).get(parent)!).push(p);
  }
  const visit = (dir: string) => {
    for (const p of children.get(dir) ?? []) {
      const o = from.nodes.get(p);
      const n = to.nodes.get(p);
      if (n === undefined) {
        if (o!.type === "directory") ops.deleteDirectories.push(p);
        else ops.deleteFiles.push(p);
        continue;
      }
      if (n.type !== "directory") {
        if (changed.has(p)) ops.replaceFiles.push(p);
        continue;
      }
      const counts = below.get(p) ?? { total: 0, changed: 0 };
      const wholesale = o === undefined || o.type !== "directory" ||
        o.mode !== n.mode ||
        (counts.total >= wholesaleMinEntries &&
          counts.changed / counts.total >= wholesaleRatio);
      if (wholesale) ops.replaceDirectories.push(p);
      else if (counts.changed > 0) visit(p);
    }
  };
  visit("");
  return ops;
}
