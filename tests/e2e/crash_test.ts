/**
 * Crash safety: apply and rollback are killed with SIGKILL at many moments;
 * after `recover` the tree must be exactly the old or exactly the new one,
 * and a following command must reach its target.
 */

import assert from "node:assert/strict";
import { exec, ROOT, runCli, snapshot, tempDir } from "../_helpers.ts";
import { buildCrashFixture, type CrashFixture, freshCopy } from "./_crash_fixture.ts";

const CHILD = `${ROOT}/tests/e2e/_crash_child.ts`;

async function killAfter(
  args: string[],
  ms: number,
): Promise<{ killed: boolean }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", `${ROOT}/main.ts`, ...args],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let killed = false;
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
      killed = true;
    } catch {
      // Already exited.
    }
  }, ms);
  const status = await child.status;
  clearTimeout(timer);
  return { killed: killed && status.signal === "SIGKILL" };
}

async function crashAt(
  mode: string,
  manifest: string,
  dir: string,
  point: string,
): Promise<void> {
  const r = await exec(Deno.execPath(), [
    "run",
    "--quiet",
    "-A",
    CHILD,
    mode,
    manifest,
    dir,
    point,
  ]);
  assert.equal(r.code, 137, `child was to die at ${point}: ${r.stderr}`);
}

async function which(fx: CrashFixture, dir: string): Promise<"old" | "new"> {
  const snap = await snapshot(dir);
  if (JSON.stringify(snap) === JSON.stringify(fx.oldSnap)) return "old";
  if (JSON.stringify(snap) === JSON.stringify(fx.newSnap)) return "new";
  const diff = Object.keys({ ...snap, ...fx.oldSnap }).filter((k) => snap[k] !== fx.oldSnap[k]).slice(0, 5);
  throw new assert.AssertionError({
    message: `tree is a mix of versions; differs from old at ${diff.join(", ")}`,
  });
}

async function recoverOk(dir: string): Promise<void> {
  const r = await runCli(["recover", "--dir", dir]);
  assert.equal(r.code, 0, r.stderr);
}

Deno.test("apply killed with SIGKILL at moments spread over its run recovers to the old or new tree", async () => {
  const [base, done] = await tempDir();
  try {
    const fx = await buildCrashFixture(base);
    const app = `${base}/app`;
    await freshCopy(fx, app);
    const t0 = performance.now();
    const full = await runCli([
      "apply",
      fx.manifest,
      "--dir",
      app,
      "--allow-unsigned",
    ]);
    const duration = performance.now() - t0;
    assert.equal(full.code, 0, full.stderr);
    assert.equal(await which(fx, app), "new");

    const outcomes: string[] = [];
    const trials = 10;
    for (let i = 0; i < trials; i++) {
      await freshCopy(fx, app);
      const ms = Math.round((duration * (i + 0.5)) / trials);
      const { killed } = await killAfter([
        "apply",
        fx.manifest,
        "--dir",
        app,
        "--allow-unsigned",
      ], ms);
      await recoverOk(app);
      const landed = await which(fx, app);
      outcomes.push(`${ms}ms:${killed ? "killed" : "finished"}:${landed}`);
      const again = await runCli([
        "apply",
        fx.manifest,
        "--dir",
        app,
        "--allow-unsigned",
      ]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(
        await which(fx, app),
        "new",
        `apply after the crash at ${ms} ms`,
      );
    }
    assert.ok(outcomes.some((o) => o.includes("killed")), outcomes.join(" "));
  } finally {
    await done();
  }
});

// Mutations caught: undoStep() not moving backups back; undoStep() leaving the new item in
// place; undoTransaction() undoing steps in forward order (also caught by the rollback test).
Deno.test("apply killed at each transaction point, and recovery killed mid-undo, converge", async () => {
  const [base, done] = await tempDir();
  try {
    const fx = await buildCrashFixture(base, 600);
    const app = `${base}/app`;
    const expect: [string, "old" | "new"][] = [
      ["step:1", "old"],
      ["step:300", "old"],
      [`step:${fx.steps}`, "old"],
      ["committed", "new"],
      ["finish:backup", "new"],
      ["finish:state", "new"],
    ];
    for (const [point, want] of expect) {
      await freshCopy(fx, app);
      await crashAt("apply", fx.manifest, app, point);
      const status = await runCli(["status", "--dir", app, "--json"]);
      assert.equal(
        JSON.parse(status.stdout).pending.length,
        1,
        `${point}: a pending transaction is reported`,
      );
      await recoverOk(app);
      assert.equal(await which(fx, app), want, point);
      const again = await runCli([
        "apply",
        fx.manifest,
        "--dir",
        app,
        "--allow-unsigned",
      ]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await which(fx, app), "new");
    }
    // A crash during recovery itself: recovery runs again and still converges.
    await freshCopy(fx, app);
    await crashAt("apply", fx.manifest, app, "step:400");
    await crashAt("recover", "-", app, "undo:150");
    await crashAt("recover", "-", app, "undo:3");
    const r = await runCli([
      "apply",
      fx.manifest,
      "--dir",
      app,
      "--allow-unsigned",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /recovered: rolled back interrupted transaction/);
    assert.equal(await which(fx, app), "new");
  } finally {
    await done();
  }
});

Deno.test("rollback restores the old tree, and a killed rollback recovers to one of the two", async () => {
  const [base, done] = await tempDir();
  try {
    const fx = await buildCrashFixture(base, 600);
    const app = `${base}/app`;
    for (
      const point of ["step:1", "step:200", "committed", "finish:state", "none"]
    ) {
      await freshCopy(fx, app);
      const a = await runCli([
        "apply",
        fx.manifest,
        "--dir",
        app,
        "--allow-unsigned",
      ]);
      assert.equal(a.code, 0, a.stderr);
      if (point !== "none") {
        await crashAt("rollback", "-", app, point);
        await recoverOk(app);
        const landed = await which(fx, app);
        assert.equal(landed, point.startsWith("step") ? "new" : "old", point);
        if (landed === "old") continue;
      }
      const r = await runCli(["rollback", "--dir", app]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await which(fx, app), "old", point);
      const status = JSON.parse(
        (await runCli(["status", "--dir", app, "--json"])).stdout,
      );
      assert.equal(status.version, null);
      assert.deepEqual(status.backups, []);
      const none = await runCli(["rollback", "--dir", app]);
      assert.equal(none.code, 1);
      assert.match(
        none.stderr,
        /^error: cannot roll back .*no backup is kept/m,
      );
    }
  } finally {
    await done();
  }
});
