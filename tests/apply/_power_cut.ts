/**
 * A power-cut simulator under the strict model: records every rename, mkdir,
 * remove, file creation, fsync and syncfs that `src/apply/_fs.ts` reports,
 * then replays them onto an in-memory model of the install directory in
 * which each directory has a live list of entries and a durable one. An
 * fsync of a directory makes its live entries durable (and nothing else);
 * an fsync of a file makes its content durable; a syncfs makes everything
 * durable. A cut keeps only the durable entries reachable from the root,
 * written out to a real directory: a file whose content was never made
 * durable comes back empty, an item durable under two names comes back
 * under both (a hard link for a file, a copy for a directory).
 */

import { type FsEvent, observeFs } from "../../src/apply/_fs.ts";

type Dir = { kind: "dir"; mode: number; live: Map<string, Obj>; durable: Map<string, Obj> };
type File = { kind: "file"; mode: number; data: Uint8Array; durableData: Uint8Array | undefined };
type Link = { kind: "link"; target: string };
type Obj = Dir | File | Link;

/** A recorded event, with paths relative to the install directory. */
type Op =
  | { op: "rename"; from: string; to: string }
  | { op: "mkdir"; path: string; mode: number }
  | { op: "remove"; path: string }
  | { op: "create"; path: string; data: Uint8Array }
  | { op: "fsync"; path: string }
  | { op: "syncfs" };

/** The tree at the baseline, everything in it durable. */
type Spec =
  | { kind: "dir"; mode: number; entries: [string, Spec][] }
  | { kind: "file"; mode: number; data: Uint8Array; id: string }
  | { kind: "link"; target: string };

function walk(path: string): Spec {
  const info = Deno.lstatSync(path);
  if (info.isSymlink) return { kind: "link", target: Deno.readLinkSync(path) };
  const mode = (info.mode ?? 0) & 0o7777;
  if (info.isFile) return { kind: "file", mode, data: Deno.readFileSync(path), id: `${info.dev}:${info.ino}` };
  const entries: [string, Spec][] = [];
  for (const e of Deno.readDirSync(path)) entries.push([e.name, walk(`${path}/${e.name}`)]);
  return { kind: "dir", mode, entries };
}

/** Records one run of patchops on the install directory `root`. */
export class Recorder {
  readonly root: string;
  baseline: Spec | undefined;
  readonly ops: Op[] = [];
  readonly errors: string[] = [];
  #stop: (() => void) | undefined;

  /** With `waitForSyncfs`, the baseline is the tree at the first syncfs (staging made durable). */
  constructor(root: string, waitForSyncfs: boolean) {
    this.root = Deno.realPathSync(root);
    if (!waitForSyncfs) this.baseline = walk(this.root);
    this.#stop = observeFs((e) => this.#event(e));
  }

  stop(): void {
    this.#stop?.();
    this.#stop = undefined;
  }

  #rel(real: string): string | undefined {
    if (real === this.root) return "";
    return real.startsWith(this.root + "/") ? real.slice(this.root.length + 1) : undefined;
  }

  /** The path relative to the root, resolving only the parent (the entry itself may be gone or a link). */
  #entry(path: string): string | undefined {
    const cut = path.lastIndexOf("/");
    const dir = this.#rel(Deno.realPathSync(path.slice(0, cut) || "/"));
    if (dir === undefined) return undefined;
    const name = path.slice(cut + 1);
    return dir === "" ? name : `${dir}/${name}`;
  }

  #event(e: FsEvent): void {
    try {
      if (e.op === "syncfs") {
        if (this.baseline === undefined) this.baseline = walk(this.root);
        else this.ops.push({ op: "syncfs" });
        return;
      }
      if (this.baseline === undefined) return;
      if (e.op === "rename") {
        const from = this.#entry(e.from);
        const to = this.#entry(e.to);
        if (from === undefined || to === undefined) {
          if (from !== to) this.errors.push(`rename across the root: ${e.from} -> ${e.to}`);
          return;
        }
        this.ops.push({ op: "rename", from, to });
      } else if (e.op === "fsync") {
        const path = this.#rel(Deno.realPathSync(e.path));
        if (path !== undefined) this.ops.push({ op: "fsync", path });
      } else {
        const path = this.#entry(e.path);
        if (path === undefined) return;
        if (e.op === "mkdir") this.ops.push({ op: "mkdir", path, mode: e.mode });
        else if (e.op === "remove") this.ops.push({ op: "remove", path });
        else this.ops.push({ op: "create", path, data: e.data.slice() });
      }
    } catch (err) {
      this.errors.push(`${e.op}: ${(err as Error).message}`);
    }
  }

  /** How many cut points the run has: before each fsync or syncfs, and after the last event. */
  get cutCount(): number {
    return this.ops.filter((o) => o.op === "fsync" || o.op === "syncfs").length + 1;
  }

  /**
   * Yields once per cut point (before each fsync or syncfs, and at the end)
   * with a function that writes the durable state of that moment to `dir`.
   */
  *cuts(): Generator<{ index: number; write: (dir: string) => void; live: () => string[] }> {
    if (this.baseline === undefined) throw new Error("no baseline was taken (no syncfs seen)");
    const model = new Model(this.baseline);
    let index = 0;
    for (const op of this.ops) {
      if (op.op === "fsync" || op.op === "syncfs") {
        yield { index: index++, write: (dir) => model.write(dir), live: () => model.livePaths() };
      }
      model.apply(op);
    }
    yield { index: index++, write: (dir) => model.write(dir), live: () => model.livePaths() };
  }
}

