/**
 * Power cuts under the strict model (see `_power_cut.ts`): a rename is
 * durable only once the directories involved are fsynced, each directory on
 * its own; sync/syncfs makes everything durable. One apply of a ~400-path
 * patch and one rollback are recorded; at every sync point the durable state
 * is written out, `recover` runs on it, and the tree must be exactly the old
 * or exactly the new one, after which a second apply (or rollback) reaches
 * its target. A cut during recovery itself is tried too, then recovery again.
 *
 * Mutation tried: in `commitTransaction`, the backup barrier's halves
 * swapped (the targets' parents fsynced before the backup directories).
 * Then 34 of the apply's 101 cuts fail: "the old copy is neither in place
 * nor in the backup", and recover refuses.
 * Before the ordering work (one fsync pass after all renames), 26 of the
 * apply's 74 cuts left a mixed tree with old copies lost, and 54 of the
 * rollback's 65 cuts left a tree or a kept backup that the next run could
 * not use.
 */

import assert from "node:assert/strict";
import { applyPatch, openInstallDir, Session } from "../../src/apply/mod.ts";
import { rollbackLast } from "../../src/apply/rollback.ts";
import { loadManifest } from "../../src/manifest.ts";
import { exec, makePatch, type Member, snapshot, tempDir, writeTree } from "../_helpers.ts";
import { realPaths, Recorder } from "./_power_cut.ts";

/** An old tree of 272 files and a patch of 378 operations over it (replace, delete, add in new directories, one directory). */
async function fixture(base: string): Promise<{ old: string; manifest: string }> {
  const spec: Record<string, string> = {};
  for (let d = 0; d < 16; d++) for (let f = 0; f < 16; f++) spec[`d${d}/f${f}.txt`] = `old ${d}/${f}\n`;
  for (let p = 0; p < 16; p++) spec[`plugins/p${p}.js`] = `old plugin ${p}`;
  await writeTree(`${base}/old`, spec);
  const members: Member[] = [];
  const replace: string[] = [];
  const del: string[] = [];
  for (let d = 0; d < 16; d++) {
    for (let f = 0; f < 16; f++) {
      const path = `d${d}/f${f}.txt`;
      if (f % 8 === 0) del.push(path);
      else if (f % 5 !== 0) {
        members.push({ path, data: `new ${d}/${f}\n` });
        replace.push(path);
      }
    }
  }
  for (let i = 0; i < 48; i++) {
    const path = `added/a${i % 6}/n${i}.txt`;
    members.push({ path, data: `added ${i}` });
    replace.push(path);
  }
  members.push({ path: "plugins/", type: "directory" });
  for (let q = 0; q < 12; q++) members.push({ path: `plugins/q${q}.js`, data: `new plugin ${q}` });
  const manifest = await makePatch(base, members, {
    replace: { files: replace, directories: ["plugins"] },
    delete: { files: del },
  }, { extra: { version: "2.0" } });
  return { old: `${base}/old`, manifest };
}

async function copy(from: string, to: string): Promise<void> {
  await Deno.remove(to, { recursive: true }).catch(() => {});
  const r = await exec("cp", ["-a", from, to]);
  if (r.code !== 0) throw new Error(r.stderr);
}

async function recover(dir: string): Promise<void> {
  const session = await Session.open(await openInstallDir(dir), "recover");
  await session.close();
}

type Snap = Record<string, string>;
const same = (a: Snap, b: Snap) => JSON.stringify(a) === JSON.stringify(b);

/** Runs `recover` on the state of one cut; says where it landed, or why it failed. */
async function recoverCut(dir: string, want: { before: Snap; after: Snap }): Promise<"before" | "after" | string> {
  try {
    await recover(dir);
  } catch (err) {
    return `recover refused: ${(err as Error).message}`;
  }
  const snap = await snapshot(dir);
  if (same(snap, want.before)) return "before";
  if (same(snap, want.after)) return "after";
  const diff = Object.keys({ ...snap, ...want.before }).filter((k) => snap[k] !== want.before[k]);
  const lost = Object.keys(want.before).filter((k) => snap[k] === undefined && want.after[k] !== want.before[k]);
  return `mixed tree: ${diff.length} paths differ from the old one, ${lost.length} old copies lost (${
    diff.slice(0, 3).join(", ")
  })`;
}

/** Checks that the recorder saw every change the run made. */
function assertComplete(rec: Recorder, dir: string): void {
  assert.deepEqual(rec.errors, []);
  let live: string[] = [];
  for (const cut of rec.cuts()) live = cut.live();
  const skip = (p: string) => p.startsWith(".patchops/lock ");
  assert.deepEqual(live.filter((p) => !skip(p)), realPaths(dir).filter((p) => !skip(p)));
}

interface Outcome {
  cuts: number;
  before: number;
  after: number;
  failures: string[];
}

/**
 * At every cut point of `rec`: write the durable state, recover, classify;
 * then `next` must reach the final tree. `nested` picks cuts whose recovery
 * is itself recorded and cut at each of its sync points.
 */
