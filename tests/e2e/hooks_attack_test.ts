/**
 * Hooks under attack: a local user who swaps `.patchops` while a pre-apply
 * hook reads the staged files; hook timeouts the timers cannot keep; and
 * recovery's kill of an orphaned hook group, which must not reach a process
 * that only looks like the recorded one (same pid and start time, another
 * boot).
 *
 * The patch is made by `keygen` and `create` from two real trees.
 */

import assert from "node:assert/strict";
import { exec, runCli, snapshot, tempDir, writeTree } from "../_helpers.ts";
import { bootId, killOrphanedHook, processStart, runHook } from "../../src/apply/hooks.ts";
import { PatchopsError } from "../../src/errors.ts";

/** An adopted 1.0 tree at `<dir>/app`, a signed 1.0 -> 2.0 patch, a hooks directory and a marker directory. */
async function setup(dir: string) {
  await writeTree(`${dir}/old`, { "bin/app": "v1\n", "readme": "same\n" });
  await writeTree(`${dir}/new`, { "bin/app": "v2\n", "readme": "same\n" });
  let r = await runCli(["keygen", "--out", `${dir}/k`, "--unencrypted"]);
  assert.equal(r.code, 0, r.stderr);
  r = await runCli([
    "create",
    "--from",
    `${dir}/old`,
    "--to",
    `${dir}/new`,
    "--out",
    `${dir}/site`,
    "--secret-key",
    `${dir}/k.key`,
    "--version",
    "2.0",
    "--from-version",
    "1.0",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await exec("cp", ["-a", `${dir}/old`, `${dir}/app`])).code, 0);
  r = await runCli(["adopt", "--dir", `${dir}/app`, "--version", "1.0"]);
  assert.equal(r.code, 0, r.stderr);
  await Deno.mkdir(`${dir}/hooks`, { mode: 0o700 });
  await Deno.mkdir(`${dir}/marks`);
  const apply = (...extra: string[]) =>
    runCli([
      "apply",
      `${dir}/site/manifest.json`,
      "--dir",
      `${dir}/app`,
      "--public-key",
      `${dir}/k.pub`,
      "--hooks-dir",
      `${dir}/hooks`,
      ...extra,
    ]);
  return { app: `${dir}/app`, hooks: `${dir}/hooks`, marks: `${dir}/marks`, apply };
}

async function hook(path: string, body: string): Promise<void> {
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o700);
}

Deno.test("a pre-apply hook reads the staged files even when .patchops is swapped for a forged one", async () => {
  const [dir, done] = await tempDir();
  try {
    const { app, hooks, marks, apply } = await setup(dir);
    // The hook plays the local user too: it renames the working area away and puts a forged
    // one with a forged staged file in its place, reads what it was told is staged, then undoes the swap.
    await hook(
      `${hooks}/pre-apply`,
      `set -e
cd "$PATCHOPS_INSTALL_DIR"
mv .patchops .moved
mkdir -p ".patchops/txn/$PATCHOPS_TXN_ID/staging/bin"
echo forged > ".patchops/txn/$PATCHOPS_TXN_ID/staging/bin/app"
cat "$PATCHOPS_STAGING_DIR/bin/app" > ${marks}/seen
rm -r .patchops
mv .moved .patchops`,
    );
    const r = await apply();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(`${marks}/seen`), "v2\n");
    assert.deepEqual(await snapshot(app, { exclude: [".patchops"] }), await snapshot(`${dir}/new`));
  } finally {
    await done();
  }
});

Deno.test("a hook timeout the timers cannot keep is refused before anything changes", async () => {
  const [dir, done] = await tempDir();
  try {
    const { app, hooks, marks, apply } = await setup(dir);
    await hook(`${hooks}/post-apply`, `sleep 0.3; echo ran > ${marks}/post`);
    const before = await snapshot(app);
    // 3,000,000 s does not fit a timer: it would fire at once and kill the hook.
    const r = await apply("--hook-timeout", "3000000");
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--hook-timeout must be at most 2147483 seconds/);
    assert.deepEqual(await snapshot(app), before);
    // The library refuses such values itself, before the hook starts.
    const h = { stage: "post-apply" as const, name: "post-apply", path: `${hooks}/post-apply` };
    for (const t of [3_000_000, 0, -1, NaN, Infinity]) {
      await assert.rejects(
        runHook(h, {}, { timeoutSeconds: t }),
        (e) => e instanceof PatchopsError && e.code === "HookRefused",
        `timeout ${t}`,
      );
    }
    await assert.rejects(Deno.stat(`${marks}/post`), Deno.errors.NotFound);
    // The largest allowed timeout is kept: the hook runs to its end.
    const run = await runHook(h, {}, { timeoutSeconds: 2_147_483 });
    assert.equal(run.outcome, "ok", run.stderr);
    assert.equal(await Deno.readTextFile(`${marks}/post`), "ran\n");
  } finally {
    await done();
  }
});

Deno.test("recovery kills an orphaned hook group only within the boot it was recorded in", async () => {
  // A process that leads a session of its own, as a hook does (and as daemons do).
  const child = new Deno.Command("sleep", { args: ["1000"], detached: true, stdout: "null", stderr: "null" }).spawn();
  try {
    const start = processStart(child.pid);
    assert.ok(start !== undefined);
    assert.equal(start.pgid, child.pid);
    const boot = bootId();
    assert.ok(boot !== null);
    // Same pid, same start time, another boot: an unrelated process that root must leave alone.
    const other = boot.startsWith("0") ? `1${boot.slice(1)}` : `0${boot.slice(1)}`;
    assert.equal(killOrphanedHook(child.pid, start.startTime, other), false);
    assert.equal(killOrphanedHook(child.pid, start.startTime + 1, boot), false);
    const raced = await Promise.race([child.status, new Promise((r) => setTimeout(() => r("alive"), 300))]);
    assert.equal(raced, "alive");
    assert.equal(killOrphanedHook(child.pid, start.startTime, boot), true);
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
  } finally {
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch {
      // Gone already.
    }
    await child.status;
  }
});

Deno.test("a hook stopped before its go-ahead ends as interrupted, not with a broken pipe", async () => {
  const [dir, done] = await tempDir();
  try {
    await hook(`${dir}/pre-apply`, `echo ran >> ${dir}/ran`);
    const h = { stage: "pre-apply" as const, name: "pre-apply", path: `${dir}/pre-apply` };
    const aborted = AbortSignal.abort();
    // The shell gets SIGTERM before it is told to run; each try races its death against the go-ahead.
    for (let i = 0; i < 10; i++) {
      const run = await runHook(h, {}, {
        signal: aborted,
        onSpawn: () => new Promise((r) => setTimeout(r, 20)),
      });
      assert.equal(run.outcome, "interrupted");
    }
    await assert.rejects(Deno.stat(`${dir}/ran`), Deno.errors.NotFound);
  } finally {
    await done();
  }
});
