/**
 * The install directory's owner removes what is theirs while root commits:
 * a target after the plan saw it and before it is moved to the backup, or a
 * replacement just after it is moved in. Each is acted out at the exact
 * moment through the transaction's own test seams (`observeFs` reports each
 * rename as it happens, `onPoint` names the points between batches).
 *
 * Mutation caught (the code before these tests): `planUndo` refusing a step
 * whose copy is missing from the tree alone, and `finishTransaction`
 * refusing a committed replacement that is not in place. The first left
 * every target moved out so far in the backup (the directory stripped) and
 * both made every later apply, recover and rollback refuse.
 */

import assert from "node:assert/strict";
import { applyPatch } from "../../src/apply/mod.ts";
import { observeFs } from "../../src/apply/_fs.ts";
import { recoverInstallDir } from "../../src/apply/inspect.ts";
import { rollbackLast } from "../../src/apply/rollback.ts";
import { parseManifest } from "../../src/manifest.ts";
import { buildTar, gzip, sha256, snapshot, tempDir, writeTree } from "../_helpers.ts";

const FILES = 6;

async function fixture(dir: string) {
  const spec: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) spec[`f${i}.txt`] = `old ${i}`;
  await writeTree(`${dir}/app`, spec);
  const members = Array.from({ length: FILES }, (_, i) => ({ path: `f${i}.txt`, data: `new ${i}` }));
  const gz = await gzip(buildTar(members));
  await Deno.writeFile(`${dir}/p.tar.gz`, gz);
  return parseManifest({
    url: "p.tar.gz",
    hash: `sha256:${sha256(gz)}`,
    version: "2",
    operations: { replace: { files: members.map((m) => m.path) } },
  }, new URL(`file://${dir}/m.json`));
}

Deno.test("a target its owner removes before it is backed up: the undo restores every other one", async () => {
  const [dir, done] = await tempDir();
  const app = `${dir}/app`;
  let removed = false;
  const stop = observeFs((e) => {
    // Right after the first target moved to the backup, the owner removes the last one.
    if (!removed && e.op === "rename" && e.to.includes("/backup/")) {
      removed = true;
      Deno.removeSync(`${app}/f${FILES - 1}.txt`);
    }
  });
  try {
    const manifest = await fixture(dir);
    const before = await snapshot(app, { exclude: [] });
    await assert.rejects(applyPatch(manifest, app, { allowUnsigned: true }), {
      code: "CommitFailed",
      // The path left missing is named, so that whoever reads the error knows which one.
      message: new RegExp(`all changes undone, except "f${FILES - 1}\\.txt", left missing as found`),
    });
    stop();
    assert.ok(removed);
    const expected = { ...before };
    delete expected[`f${FILES - 1}.txt`];
    assert.deepEqual(await snapshot(app, { exclude: [] }), expected);
    // Nothing is left for recovery, and the next apply reaches the new tree.
    assert.deepEqual(await recoverInstallDir(app), { rolledBack: [], finished: [], discarded: [] });
    await applyPatch(manifest, app, { allowUnsigned: true });
    for (let i = 0; i < FILES; i++) assert.equal(await Deno.readTextFile(`${app}/f${i}.txt`), `new ${i}`);
  } finally {
    stop();
    await done();
  }
});

Deno.test("a replacement its owner removes once committed: the apply finishes and later commands work", async () => {
  const [dir, done] = await tempDir();
  const app = `${dir}/app`;
  try {
    const manifest = await fixture(dir);
    const before = await snapshot(app, { exclude: [] });
    const r = await applyPatch(manifest, app, {
      allowUnsigned: true,
      onPoint: (p) => {
        if (p === "committed") Deno.removeSync(`${app}/f1.txt`);
      },
    });
    assert.equal(r.version, "2");
    assert.equal(await Deno.readTextFile(`${app}/f2.txt`), "new 2");
    assert.deepEqual(await recoverInstallDir(app), { rolledBack: [], finished: [], discarded: [] });
    // The kept backup is whole: the rollback brings back every old file, the removed one's too.
    await rollbackLast(app);
    assert.deepEqual(await snapshot(app), before);
  } finally {
    await done();
  }
});

Deno.test("a replacement its owner removes before a later step fails: the undo restores the old copy", async () => {
  const [dir, done] = await tempDir();
  const app = `${dir}/app`;
  try {
    const manifest = await fixture(dir);
    const before = await snapshot(app, { exclude: [] });
    await assert.rejects(
      applyPatch(manifest, app, {
        allowUnsigned: true,
        failBeforeStep: 3,
        onPoint: (p) => {
          if (p === "step:1") Deno.removeSync(`${app}/f0.txt`);
        },
      }),
      { code: "CommitFailed", message: /all changes undone/ },
    );
    assert.deepEqual(await snapshot(app, { exclude: [] }), before);
  } finally {
    await done();
  }
});

Deno.test("a replacement gone from its place and its old copy gone from the backup too is refused, not taken as the owner's removal", async () => {
  // The owner can reach only the install directory: a backup copy gone as well is a fault of patchops or
  // the file system, and recovery must stop rather than report the undo done.
  const [dir, done] = await tempDir();
  const app = `${dir}/app`;
  const find = (at: string, name: string): string | undefined => {
    for (const e of Deno.readDirSync(at)) {
      const p = `${at}/${e.name}`;
      if (e.isFile && p.endsWith(name)) return p;
      if (e.isDirectory) {
        const f = find(p, name);
        if (f) return f;
      }
    }
    return undefined;
  };
  try {
    const manifest = await fixture(dir);
    await assert.rejects(
      applyPatch(manifest, app, {
        allowUnsigned: true,
        failBeforeStep: 3,
        onPoint: (p) => {
          if (p !== "step:1") return;
          Deno.removeSync(`${app}/f0.txt`);
          Deno.removeSync(find(`${app}/.patchops`, "/backup/f0.txt")!);
        },
      }),
      {
        code: "CommitFailed",
        message: /undo failed too \(.*"f0\.txt": neither copy is in place, in the staging area or in the backup/,
      },
    );
  } finally {
    await done();
  }
});
