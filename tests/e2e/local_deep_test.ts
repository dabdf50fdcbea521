/**
 * The install directory's owner nests a directory 20,000 levels deep before
 * a patch deletes (or replaces) it. The directory moves into the kept backup
 * whole, and the next apply prunes that backup: the removal must neither
 * recurse once per level (`Deno.remove` with `recursive` overflowed its
 * thread's stack and aborted patchops, and every later run's recovery
 * aborted the same way) nor follow anything out of the working area.
 *
 * Mutation caught: `removeIfExists` calling `Deno.remove(path, { recursive:
 * true })` (the code before this test): the second apply died of a stack
 * overflow, and so did `recover` after it.
 */

import assert from "node:assert/strict";
import { exec, makePatch, runCli, snapshot, tempDir, writeTree } from "../_helpers.ts";

const isRoot = Deno.build.os === "linux" && Deno.uid() === 0;
const NOBODY = 65534;
const DEPTH = 20_000; // Deno.remove overflowed from about 15,000 levels here

/** Made by a child: it moves its own working directory down the chain. */
const NEST = `
Deno.chdir(Deno.args[0]);
for (let i = 0; i < Number(Deno.args[1]); i++) { Deno.mkdirSync("d"); Deno.chdir("d"); }
Deno.writeTextFileSync("bottom.txt", "deep");
`;

Deno.test({
  name: "a directory nested 20,000 deep by the tree's owner is pruned from the backups without a crash",
  ignore: !isRoot,
  async fn() {
    const [base, done] = await tempDir();
    try {
      const app = `${base}/app`;
      const outside = `${base}/outside`;
      await writeTree(app, { "a.txt": "a1", "cache/keep.txt": "c" });
      await writeTree(outside, { "victim.txt": "precious" });
      const nest = await exec(Deno.execPath(), ["eval", NEST, `${app}/cache`, String(DEPTH)]);
      assert.equal(nest.code, 0, nest.stderr);
      // A link to the outside in the middle of the chain: removed, never followed.
      await Deno.symlink(outside, `${app}/cache/d/d/d/out`);
      const owned = await exec("chown", ["-R", `${NOBODY}:${NOBODY}`, app]);
      assert.equal(owned.code, 0, owned.stderr);
      const outsideBefore = await snapshot(outside, { exclude: [] });

      const first = await makePatch(base, [{ path: "a.txt", data: "a2" }], {
        replace: { files: ["a.txt"] },
        delete: { directories: ["cache"] },
      }, { name: "p2", extra: { version: "2" } });
      const second = await makePatch(base, [{ path: "a.txt", data: "a3" }], { replace: { files: ["a.txt"] } }, {
        name: "p3",
        extra: { version: "3" },
      });
      const flags = ["--dir", app, "--allow-unsigned", "--allow-untrusted-owner"];
      const r1 = await runCli(["apply", first, ...flags]);
      assert.equal(r1.code, 0, r1.stderr);
      // The kept backup holds the deep directory; this apply prunes it (--keep 1).
      const r2 = await runCli(["apply", second, ...flags]);
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal(await Deno.readTextFile(`${app}/a.txt`), "a3");
      const backups = [...Deno.readDirSync(`${app}/.patchops/backups`)];
      assert.equal(backups.length, 1);
      const r3 = await runCli(["recover", "--dir", app, "--allow-untrusted-owner"]);
      assert.equal(r3.code, 0, r3.stderr);
      assert.deepEqual(await snapshot(outside, { exclude: [] }), outsideBefore);
      assert.deepEqual(Object.keys(await snapshot(app)), ["a.txt"]);
    } finally {
      // The chain is too deep for a recursive remove as well.
      await exec("rm", ["-rf", base]);
      await done();
    }
  },
});
