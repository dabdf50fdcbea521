import assert from "node:assert/strict";
import { applyPatch } from "../../src/apply/mod.ts";
import { DirLock } from "../../src/apply/lock.ts";
import { parseManifest } from "../../src/manifest.ts";
import { buildTar, gzip, sha256, snapshot, tempDir, writeTree } from "../_helpers.ts";

async function fixture(dir: string) {
  await writeTree(`${dir}/app`, {
    "a.txt": "a1",
    "lib/x.jar": "x1",
    "lib/y.jar": "y1",
    "gone.txt": "bye",
  });
  const gz = await gzip(buildTar([
    { path: "a.txt", data: "a2" },
    { path: "lib/", type: "directory" },
    { path: "lib/z.jar", data: "z2" },
    { path: "new/sub/n.txt", data: "n2" },
  ]));
  await Deno.writeFile(`${dir}/p.tar.gz`, gz);
  return parseManifest({
    url: "p.tar.gz",
    hash: `sha256:${sha256(gz)}`,
    version: "2",
    operations: {
      replace: { files: ["a.txt", "new/sub/n.txt"], directories: ["lib"] },
      delete: { files: ["gone.txt"] },
    },
  }, new URL(`file://${dir}/m.json`));
}

Deno.test("applyPatch() undoes every step when any commit step fails", async () => {
  const [dir, done] = await tempDir();
  try {
    const manifest = await fixture(dir);
    const before = await snapshot(`${dir}/app`, { exclude: [] });
    for (let k = 0; k < 4; k++) {
      await assert.rejects(
        applyPatch(manifest, `${dir}/app`, {
          allowUnsigned: true,
          failBeforeStep: k,
        }),
        { code: "CommitFailed", message: /all changes undone/ },
      );
      assert.deepEqual(
        await snapshot(`${dir}/app`, { exclude: [] }),
        before,
        `failure before step ${k}`,
      );
    }
    const r = await applyPatch(manifest, `${dir}/app`, { allowUnsigned: true });
    assert.equal(r.plan.steps.length, 4);
    const after = await snapshot(`${dir}/app`);
    assert.deepEqual(Object.keys(after).sort(), [
      "a.txt",
      "lib",
      "lib/z.jar",
      "new",
      "new/sub",
      "new/sub/n.txt",
    ]);
  } finally {
    await done();
  }
});

// Mutation caught: DirLock.acquire() ignoring a failed tryLock().
Deno.test("DirLock refuses a second holder by name and takes over a dead holder's lock", async () => {
  const [dir, done] = await tempDir();
  try {
    const path = `${dir}/lock`;
    const first = await DirLock.acquire(path, "apply");
    await assert.rejects(DirLock.acquire(path, "rollback"), {
      code: "Locked",
      message: new RegExp(`pid ${Deno.pid} .*"apply"`),
    });
    await first.release();
    // A file left behind by a process that died: no flock on it.
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        pid: 999999,
        host: "h",
        command: "apply",
        since: "then",
      }),
    );
    const second = await DirLock.acquire(path, "recover");
    assert.equal(second.staleHolder?.pid, 999999);
    await second.release();
  } finally {
    await done();
  }
});