class Model {
  root: Dir;
  all: Obj[] = [];

  constructor(spec: Spec) {
    const files = new Map<string, File>();
    const build = (s: Spec): Obj => {
      let o: Obj;
      if (s.kind === "dir") {
        const entries = new Map(s.entries.map(([n, c]) => [n, build(c)] as [string, Obj]));
        o = { kind: "dir", mode: s.mode, live: entries, durable: new Map(entries) };
      } else if (s.kind === "file") {
        const seen = files.get(s.id);
        if (seen) return seen;
        o = { kind: "file", mode: s.mode, data: s.data, durableData: s.data };
        files.set(s.id, o);
      } else o = { kind: "link", target: s.target };
      this.all.push(o);
      return o;
    };
    const r = build(spec);
    if (r.kind !== "dir") throw new Error("the root is not a directory");
    this.root = r;
  }

  #lookup(path: string): Obj {
    let o: Obj = this.root;
    if (path === "") return o;
    for (const part of path.split("/")) {
      if (o.kind !== "dir") throw new Error(`model: "${path}" goes through a non-directory`);
      const next: Obj | undefined = o.live.get(part);
      if (next === undefined) throw new Error(`model: "${path}" does not exist`);
      o = next;
    }
    return o;
  }

  #parent(path: string): [Dir, string] {
    const cut = path.lastIndexOf("/");
    const dir = this.#lookup(cut < 0 ? "" : path.slice(0, cut));
    if (dir.kind !== "dir") throw new Error(`model: the parent of "${path}" is not a directory`);
    return [dir, path.slice(cut + 1)];
  }

  apply(op: Op): void {
    if (op.op === "syncfs") {
      for (const o of this.all) {
        if (o.kind === "dir") o.durable = new Map(o.live);
        else if (o.kind === "file") o.durableData = o.data;
      }
    } else if (op.op === "fsync") {
      const o = this.#lookup(op.path);
      if (o.kind === "dir") o.durable = new Map(o.live);
      else if (o.kind === "file") o.durableData = o.data;
    } else if (op.op === "rename") {
      const [from, fromName] = this.#parent(op.from);
      const [to, toName] = this.#parent(op.to);
      const o = from.live.get(fromName);
      if (o === undefined) throw new Error(`model: rename of missing "${op.from}"`);
      from.live.delete(fromName);
      to.live.set(toName, o);
    } else if (op.op === "mkdir") {
      const [dir, name] = this.#parent(op.path);
      const o: Dir = { kind: "dir", mode: op.mode, live: new Map(), durable: new Map() };
      this.all.push(o);
      dir.live.set(name, o);
    } else if (op.op === "create") {
      const [dir, name] = this.#parent(op.path);
      const o: File = { kind: "file", mode: 0o600, data: op.data, durableData: undefined };
      this.all.push(o);
      dir.live.set(name, o);
    } else {
      const [dir, name] = this.#parent(op.path);
      dir.live.delete(name);
    }
  }

  /** Every live path, for comparing the model with the real tree after a run. */
  livePaths(): string[] {
    const out: string[] = [];
    const go = (d: Dir, prefix: string) => {
      for (const [name, o] of d.live) {
        const p = prefix ? `${prefix}/${name}` : name;
        out.push(`${p} ${o.kind}`);
        if (o.kind === "dir") go(o, p);
      }
    };
    go(this.root, "");
    return out.sort();
  }

  /** Writes the durable state reachable from the root to `dir` (which must not exist). */
  write(dir: string): void {
    const written = new Map<File, string>();
    const go = (o: Obj, path: string, depth: number) => {
      if (depth > 64) throw new Error("model: directories nest too deep (a cycle?)");
      if (o.kind === "link") Deno.symlinkSync(o.target, path);
      else if (o.kind === "file") {
        const first = written.get(o);
        if (first !== undefined) Deno.linkSync(first, path);
        else {
          Deno.writeFileSync(path, o.durableData ?? new Uint8Array(), { mode: o.mode });
          Deno.chmodSync(path, o.mode);
          written.set(o, path);
        }
      } else {
        Deno.mkdirSync(path, { mode: 0o700 });
        for (const [name, c] of o.durable) go(c, `${path}/${name}`, depth + 1);
        Deno.chmodSync(path, o.mode);
      }
    };
    go(this.root, dir, 0);
  }
}

/** Every path below `dir` with its kind, as {@linkcode Recorder} models them, for checking the record is complete. */
export function realPaths(dir: string): string[] {
  const out: string[] = [];
  const go = (abs: string, prefix: string) => {
    for (const e of Deno.readDirSync(abs)) {
      const p = prefix ? `${prefix}/${e.name}` : e.name;
      out.push(`${p} ${e.isSymlink ? "link" : e.isDirectory ? "dir" : "file"}`);
      if (e.isDirectory && !e.isSymlink) go(`${abs}/${e.name}`, p);
    }
  };
  go(dir, "");
  return out.sort();
}
