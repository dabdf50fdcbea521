/**
 * The package writer: blocks ended where asked (the same tar, smaller when
 * hex digits get a block of their own), and a file that changes size while
 * packed ends the write with its own error, gzip or zstd, without hanging.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import { writePackage } from "../../src/create/archive.ts";
import type { Tree } from "../../src/create/tree.ts";
import { tempDir } from "../_helpers.ts";

const none = { replaceFiles: [], replaceDirectories: [], deleteFiles: [], deleteDirectories: [] };

Deno.test("writePackage() ends a zstd block where asked: the same tar, smaller with the hex digits in a block of their own", async () => {
  const [dir, done] = await tempDir();
  try {
    await Deno.mkdir(`${dir}/tree`);
    // A header like a delta package's: text, then SHA-256s in hex, as `create` writes them.
    const hex = Array.from({ length: 24 }, (_, i) => createHash("sha256").update(`file ${i}`).digest("hex"));
    const head = JSON.stringify({
      format: 3,
      operations: { replace: { files: hex.map((_, i) => `lib/rules/r${i}.js`) } },
    });
    const tail = JSON.stringify(
      Object.fromEntries(
        hex.map((h, i) => [`lib/rules/r${i}.js`, { old_sha256: h, sha256: h.split("").reverse().join("") }]),
      ),
    );
    const header = new TextEncoder().encode(`${head},"deltas":${tail}\n`);
    // Then members like deltas: binary numbers and new text, whose literals would share the hex digits' table.
    const tree: Tree = { root: `${dir}/tree`, nodes: new Map() };
    for (let f = 0; f < 4; f++) {
      const bytes = new Uint8Array(
        Array.from({ length: 40 }, (_, i) => [...createHash("sha256").update(`${f}.${i}`).digest()]).flat(),
      );
      await Deno.writeFile(`${dir}/tree/f${f}.bin`, bytes);
      tree.nodes.set(`f${f}.bin`, { type: "file", mode: 0o644, size: bytes.length });
    }
    const files = { ...none, replaceFiles: [...tree.nodes.keys()] };
    const write = async (name: string, blockEnds?: number[]) => {
      await writePackage(tree, files, `${dir}/${name}`, {
        compression: "zstd",
        level: 19,
        extra: new Map([[".patchops/operations.json", header]]),
        blockEnds: blockEnds && new Map([[".patchops/operations.json", blockEnds]]),
      });
      return await Deno.readFile(`${dir}/${name}`);
    };
    const plain = await write("plain.tar.zst");
    const split = await write("split.tar.zst", [head.length, header.length]);
    assert.deepEqual(new Uint8Array(zlib.zstdDecompressSync(split)), new Uint8Array(zlib.zstdDecompressSync(plain)));
    assert.ok(split.length < plain.length - 200, `${split.length} bytes with the block ended, ${plain.length} without`);
  } finally {
    await done();
  }
});

Deno.test("writePackage() fails with the file's own error when a file changes size while packed", async () => {
  const [dir, done] = await tempDir();
  try {
    // /proc files say they are empty and then give bytes: a file grown between its stat and its read.
    const tree: Tree = { root: "/proc/self", nodes: new Map([["status", { type: "file", mode: 0o644, size: 0 }]]) };
    for (const compression of ["gzip", "zstd"] as const) {
      await assert.rejects(
        writePackage(tree, { ...none, replaceFiles: ["status"] }, `${dir}/p-${compression}`, { compression }),
        /"\/proc\/self\/status" changed size while being packed/,
      );
    }
  } finally {
    await done();
  }
});

Deno.test("writePackage() into a directory that does not exist fails with the open's error, gzip or zstd", async () => {
  const [dir, done] = await tempDir();
  try {
    await Deno.mkdir(`${dir}/tree`);
    // Larger than the compressor's buffers. (The output is now opened before the tree is read; this test does not
    // show the file left open before that, which the resource sanitizer did not report.)
    const big = new Uint8Array(8 << 20);
    for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
    await Deno.writeFile(`${dir}/tree/big.bin`, big);
    const tree: Tree = {
      root: `${dir}/tree`,
      nodes: new Map([["big.bin", { type: "file", mode: 0o644, size: big.length }]]),
    };
    const ops = { ...none, replaceFiles: ["big.bin"] };
    for (const compression of ["gzip", "zstd"] as const) {
      await assert.rejects(writePackage(tree, ops, `${dir}/no/such/dir/p`, { compression }), Deno.errors.NotFound);
    }
  } finally {
    await done();
  }
});
