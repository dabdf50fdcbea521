/**
 * Packages as real tools write them, each with the tool's own default
 * pipeline (no re-compression by the test), applied through the command
 * line one after the other, each to its own expected tree and version.
 */

import assert from "node:assert/strict";
import { ZstdFrames } from "../../src/archive/_zstd_frames.ts";
import {
  concat,
  exec,
  HAVE_MINISIGN,
  makePatch,
  minisignKeygen,
  runCli,
  serveDir,
  snapshot,
  tempDir,
  writeTree,
} from "../_helpers.ts";

/** A source tree whose every file names the tool, so no two packages leave the same tree. */
async function sourceTree(dir: string, tag: string): Promise<void> {
  const big = Array.from({ length: 12_000 }, (_, i) => `${tag} line ${i} ${(i * 7919) % 104729}\n`).join("");
  await writeTree(dir, {
    "bin/run.sh": { content: `#!/bin/sh\necho ${tag}\n`, mode: 0o755 },
    "lib/core.jar": `core ${tag}`,
    [`lib/${"deep-directory-".repeat(4)}/${"long-file-name-".repeat(4)}.jar`]: `long ${tag}`,
    "lib/ünïcode.txt": `unicode ${tag}`,
    "lib/big.txt": big,
    "lib/current": { link: "core.jar" },
    "lib/empty": { dir: true },
    [`lib/only-${tag}.txt`]: tag,
  });
  await Deno.link(`${dir}/lib/core.jar`, `${dir}/lib/hard.jar`);
}

/** Runs a shell pipeline in `cwd`, failing the test with its stderr when it fails. */
async function sh(cwd: string, script: string): Promise<void> {
  const r = await exec("sh", ["-ec", script], { cwd });
  assert.equal(r.code, 0, `${script}\n${r.stderr}`);
}

interface Case {
  name: string;
  /** Shell script run in the source tree's parent: reads `src/`, writes `out`. */
  script: string;
  /** What the package's bytes must show, so the case really tests what it claims. */
  check?: (bytes: Uint8Array) => void;
}

function trailingZeros(bytes: Uint8Array): number {
  let n = 0;
  while (n < bytes.length && bytes[bytes.length - 1 - n] === 0) n++;
  return n;
}

function gzipMembers(bytes: Uint8Array): number {
  // A lower bound: gzip headers at offsets that a test split put there.
  let n = 0;
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0x1f && bytes[i + 1] === 0x8b && bytes[i + 2] === 8 && bytes[i + 3] === 0) n++;
  }
  return n;
}

function zstdFrames(bytes: Uint8Array): number {
  const frames = new ZstdFrames();
  frames.walk(bytes);
  frames.finish();
  return frames.dataFrames;
}

const PY_TARFILE = `
import os, sys, tarfile
with tarfile.open("out", "w:gz") as t:
    t.add("src", arcname=".")
`;

const CASES: Case[] = [
  { name: "GNU tar -czf", script: "tar -czf out -C src ." },
  // bsdtar pads its compressed output with zeros to a 10240-byte block when it writes to
  // anything but a regular file (here stdout, as in `bsdtar -czf - ... | upload`).
  {
    name: "bsdtar -czf - (default format, padded)",
    script: "bsdtar -czf - -C src . > out",
    check: (b) => assert.ok(trailingZeros(b) > 8 && b.length % 10240 === 0, "bsdtar pads to 10240 bytes"),
  },
  {
    name: "bsdtar --format gnutar -czf - (padded)",
    script: "bsdtar --format gnutar -czf - -C src . > out",
    check: (b) => assert.ok(trailingZeros(b) > 8 && b.length % 10240 === 0),
  },
  {
    name: "bsdtar --format pax -czf - (padded)",
    script: "bsdtar --format pax -czf - -C src . > out",
    check: (b) => assert.ok(trailingZeros(b) > 8 && b.length % 10240 === 0),
  },
  {
    name: "bsdtar --format ustar -czf - (padded)",
    script: "bsdtar --format ustar -czf - -C src . > out",
    check: (b) => assert.ok(trailingZeros(b) > 8 && b.length % 10240 === 0),
  },
  { name: "bsdtar -czf to a file (unpadded)", script: "bsdtar -czf out -C src ." },
  {
    name: "tar -I zstd",
    script: "tar -I zstd -cf out -C src .",
    check: (b) => assert.equal(zstdFrames(b), 1),
  },
  { name: "Python tarfile w:gz", script: `python3 -c '${PY_TARFILE}'` },
  { name: "tar | pigz", script: "tar -cf - -C src . | pigz > out" },
  {
    name: "gzip of a file (a name in the gzip header)",
    script: "tar -cf t -C src . && gzip -9 t && mv t.gz out",
    check: (b) => assert.equal(b[3]! & 0x08, 0x08, "FNAME flag"),
  },
  {
    name: "cat a.gz b.gz (two gzip members)",
    script:
      "tar -cf t -C src . && head -c 100000 t | gzip > a.gz && tail -c +100001 t | gzip > b.gz && cat a.gz b.gz > out",
    check: (b) => assert.ok(gzipMembers(b) >= 2, "two members"),
  },
  {
    name: "tar | zstd --long",
    script: "tar -cf - -C src . | zstd -q --long > out",
    check: (b) => assert.equal(zstdFrames(b), 1),
  },
  {
    name: "cat a.zst b.zst (two zstd frames)",
    script:
      "tar -cf t -C src . && head -c 100000 t | zstd -q > a.zst && tail -c +100001 t | zstd -q > b.zst && cat a.zst b.zst > out",
    check: (b) => assert.equal(zstdFrames(b), 2),
  },
  {
    // pzstd puts a skippable frame (the next frame's size) before every frame it writes.
    name: "pzstd (skippable frames)",
    script: "tar -cf - -C src . | pzstd -q -p 2 -c > out",
    check: (b) => {
      assert.ok(zstdFrames(b) >= 1);
      assert.equal(b[0]! & 0xf0, 0x50, "starts with a skippable frame");
    },
  },
];

