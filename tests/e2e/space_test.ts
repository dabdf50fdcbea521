/**
 * Out-of-space behaviour on a real small file system: a tmpfs mounted with
 * `size=` (needs root; the test is ignored where mounting is not allowed).
 */

import assert from "node:assert/strict";
import { have } from "../_env.ts";
import { concat, exec, makePatch, runCli, snapshot, tempDir, writeTree } from "../_helpers.ts";

const MOUNTABLE = await have("mount");

async function withSmallFs(
  sizeMiB: number,
  fn: (mnt: string, work: string) => Promise<void>,
) {
  const [work, done] = await tempDir();
  const mnt = `${work}/mnt`;
  await Deno.mkdir(mnt);
  const m = await exec("mount", [
    "-t",
    "tmpfs",
    "-o",
    `size=${sizeMiB}m`,
    "tmpfs",
    mnt,
  ]);
  assert.equal(m.code, 0, m.stderr);
  try {
    await fn(mnt, work);
  } finally {
    await exec("umount", [mnt]);
    await done();
  }
}

function noise(mib: number): Uint8Array {
  return concat(
    Array.from(
      { length: mib * 16 },
      () => crypto.getRandomValues(new Uint8Array(65_536)),
    ),
  );
}

async function refusedUnchanged(app: string, manifest: string, re: RegExp) {
  const before = await snapshot(app, { exclude: [] });
  const r = await runCli(["apply", manifest, "--dir", app, "--allow-unsigned"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, re);
  assert.equal(
    r.stderr.split("\n").filter((l) => l.startsWith("error:")).length,
    1,
  );
  assert.deepEqual(await snapshot(app, { exclude: [] }), before);
}

Deno.test({
  name: "apply refuses a package larger than the free space before staging (tmpfs)",
  ignore: !MOUNTABLE,
  async fn() {
    await withSmallFs(4, async (mnt, work) => {
      const app = `${mnt}/app`;
      await writeTree(app, { "a.bin": "old" });
      const manifest = await makePatch(work, [{
        path: "a.bin",
        data: noise(6),
      }], { replace: { files: ["a.bin"] } });
      await refusedUnchanged(app, manifest, /not enough space for the package/);
    });
  },
});

Deno.test({
  name: "apply stops when staging fills the file system and leaves the tree unchanged (tmpfs)",
  ignore: !MOUNTABLE,
  async fn() {
    await withSmallFs(12, async (mnt, work) => {
      const app = `${mnt}/app`;
      await writeTree(app, { "keep.txt": "keep" });
      // Zeros compress to almost nothing: only the unpacked size can tell.
      const zeros = new Uint8Array(3 << 20);
      const members = Array.from(
        { length: 8 },
        (_, i) => ({ path: `f${i}.bin`, data: zeros }),
      );
      const manifest = await makePatch(work, members, {
        replace: { files: members.map((m) => m.path) },
      });
      await refusedUnchanged(
        app,
        manifest,
        /file system is full|not enough space/,
      );

      const huge = await makePatch(work, [{
        path: "huge.bin",
        data: new Uint8Array(40 << 20),
      }], {
        replace: { files: ["huge.bin"] },
      }, { name: "huge" });
      await refusedUnchanged(
        app,
        huge,
        /not enough space for the next staged file/,
      );
    });
  },
});
