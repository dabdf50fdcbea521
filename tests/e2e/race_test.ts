/**
 * The check-then-rename race: the moment the journal appears (planning and
 * its checks are over), a helper process swaps directories on the targets'
 * paths for symlinks to a directory outside. No rename may land outside,
 * and once the names are put back, `recover` (or the finished apply) leaves
 * exactly the old or the new tree.
 *
 * Mutation caught: `doStep` renaming through `ws.target(step.path)` (plain
 * absolute paths, the first wave's code) put package files into outside/.
 */

import assert from "node:assert/strict";
import { makePatch, type Member, runCli, snapshot, tempDir, type TreeSpec, writeTree } from "../_helpers.ts";

const DIRS = 8;
const PER_DIR = 300;
const ROUNDS = 4;

const SWAPPER = `
const [app, outside, ...dirs] = Deno.args;
console.log("ready");
const txn = app + "/.patchops/txn";
for (;;) {
  let found = false;
  try {
    for (const e of Deno.readDirSync(txn)) {
      try { Deno.statSync(txn + "/" + e.name + "/journal.json"); found = true; } catch { /* not yet */ }
    }
  } catch { /* no txn yet */ }
  if (found) break;
}
for (const d of dirs) {
  Deno.renameSync(app + "/" + d, app + "/" + d + ".moved");
  Deno.symlinkSync(outside, app + "/" + d);
}
console.log("swapped");
`;

Deno.test("swapping target directories for symlinks during the commit never moves a file outside", async () => {
  let swappedRounds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const [base, done] = await tempDir();
    try {
      const app = `${base}/app`;
      const outside = `${base}/outside`;
      const oldSpec: TreeSpec = {};
      const newSpec: TreeSpec = {};
      const members: Member[] = [];
      const files: string[] = [];
      for (let d = 0; d < DIRS; d++) {
        // New files first: a rename into a swapped directory then has nothing to move away
        // first, which is what would carry a package file outside.
        for (const kind of ["n", "f"]) {
          for (let f = 0; f < PER_DIR / 2; f++) {
            const p = `d${d}/${kind}${f}.txt`;
            if (kind === "f") oldSpec[p] = `old ${p}`;
            newSpec[p] = `new ${p}`;
            members.push({ path: p, data: `new ${p}` });
            files.push(p);
          }
        }
      }
      await writeTree(app, oldSpec);
      await writeTree(`${base}/expect`, newSpec);
      const newTree = await snapshot(`${base}/expect`);
      // The attacker's directory mimics the real ones, so that renames through the link would succeed.
      const decoy: TreeSpec = { "victim.txt": "precious" };
      for (let f = 0; f < PER_DIR / 2; f++) decoy[`f${f}.txt`] = `decoy ${f}`;
      await writeTree(outside, decoy);
      const manifest = await makePatch(base, members, { replace: { files } }, { extra: { version: "2.0" } });
      const oldTree = await snapshot(app);
      const outsideBefore = await snapshot(outside, { exclude: [] });

      // Early rounds swap the first directories (their steps are under way), later rounds the last ones.
      const victims = round % 2 === 0 ? ["d0", "d1"] : [`d${DIRS - 2}`, `d${DIRS - 1}`];
      const swapper = new Deno.Command(Deno.execPath(), {
        args: ["eval", SWAPPER, app, outside, ...victims],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const reader = swapper.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      while (!said.includes("ready")) said += (await reader.read()).value ?? "";
      const r = await runCli(["apply", manifest, "--dir", app, "--allow-unsigned"]);
      await swapper.status;
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        said += value;
      }
      assert.deepEqual(await snapshot(outside, { exclude: [] }), outsideBefore, `round ${round}: outside unchanged`);
      if (said.includes("swapped")) swappedRounds++;
      if (r.code !== 0) {
        assert.equal(r.stderr.split("\n").filter((l) => l.startsWith("error: ")).length, 1, r.stderr);
      }

      // Put the names back as they were; then the tree must be exactly old or new.
      for (const d of victims) {
        await Deno.remove(`${app}/${d}`).catch(() => {});
        await Deno.rename(`${app}/${d}.moved`, `${app}/${d}`).catch(() => {});
      }
      const rec = await runCli(["recover", "--dir", app]);
      assert.equal(rec.code, 0, rec.stderr);
      const after = await snapshot(app);
      const isOld = JSON.stringify(after) === JSON.stringify(oldTree);
      const isNew = JSON.stringify(after) === JSON.stringify(newTree);
      assert.ok(isOld || isNew, `round ${round}: tree is neither old nor new (apply: ${r.code} ${r.stderr})`);
    } finally {
      await done();
    }
  }
  assert.ok(swappedRounds >= ROUNDS - 1, `the swap happened in ${swappedRounds} of ${ROUNDS} rounds`);
});
