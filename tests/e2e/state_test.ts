/**
 * Lock, version guard and status through the command line.
 */

import assert from "node:assert/strict";
import { DirLock } from "../../src/apply/lock.ts";
import { makePatch, runCli, tempDir, writeTree } from "../_helpers.ts";

async function setup() {
  const [base, done] = await tempDir();
  const app = `${base}/app`;
  await writeTree(app, { "a.txt": "v1" });
  const patch = (name: string, data: string, extra: Record<string, unknown>) =>
    makePatch(base, [{ path: "a.txt", data }], {
      replace: { files: ["a.txt"] },
    }, { name, extra });
  const apply = (manifest: string, ...more: string[]) =>
    runCli(["apply", manifest, "--dir", app, "--allow-unsigned", ...more]);
  return { base, app, patch, apply, done };
}

// Mutation caught: DirLock.acquire() ignoring a failed tryLock().
Deno.test("a live lock holder makes apply, rollback and recover fail at once, naming it", async () => {
  const s = await setup();
  try {
    const m = await s.patch("p2", "v2", { version: "2.0" });
    await Deno.mkdir(`${s.app}/.patchops`);
    const lock = await DirLock.acquire(`${s.app}/.patchops/lock`, "apply");
    try {
      for (
        const args of [["apply", m, "--dir", s.app, "--allow-unsigned"], [
          "rollback",
          "--dir",
          s.app,
        ], [
          "recover",
          "--dir",
          s.app,
        ]]
      ) {
        const r = await runCli(args);
        assert.equal(r.code, 1, args[0]);
        assert.match(
          r.stderr,
          new RegExp(`another patchops \\(pid ${Deno.pid} on .*"apply"`),
          args[0],
        );
      }
      const status = await runCli(["status", "--dir", s.app]);
      assert.match(status.stdout, new RegExp(`lock: +held by pid ${Deno.pid}`));
    } finally {
      await lock.release();
    }
    assert.equal(await Deno.readTextFile(`${s.app}/a.txt`), "v1");
    // A lock file left by a dead process is taken over, with a warning.
    await Deno.writeTextFile(
      `${s.app}/.patchops/lock`,
      JSON.stringify({
        pid: 2 ** 22 + 1,
        host: "gone",
        command: "apply",
        since: "earlier",
      }),
    );
    const r = await s.apply(m);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /took over a stale lock left by pid 4194305 on gone/,
    );
  } finally {
    await s.done();
  }
});

Deno.test("the version guard refuses another base version and downgrades unless forced", async () => {
  const s = await setup();
  try {
    assert.equal(
      (await s.apply(await s.patch("p2", "v2", { version: "2.0" }))).code,
      0,
    );
    const same = await s.apply(await s.patch("p2b", "v2", { version: "2.0" }));
    assert.equal(same.code, 0);
    assert.match(same.stdout, /at 2\.0 already/);

    const wrongBase = await s.patch("p3", "v3", {
      version: "3.0",
      from_version: "1.0",
    });
    let r = await s.apply(wrongBase);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /the patch is for version 1\.0, but 2\.0 is installed; pass --force/,
    );

    const older = await s.patch("p15", "v1.5", { version: "1.10" });
    await s.apply(await s.patch("p10", "v10", { version: "1.9" })).then((x) => assert.equal(x.code, 1));
    r = await s.apply(older);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /older than the installed 2\.0 \(a downgrade\)/);
    assert.equal(await Deno.readTextFile(`${s.app}/a.txt`), "v2");

    r = await s.apply(wrongBase, "--force");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: forced: the patch is for version 1\.0/);
    const status = JSON.parse(
      (await runCli(["status", "--dir", s.app, "--json"])).stdout,
    );
    assert.equal(status.version, "3.0");
    assert.equal(status.history.length, 2);
    assert.equal(status.backups.length, 1);

    const back = await runCli(["rollback", "--dir", s.app]);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /from 3\.0 to 2\.0/);
    assert.equal(await Deno.readTextFile(`${s.app}/a.txt`), "v2");
  } finally {
    await s.done();
  }
});

Deno.test("recover on a clean directory is a no-op that exits 0 and leaves nothing behind", async () => {
  const s = await setup();
  try {
    const r = await runCli(["recover", "--dir", s.app]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing to recover/);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(s.app))).map((e) => e.name), ["a.txt"]);
  } finally {
    await s.done();
  }
});