async function cutEverywhere(
  rec: Recorder,
  work: string,
  want: { before: Snap; after: Snap },
  next: (dir: string, landed: "before" | "after") => Promise<void>,
  nested: (index: number) => boolean,
): Promise<Outcome> {
  const out: Outcome = { cuts: 0, before: 0, after: 0, failures: [] };
  const dir = `${work}/cut`;
  for (const cut of rec.cuts()) {
    out.cuts++;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    cut.write(dir);
    if (nested(cut.index)) {
      const inner = await cutRecovery(dir, work, want);
      out.failures.push(...inner.map((f) => `cut ${cut.index}, then ${f}`));
    }
    const landed = await recoverCut(dir, want);
    if (landed !== "before" && landed !== "after") {
      out.failures.push(`cut ${cut.index}/${rec.cutCount}: ${landed}`);
      continue;
    }
    out[landed]++;
    try {
      await next(dir, landed);
      if (!same(await snapshot(dir), want.after)) {
        out.failures.push(`cut ${cut.index}: the next run did not reach the target`);
      }
    } catch (err) {
      out.failures.push(`cut ${cut.index}: the next run failed (${(err as Error).message})`);
    }
  }
  return out;
}

/** Records `recover` on the state in `dir`, cuts it at each of its sync points, and recovers again. */
async function cutRecovery(dir: string, work: string, want: { before: Snap; after: Snap }): Promise<string[]> {
  const failures: string[] = [];
  const probe = `${work}/probe`;
  await copy(dir, probe);
  const rec = new Recorder(probe, false);
  try {
    await recover(probe);
  } catch {
    // Judged by the outer run on its own copy.
  } finally {
    rec.stop();
  }
  const inner = `${work}/inner`;
  for (const cut of rec.cuts()) {
    await Deno.remove(inner, { recursive: true }).catch(() => {});
    cut.write(inner);
    const landed = await recoverCut(inner, want);
    if (landed !== "before" && landed !== "after") failures.push(`a cut in recovery at ${cut.index}: ${landed}`);
  }
  return failures;
}

Deno.test("apply cut at every sync point under the strict model recovers to exactly the old or the new tree", async () => {
  const [base, done] = await tempDir();
  try {
    const { old, manifest: manifestPath } = await fixture(base);
    const manifest = await loadManifest(manifestPath);
    const run = `${base}/run`;
    await copy(old, run);
    const before = await snapshot(old);
    const rec = new Recorder(run, true);
    try {
      await applyPatch(manifest, run, { allowUnsigned: true });
    } finally {
      rec.stop();
    }
    const after = await snapshot(run);
    assert.ok(!same(before, after));
    assert.deepEqual(rec.errors, []);
    assertComplete(rec, run);
    // Recovery itself is cut at each of its sync points, for two of the states a cut leaves.
    const nested = new Set([Math.floor(rec.cutCount * 0.3), Math.floor(rec.cutCount * 0.6)]);
    const out = await cutEverywhere(
      rec,
      base,
      { before, after },
      async (dir) => {
        await applyPatch(manifest, dir, { allowUnsigned: true });
      },
      (i) => nested.has(i),
    );
    console.log(`apply: ${out.cuts} cuts, ${out.before} old, ${out.after} new, ${out.failures.length} failures`);
    assert.equal(out.failures.length, 0, out.failures.slice(0, 12).join("\n"));
    assert.ok(out.cuts >= 24, `only ${out.cuts} cut points`);
    assert.ok(out.before > 0 && out.after > 0);
  } finally {
    await done();
  }
});

Deno.test("rollback cut at every sync point under the strict model recovers to exactly one of the two trees", async () => {
  const [base, done] = await tempDir();
  try {
    const { old, manifest: manifestPath } = await fixture(base);
    const manifest = await loadManifest(manifestPath);
    const run = `${base}/run`;
    await copy(old, run);
    const oldSnap = await snapshot(old);
    await applyPatch(manifest, run, { allowUnsigned: true });
    const newSnap = await snapshot(run);
    // The applied tree is the baseline: all of it durable.
    assert.equal((await exec("sync", [])).code, 0);
    const rec = new Recorder(run, false);
    try {
      await rollbackLast(run);
    } finally {
      rec.stop();
    }
    assert.ok(same(await snapshot(run), oldSnap));
    assertComplete(rec, run);
    const nested = new Set([Math.floor(rec.cutCount / 2)]);
    const out = await cutEverywhere(
      rec,
      base,
      { before: newSnap, after: oldSnap },
      async (dir, landed) => {
        if (landed === "before") await rollbackLast(dir);
      },
      (i) => nested.has(i),
    );
    console.log(
      `rollback: ${out.cuts} cuts, ${out.before} not rolled back, ${out.after} rolled back, ${out.failures.length} failures`,
    );
    assert.equal(out.failures.length, 0, out.failures.slice(0, 12).join("\n"));
    assert.ok(out.cuts >= 24, `only ${out.cuts} cut points`);
    assert.ok(out.before > 0 && out.after > 0);
  } finally {
    await done();
  }
});
