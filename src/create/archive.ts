/**
 * Writes the package for a set of operations: a reproducible tar.gz
 * (sorted members, fixed mtime, no owners) hashed as it is written.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { Duplex } from "node:stream";
import zlib from "node:zlib";
import { endOfArchive, padding, tarMember } from "../archive/tar_writer.ts";
import type { Operations } from "../manifest.ts";
import type { Tree } from "./tree.ts";

/** Options of {@linkcode writePackage}. */
export interface WritePackageOptions {
  /**
   * Modification time stored for every member (seconds). 0 means "not
   * recorded": apply then leaves the install time.
   * @default 0
   */
  mtime?: number;
  /** Extra in-memory files to put first (e.g. the signed operations). */
  extra?: Map<string, Uint8Array>;
  /** @default "gzip" */
  compression?: "gzip" | "zstd";
  /**
   * Compression level; with zstd above 9, a window of 4 MiB, so that a
   * client needs no more memory than that to decompress (node-sql-parser's
   * seventy deltas, 4.6 MB, compress no better with a larger one).
   * @default gzip 6, zstd 3
   */
  level?: number | undefined;
  /** Members whose content is given here instead of read from the tree (deltas). */
  contents?: Map<string, Uint8Array> | undefined;
}

/**
 * A compressing transform on node:zlib. Its gzip header carries no name and
 * no time, and zstd output depends only on the input, so the package bytes
 * depend only on the tree.
 */
function compressor(
  kind: "gzip" | "zstd",
  level?: number,
): { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } {
  const z = kind === "gzip" ? zlib.createGzip({ level: level ?? 6 }) : zlib.createZstdCompress({
    params: level === undefined ? {} : {
      [zlib.constants.ZSTD_c_compressionLevel]: level,
      ...(level > 9 ? { [zlib.constants.ZSTD_c_windowLog]: 22 } : {}),
    },
  });
  return Duplex.toWeb(z) as unknown as { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
}

/** What {@linkcode writePackage} wrote. */
export interface WrittenPackage {
  bytes: number;
  sha256: string;
  /** BLAKE2b-512 of the package, for a prehashed signature. */
  blake2b: Uint8Array;
  members: number;
}

/** The archive members an operation set needs, in archive order. */
export function membersFor(tree: Tree, ops: Operations): string[] {
  const out = new Set<string>(ops.replaceFiles);
  for (const dir of ops.replaceDirectories) {
    out.add(dir);
    const prefix = dir + "/";
    for (const p of tree.nodes.keys()) if (p.startsWith(prefix)) out.add(p);
  }
  return [...out].sort();
}

async function* tarStream(
  tree: Tree,
  paths: string[],
  options: WritePackageOptions,
): AsyncGenerator<Uint8Array> {
  const mtime = options.mtime ?? 0;
  for (const [path, data] of options.extra ?? []) {
    yield* tarMember({
      path,
      type: "file",
      mode: 0o644,
      mtime,
      size: data.length,
    });
    yield data;
    yield padding(data.length);
  }
  for (const path of paths) {
    const n = tree.nodes.get(path)!;
    if (n.type === "directory") {
      yield* tarMember({ path, type: "directory", mode: n.mode, mtime });
    } else if (n.type === "symlink") {
      yield* tarMember({
        path,
        type: "symlink",
        mode: 0o777,
        mtime,
        linkPath: n.link!,
      });
    } else if (options.contents?.has(path)) {
      const data = options.contents.get(path)!;
      yield* tarMember({ path, type: "file", mode: n.mode, mtime, size: data.length });
      yield data;
      yield padding(data.length);
    } else {
      const file = await Deno.open(`${tree.root}/${path}`);
      const size = (await file.stat()).size;
      yield* tarMember({ path, type: "file", mode: n.mode, mtime, size });
      let written = 0;
      for await (const chunk of file.readable) {
        written += chunk.length;
        if (written > size) break;
        yield chunk;
      }
      if (written !== size) {
        throw new Error(
          `"${tree.root}/${path}" changed size while being packed`,
        );
      }
      yield padding(size);
    }
  }
  yield endOfArchive();
}

/** Writes `outPath` and returns its size and digests. */
export async function writePackage(
  tree: Tree,
  ops: Operations,
  outPath: string,
  options?: WritePackageOptions,
): Promise<WrittenPackage> {
  const paths = membersFor(tree, ops);
  const gen = tarStream(tree, paths, options ?? {});
  const source = new ReadableStream<Uint8Array>({
    async pull(c) {
      const { done, value } = await gen.next();
      if (done) c.close();
      else c.enqueue(value);
    },
    async cancel() {
      await gen.return(undefined);
    },
  });
  const sha = createHash("sha256");
  const b2 = createHash("blake2b512");
  const out = await Deno.open(outPath, {
    write: true,
    create: true,
    truncate: true,
    mode: 0o644,
  });
  let bytes = 0;
  try {
    for await (const chunk of source.pipeThrough(compressor(options?.compression ?? "gzip", options?.level))) {
      sha.update(chunk);
      b2.update(chunk);
      bytes += chunk.length;
      let off = 0;
      while (off < chunk.length) off += await out.write(chunk.subarray(off));
    }
  } finally {
    out.close();
  }
  return {
    bytes,
    sha256: sha.digest("hex"),
    blake2b: new Uint8Array(b2.digest()),
    members: paths.length + (options?.extra?.size ?? 0),
  };
}