Deno.test({
  name: "apply installs packages written by GNU tar, bsdtar, Python tarfile, pigz and zstd, each to its own tree",
  ignore: !HAVE_MINISIGN,
  async fn() {
    const [base, done] = await tempDir();
    const server = serveDir(`${base}/srv`);
    try {
      await Deno.mkdir(`${base}/srv`);
      const app = `${base}/app`;
      await writeTree(app, { "lib/old.jar": "old", "bin/run.sh": "old", "data/keep.db": "precious" });
      const { pub, sec } = await minisignKeygen(base);
      for (const [i, c] of CASES.entries()) {
        const work = `${base}/case${i}`;
        const tag = `tool${i}`;
        await sourceTree(`${work}/src`, tag);
        await sh(work, c.script);
        const bytes = await Deno.readFile(`${work}/out`);
        c.check?.(bytes);
        const version = `1.${i + 1}`;
        await makePatch(`${base}/srv`, bytes, { replace: { directories: ["bin", "lib"] } }, {
          sec,
          name: `p${i}`,
          extra: { version },
        });
        // A tool's own package opens with no patchops header: accepted as made by another tool.
        const r = await runCli([
          "apply",
          `${server.url}/p${i}.json`,
          "--dir",
          app,
          "--public-key",
          pub,
          "--allow-unsigned-operations",
        ]);
        assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`applied ${version.replace(".", "\\.")} `), c.name);
        const want = { ...await snapshot(`${work}/src`), "data": "dir 755", "data/keep.db": "" };
        const got = await snapshot(app);
        want["data/keep.db"] = got["data/keep.db"]!;
        assert.deepEqual(got, want, c.name);
        assert.equal(
          (await Deno.stat(`${app}/lib/hard.jar`)).ino,
          (await Deno.stat(`${app}/lib/core.jar`)).ino,
          c.name,
        );
        const status = JSON.parse((await runCli(["status", "--dir", app, "--json"])).stdout);
        assert.equal(status.version, version, c.name);
      }
      assert.equal(await Deno.readTextFile(`${app}/data/keep.db`), "precious");
    } finally {
      await server.close();
      await done();
    }
  },
});

Deno.test({
  name: "apply refuses a bsdtar package with data after its zero padding, and a zstd package cut short",
  ignore: !HAVE_MINISIGN,
  async fn() {
    const [base, done] = await tempDir();
    const server = serveDir(`${base}/srv`);
    try {
      await Deno.mkdir(`${base}/srv`);
      const app = `${base}/app`;
      await writeTree(app, { "lib/old.jar": "old" });
      const before = await snapshot(app);
      const { pub, sec } = await minisignKeygen(base);
      await sourceTree(`${base}/w/src`, "x");
      await sh(`${base}/w`, "bsdtar -czf - -C src . > bsd.tgz && tar -I zstd -cf z.tzst -C src .");
      const bsd = await Deno.readFile(`${base}/w/bsd.tgz`);
      const zst = await Deno.readFile(`${base}/w/z.tzst`);
      for (
        const [name, bytes, message] of [
          ["garbage", concat([bsd, new TextEncoder().encode("appended")]), /unexpected data after the end/],
          ["short", zst.subarray(0, zst.length - 3), /truncated|end of file/],
        ] as const
      ) {
        await makePatch(`${base}/srv`, bytes, { replace: { directories: ["lib"] } }, { sec, name });
        const r = await runCli([
          "apply",
          `${server.url}/${name}.json`,
          "--dir",
          app,
          "--public-key",
          pub,
          "--allow-unsigned-operations",
        ]);
        assert.equal(r.code, 1, name);
        assert.match(r.stderr, message, name);
        assert.deepEqual(await snapshot(app), before, name);
      }
    } finally {
      await server.close();
      await done();
    }
  },
});
