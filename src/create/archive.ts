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
  /**
   * Offsets in the data of `extra` members after which a zstd compressor
   * ends a block (the window goes on). A block has one Huffman table for
   * its literals: hex digits in a block of their own take about 4 bits
   * each, 5.4 among other text (see `create`'s use).
   */
  blockEnds?: Map<string, number[]> | undefined;
}

/** In the tar stream: the compressor ends a block here. */
const BLOCK_END = Symbol("block end");

/**
 * A compressor on node:zlib. Its gzip header carries no name and no time,
 * and zstd output depends only on the input (and where blocks are ended),
 * so the package bytes depend only on the tree.
 */
function compressor(kind: "gzip" | "zstd", level?: number): zlib.Zlib & Duplex {
  return kind === "gzip" ? zlib.createGzip({ level: level ?? 6 }) : zlib.createZstdCompress({
    params: level === undefined ? {} : {
      [zlib.constants.ZSTD_c_compressionLevel]: level,
      ...(level > 9 ? { [zlib.constants.ZSTD_c_windowLog]: 22 } : {}),
    },
  });
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
): AsyncGenerator<Uint8Array | typeof BLOCK_END> {
  const mtime = options.mtime ?? 0;
  for (const [path, data] of options.extra ?? []) {
    yield* tarMember({
      path,
      type: "file",
      mode: 0o644,
      mtime,
      size: data.length,
    });
    let at = 0;
    for (const end of options.blockEnds?.get(path) ?? []) {
      yield data.subarray(at, end);
      yield BLOCK_END;
      at = end;
    }
    yield data.subarray(at);
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
  // Opened before the feeding starts: an output that cannot be opened leaves no tree file open behind it.
  const out = await Deno.open(outPath, {
    write: true,
    create: true,
    truncate: true,
    mode: 0o644,
  });
  const kind = options?.compression ?? "gzip";
  const z = compressor(kind, options?.level);
  const web = Duplex.toWeb(z) as unknown as {
    readable: ReadableStream<Uint8Array>;
    writable: WritableStream<Uint8Array>;
  };
  // Fed by hand rather than piped, so that a block can be ended between two writes: each write is
  // awaited, and a flush queues behind the writes before it.
  let failed: { error: unknown } | undefined;
  const feed = (async () => {
    const writer = web.writable.getWriter();
    for await (const part of tarStream(tree, paths, options ?? {})) {
      if (part !== BLOCK_END) await writer.write(part);
      else if (kind === "zstd") await new Promise<void>((done) => z.flush(zlib.constants.ZSTD_e_flush, done));
    }
    await writer.close();
  })().catch((error) => {
    // A file that changed size while packed: the reading below ends with this error.
    failed ??= { error };
    z.destroy(error instanceof Error ? error : new Error(String(error)));
  });
  const sha = createHash("sha256");
  const b2 = createHash("blake2b512");
  let bytes = 0;
  try {
    for await (const chunk of web.readable) {
      sha.update(chunk);
      b2.update(chunk);
      bytes += chunk.length;
      let off = 0;
      while (off < chunk.length) off += await out.write(chunk.subarray(off));
    }
  } catch (error) {
    throw failed ? failed.error : error;
  } finally {
    out.close();
    // Ends the feeding (and the tree file it may hold open) if writing stopped first.
    if (!z.destroyed && !z.writableFinished) z.destroy();
    await feed;
  }
  if (failed) throw failed.error;
  return {
    bytes,
    sha256: sha.digest("hex"),
    blake2b: new Uint8Array(b2.digest()),
    members: paths.length + (options?.extra?.size ?? 0),
  };
}
