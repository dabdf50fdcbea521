/**
 * Seeded random trees and mutations for the create/apply property tests.
 */

export type Spec = Map<
  string,
  { type: "file"; mode: number; content: string } | {
    type: "dir";
    mode: number;
  } | {
    type: "link";
    target: string;
  }
>;

/** mulberry32: small, seedable, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  "a",
  "b",
  "lib",
  "bin",
  "conf",
  "ünï",
  "日本",
  "with space",
  "-dash",
  "x.jar",
  "data",
  "z",
];
const FILE_MODES = [0o644, 0o755, 0o600, 0o640];
const DIR_MODES = [0o755, 0o750, 0o700];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

function childrenOf(spec: Spec, dir: string): string[] {
  const prefix = dir ? dir + "/" : "";
  return [...spec.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("/"));
}

function addRandom(
  spec: Spec,
  r: () => number,
  dir: string,
  depth: number,
): void {
  const free = NAMES.filter((n) => !spec.has(dir ? `${dir}/${n}` : n));
  if (free.length === 0) return;
  const path = dir ? `${dir}/${pick(r, free)}` : pick(r, free);
  const roll = r();
  if (roll < 0.62 || depth >= 3) {
    spec.set(path, {
      type: "file",
      mode: pick(r, FILE_MODES),
      content: `${path} ${Math.floor(r() * 1e6)}\n`.repeat(
        1 + Math.floor(r() * 3),
      ),
    });
  } else if (roll < 0.85) {
    spec.set(path, { type: "dir", mode: pick(r, DIR_MODES) });
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) addRandom(spec, r, path, depth + 1);
  } else {
    const siblings = childrenOf(spec, dir).filter((p) => p !== path).map((p) => p.slice(p.lastIndexOf("/") + 1));
    const target = siblings.length && r() < 0.7
      ? pick(r, siblings)
      : depth > 0 && r() < 0.5
      ? "../elsewhere"
      : "missing";
    spec.set(path, { type: "link", target });
  }
}

/** A random tree of a few dozen entries. */
export function randomTree(r: () => number): Spec {
  const spec: Spec = new Map();
  const n = 4 + Math.floor(r() * 8);
  for (let i = 0; i < n; i++) addRandom(spec, r, "", 0);
  return spec;
}

function removeSubtree(spec: Spec, path: string): void {
  for (const p of [...spec.keys()]) {
    if (p === path || p.startsWith(path + "/")) spec.delete(p);
  }
}

/** A mutated copy: content and mode changes, deletions, additions and type changes. */
export function mutate(old: Spec, r: () => number): Spec {
  const spec: Spec = new Map([...old].map(([k, v]) => [k, { ...v }]));
  for (const [path, node] of [...spec]) {
    if (!spec.has(path)) continue;
    const roll = r();
    const depth = path.split("/").length - 1;
    if (roll < 0.1) removeSubtree(spec, path);
    else if (roll < 0.16) {
      // Type change: file <-> dir <-> link.
      removeSubtree(spec, path);
      if (node.type === "dir") {
        spec.set(
          path,
          r() < 0.3 ? { type: "link", target: "a" } : { type: "file", mode: 0o644, content: "was a dir\n" },
        );
      } else if (node.type === "file" && r() < 0.5) {
        spec.set(path, { type: "dir", mode: 0o755 });
        addRandom(spec, r, path, depth + 1);
      } else {spec.set(
          path,
          node.type === "link" ? { type: "file", mode: 0o600, content: "was a link\n" } : { type: "link", target: "z" },
        );}
    } else if (node.type === "file" && roll < 0.45) node.content += "changed\n";
    else if (node.type !== "link" && roll < 0.52) {
      node.mode = node.type === "dir" ? pick(r, DIR_MODES) : pick(r, FILE_MODES);
    } else if (node.type === "link" && roll < 0.55) node.target = "a";
  }
  const adds = Math.floor(r() * 4);
  const dirs = [
    "",
    ...[...spec].filter(([, v]) => v.type === "dir").map(([k]) => k),
  ];
  for (let i = 0; i < adds; i++) {
    const d = pick(r, dirs);
    addRandom(spec, r, d, d ? d.split("/").length : 0);
  }
  return spec;
}

/** Writes a spec to disk (parents first, modes last so read-only dirs do not block). */
export async function materialize(spec: Spec, root: string): Promise<void> {
  await Deno.mkdir(root, { recursive: true });
  const paths = [...spec.keys()].sort();
  for (const p of paths) {
    const n = spec.get(p)!;
    const abs = `${root}/${p}`;
    if (n.type === "dir") await Deno.mkdir(abs);
    else if (n.type === "file") await Deno.writeTextFile(abs, n.content);
    else await Deno.symlink(n.target, abs);
  }
  for (const p of paths.reverse()) {
    const n = spec.get(p)!;
    if (n.type !== "link") await Deno.chmod(`${root}/${p}`, n.mode);
  }
}
