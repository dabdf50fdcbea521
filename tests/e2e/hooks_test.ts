/**
 * Operator hooks end to end: each stage's success and failure with the tree,
 * the working area and the recorded state checked after; containment (a
 * hanging hook, a hook that ignores SIGTERM, a child that outlives its hook,
 * Ctrl-C, kill -9 of patchops during a hook); escaping of what hooks print;
 * and the ownership checks on the hooks directory and its files.
 *
 * The patch is made by `keygen` and `create` from two real trees, as a
 * publisher would.
 */

import assert from "node:assert/strict";
import { exec, ROOT, runCli, snapshot, tempDir, writeTree } from "../_helpers.ts";

interface Fixture {
  base: string;
  manifest: string;
  pub: string;
  /** An adopted copy of the old tree (1.0), copied for each test. */
  template: string;
  oldSnap: Record<string, string>;
  newSnap: Record<string, string>;
}

let fixture: Promise<Fixture> | undefined;

/** Builds the signed 1.0 -> 2.0 patch once per file. */
function getFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "patchops-hooks-fx-" }));
    // Shared by every test of this file: removed when the file's tests are done.
    globalThis.addEventListener("unload", () => Deno.removeSync(base, { recursive: true }));
    await writeTree(`${base}/old`, { "bin/app": "v1\n", "lib/core.txt": "core 1\n", "readme": "same\n" });
    await writeTree(`${base}/new`, { "bin/app": "v2\n", "lib/core.txt": "core 2\n", "readme": "same\n" });
    let r = await runCli(["keygen", "--out", `${base}/k`, "--unencrypted"]);
    assert.equal(r.code, 0, r.stderr);
    r = await runCli([
      "create",
      "--from",
      `${base}/old`,
      "--to",
      `${base}/new`,
      "--out",
      `${base}/site`,
      "--secret-key",
      `${base}/k.key`,
      "--version",
      "2.0",
      "--from-version",
      "1.0",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await exec("cp", ["-a", `${base}/old`, `${base}/template`])).code, 0);
    r = await runCli(["adopt", "--dir", `${base}/template`, "--version", "1.0"]);
    assert.equal(r.code, 0, r.stderr);
    return {
      base,
      manifest: `${base}/site/manifest.json`,
      pub: `${base}/k.pub`,
      template: `${base}/template`,
      oldSnap: await snapshot(`${base}/old`),
      newSnap: await snapshot(`${base}/new`),
    };
  })();
  return fixture;
}

/** A fresh adopted 1.0 tree at `<dir>/app`, a hooks directory `<dir>/hooks` (0700) and a marker directory. */
async function setup(dir: string): Promise<{ fx: Fixture; app: string; hooks: string; marks: string }> {
  const fx = await getFixture();
  const app = `${dir}/app`;
  assert.equal((await exec("cp", ["-a", fx.template, app])).code, 0);
  await Deno.mkdir(`${dir}/hooks`, { mode: 0o700 });
  await Deno.mkdir(`${dir}/marks`);
  return { fx, app, hooks: `${dir}/hooks`, marks: `${dir}/marks` };
}

/** Writes an executable shell hook (0700 unless `mode`). */
async function hook(path: string, body: string, mode = 0o700): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, mode);
}

function apply(fx: Fixture, app: string, hooks: string, ...extra: string[]) {
  return runCli(["apply", fx.manifest, "--dir", app, "--public-key", fx.pub, "--hooks-dir", hooks, ...extra]);
}

async function status(app: string): Promise<Record<string, unknown>> {
  const r = await runCli(["status", "--dir", app, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

type HookRecord = { stage: string; name: string; outcome: string; exitCode: number | null; signal: string | null };

async function hookRecords(app: string): Promise<HookRecord[]> {
  return (await status(app)).hooks as HookRecord[];
}

/** What is left in the working area's transaction directory (staging or journals). */
function pendingTxns(app: string): string[] {
  try {
    return Array.from(Deno.readDirSync(`${app}/.patchops/txn`), (e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is a live process (a zombie waiting for its reaper counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function waitFor(path: string, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const text = await Deno.readTextFile(path);
      if (text.endsWith("\n")) return text.trim();
    } catch {
      // Not yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`"${path}" did not appear`);
}

Deno.test("pre-apply and post-apply hooks run in order with the documented environment and nothing else", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks, marks } = await setup(dir);
    await hook(
      `${hooks}/pre-apply/10-first`,
      `env | sort > ${marks}/pre.env; pwd > ${marks}/pre.cwd
cat bin/app > ${marks}/pre.cwdread 2>&1; read x; echo "stdin=$? $x" >> ${marks}/pre.cwd
cat "$PATCHOPS_STAGING_DIR/bin/app" > ${marks}/pre.staged; cat "$PATCHOPS_INSTALL_DIR/bin/app" > ${marks}/pre.tree
echo 10 >> ${marks}/order`,
    );
    await hook(`${hooks}/pre-apply/20-second`, `echo 20 >> ${marks}/order`);
    await hook(`${hooks}/pre-apply/skipped.bak`, `echo bak >> ${marks}/order`);
    await hook(
      `${hooks}/post-apply`,
      `cat "$PATCHOPS_INSTALL_DIR/bin/app" > ${marks}/post.tree; env | sort > ${marks}/post.env`,
    );
    const r = await apply(fx, app, hooks);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await snapshot(app), fx.newSnap);
    assert.deepEqual(pendingTxns(app), []);
    assert.equal(await Deno.readTextFile(`${marks}/order`), "10\n20\n");
    assert.match(r.stderr, /warning: skipping ".*skipped\.bak"/);
    // The hook saw the tree before the swap and the new files in staging; afterwards the new tree.
    assert.equal(await Deno.readTextFile(`${marks}/pre.tree`), "v1\n");
    assert.equal(await Deno.readTextFile(`${marks}/pre.staged`), "v2\n");
    assert.equal(await Deno.readTextFile(`${marks}/post.tree`), "v2\n");
    assert.equal(await Deno.readTextFile(`${marks}/pre.cwd`), "/\nstdin=1 \n");
    const env = Object.fromEntries(
      (await Deno.readTextFile(`${marks}/pre.env`)).trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    const id = env.PATCHOPS_TXN_ID!;
    delete env.SHLVL; // bash adds it, dash does not
    // Through patchops' pinned working area, not by a name a local user could swap.
    assert.match(
      env.PATCHOPS_STAGING_DIR!,
      new RegExp(`^/proc/[0-9]+/fd/[0-9]+/txn/${id.replace(".", "\\.")}/staging$`),
    );
    delete env.PATCHOPS_STAGING_DIR;
    assert.deepEqual(env, {
      LANG: "C",
      PATCHOPS_INSTALL_DIR: app,
      PATCHOPS_NEW_VERSION: "2.0",
      PATCHOPS_OLD_VERSION: "1.0",
      PATCHOPS_STAGE: "pre-apply",
      PATCHOPS_TXN_ID: id,
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      PWD: "/",
    });
    const post = await Deno.readTextFile(`${marks}/post.env`);
    assert.match(post, /^PATCHOPS_STAGE=post-apply$/m);
    assert.doesNotMatch(post, /PATCHOPS_STAGING_DIR/);
    const recs = await hookRecords(app);
    assert.deepEqual(recs.map((h) => [h.name, h.outcome, h.exitCode]), [
      ["pre-apply/10-first", "ok", 0],
      ["pre-apply/20-second", "ok", 0],
      ["post-apply", "ok", 0],
    ]);
  } finally {
    await done();
  }
});

Deno.test("a failing pre-apply hook aborts the apply with the tree, journal and state unchanged", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks, marks } = await setup(dir);
    await hook(`${hooks}/pre-apply/10-stop`, `echo "cannot stop the service" >&2; exit 4`);
    await hook(`${hooks}/pre-apply/20-never`, `touch ${marks}/second-ran`);
    await hook(`${hooks}/post-apply`, `touch ${marks}/post-ran`);
    const r = await apply(fx, app, hooks);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /error: .*pre-apply hook "pre-apply\/10-stop" exited with 4: cannot stop the service; nothing was changed\)/,
    );
    assert.deepEqual(await snapshot(app), fx.oldSnap);
    assert.deepEqual(pendingTxns(app), []);
    assert.equal(await exists(`${marks}/second-ran`), false);
    assert.equal(await exists(`${marks}/post-ran`), false);
    const s = await status(app);
    assert.equal(s.version, "1.0");
    assert.deepEqual((s.hooks as HookRecord[]).map((h) => [h.name, h.outcome, h.exitCode]), [
      ["pre-apply/10-stop", "failed", 4],
    ]);
  } finally {
    await done();
  }
});

Deno.test("a failing post-apply hook keeps the new version by default and rolls back with --rollback-on-hook-failure", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks, marks } = await setup(dir);
    // A health check of the service: fails while bin/app is v2.
    await hook(`${hooks}/post-apply`, `grep -q v1 "$PATCHOPS_INSTALL_DIR/bin/app" || { echo unhealthy; exit 2; }`);
    await hook(
      `${hooks}/pre-rollback`,
      `echo "$PATCHOPS_STAGE $PATCHOPS_OLD_VERSION $PATCHOPS_NEW_VERSION $(cat $PATCHOPS_INSTALL_DIR/bin/app)" >> ${marks}/rb`,
    );
    await hook(
      `${hooks}/post-rollback`,
      `echo "$PATCHOPS_STAGE $PATCHOPS_OLD_VERSION $PATCHOPS_NEW_VERSION $(cat $PATCHOPS_INSTALL_DIR/bin/app)" >> ${marks}/rb`,
    );

    const kept = await apply(fx, app, hooks);
    assert.equal(kept.code, 1);
    assert.match(kept.stderr, /post-apply hook "post-apply" exited with 2: unhealthy; 2\.0 stays installed/);
    assert.deepEqual(await snapshot(app), fx.newSnap);
    assert.equal((await status(app)).version, "2.0");
    assert.equal(await exists(`${marks}/rb`), false);

    // Back to 1.0 by hand (running the rollback hooks), then again with the flag.
    let r = await runCli(["rollback", "--dir", app, "--hooks-dir", hooks]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(`${marks}/rb`), "pre-rollback 2.0 1.0 v2\npost-rollback 2.0 1.0 v1\n");
    await Deno.remove(`${marks}/rb`);

    r = await apply(fx, app, hooks, "--rollback-on-hook-failure", "--json");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exited with 2: unhealthy; rolled back to 1\.0/);
    assert.deepEqual(await snapshot(app), fx.oldSnap);
    assert.deepEqual(pendingTxns(app), []);
    assert.equal(await Deno.readTextFile(`${marks}/rb`), "pre-rollback 2.0 1.0 v2\npost-rollback 2.0 1.0 v1\n");
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.at(-1).code, "HookFailed");
    assert.ok(events.some((e) => e.event === "hook" && e.name === "post-apply" && e.exitCode === 2));
    const s = await status(app);
    assert.equal(s.version, "1.0");
    assert.deepEqual((s.history as { kind: string }[]).map((h) => h.kind), [
      "adopt",
      "apply",
      "rollback",
      "apply",
      "rollback",
    ]);
  } finally {
    await done();
  }
});

Deno.test("a failing pre-rollback hook stops the rollback; a failing post-rollback hook is reported after it", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks } = await setup(dir);
    let r = await apply(fx, app, hooks);
    assert.equal(r.code, 0, r.stderr);
    await hook(`${hooks}/pre-rollback`, "exit 7");
    r = await runCli(["rollback", "--dir", app, "--hooks-dir", hooks]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pre-rollback hook "pre-rollback" exited with 7; nothing was rolled back/);
    assert.deepEqual(await snapshot(app), fx.newSnap);
    assert.deepEqual(pendingTxns(app), []);

    await Deno.remove(`${hooks}/pre-rollback`);
    await hook(`${hooks}/post-rollback`, "echo service did not start >&2; exit 9");
    r = await runCli(["rollback", "--dir", app, "--hooks-dir", hooks]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exited with 9: service did not start; the rollback to 1\.0 is done and kept/);
    assert.deepEqual(await snapshot(app), fx.oldSnap);
    assert.equal((await status(app)).version, "1.0");
  } finally {
    await done();
  }
});

Deno.test("a hanging hook is killed at --hook-timeout, SIGKILL following SIGTERM it ignores, and the apply stops", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks, marks } = await setup(dir);
    // SIG_IGN survives exec, so the sleep ignores SIGTERM too: only the SIGKILL after the grace ends it.
    await hook(`${hooks}/pre-apply`, `trap "" TERM; sleep 1000 & echo $! > ${marks}/pid; wait; sleep 1000`);
    const t0 = Date.now();
    const r = await apply(fx, app, hooks, "--hook-timeout", "1");
    const took = Date.now() - t0;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pre-apply hook "pre-apply" timed out after [0-9]+ s and was killed; nothing was changed/);
    assert.ok(took < 30_000, `took ${took} ms`);
    assert.equal(alive(Number(await waitFor(`${marks}/pid`))), false);
    assert.deepEqual(await snapshot(app), fx.oldSnap);
    const recs = await hookRecords(app);
    assert.deepEqual(recs.map((h) => [h.outcome, h.signal]), [["timed-out", "SIGKILL"]]);
  } finally {
    await done();
  }
});

Deno.test("a child a hook leaves running is killed with the hook's process group", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks, marks } = await setup(dir);
    // The child closes the pipes, so nothing but the group kill can end it.
    await hook(`${hooks}/post-apply`, `sleep 1000 >/dev/null 2>&1 & echo $! > ${marks}/pid; exit 0`);
    const r = await apply(fx, app, hooks);
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(await waitFor(`${marks}/pid`));
    assert.ok(pid > 1);
    assert.equal(alive(pid), false, `child ${pid} outlived its hook`);
  } finally {
    await done();
  }
});

Deno.test("what a hook prints is escaped for people and exact in NDJSON", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks } = await setup(dir);
    await hook(`${hooks}/pre-apply`, `printf 'ok\\033[2J\\033]0;pwned\\007\\r\\033[1Aapplied 9.9 to /\\n'`);
    let r = await apply(fx, app, hooks);
    assert.equal(r.code, 0, r.stderr);
    for (const c of ["\x07", "\x1b", "\r"]) {
      assert.ok(!r.stderr.includes(c), "a raw control character reached the terminal");
    }
    assert.match(r.stderr, /hook pre-apply: ok\\x1b\[2J\\x1b\]0;pwned\\x07\\x0d\\x1b\[1Aapplied 9\.9 to \//);

    r = await runCli(["rollback", "--dir", app]);
    assert.equal(r.code, 0, r.stderr);
    r = await apply(fx, app, hooks, "--json");
    assert.equal(r.code, 0, r.stderr);
    const line = r.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.event === "hook-output");
    assert.equal(line.line, "ok\x1b[2J\x1b]0;pwned\x07\r\x1b[1Aapplied 9.9 to /");
    assert.equal(line.stream, "stdout");
  } finally {
    await done();
  }
});

Deno.test("a hook's output is bounded: 64 KiB per stream are passed on, the rest is counted and dropped", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks } = await setup(dir);
    // 2 MB of short lines on stdout, one 1 MB line without a newline on stderr.
    await hook(`${hooks}/pre-apply`, `yes 0123456789 | head -c 2000000; head -c 1000000 /dev/zero | tr '\\0' x >&2`);
    const r = await apply(fx, app, hooks, "--json");
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const lines = events.filter((e) => e.event === "hook-output");
    const bytes = (stream: string) =>
      lines.filter((e) => e.stream === stream).reduce((n: number, e: { line: string }) => n + e.line.length + 1, 0);
    assert.ok(bytes("stdout") <= 64 * 1024 && bytes("stdout") > 60 * 1024, `stdout ${bytes("stdout")}`);
    assert.ok(bytes("stderr") <= 64 * 1024 && bytes("stderr") > 0, `stderr ${bytes("stderr")}`);
    assert.ok(lines.every((e: { line: string }) => e.line.length <= 4001));
    const end = events.find((e) => e.event === "hook");
    assert.ok(end.dropped >= 3_000_000 - 2 * 64 * 1024, `dropped ${end.dropped}`);
    assert.deepEqual(await snapshot(app), fx.newSnap);
  } finally {
    await done();
  }
});

Deno.test("a hooks directory or hook that another user could change, or a link, is refused before anything runs", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks, marks } = await setup(dir);
    await hook(`${hooks}/pre-apply`, `touch ${marks}/ran`);
    const cases: [string, () => Promise<string>, RegExp][] = [
      ["hooks dir is a symlink", async () => {
        await Deno.symlink(hooks, `${dir}/link`);
        return `${dir}/link`;
      }, /hook ".*\/link" is a symbolic link/],
      ["hooks dir group-writable", async () => {
        await Deno.chmod(hooks, 0o770);
        return hooks;
      }, /hook ".*\/hooks" is writable by its group/],
      ["hooks dir world-writable", async () => {
        await Deno.chmod(hooks, 0o707);
        return hooks;
      }, /hook ".*\/hooks" is writable by all users/],
      ["directory above writable by others", async () => {
        await Deno.mkdir(`${dir}/open`, { mode: 0o777 });
        await Deno.chmod(`${dir}/open`, 0o777);
        await exec("cp", ["-a", hooks, `${dir}/open/hooks`]);
        return `${dir}/open/hooks`;
      }, /lies below ".*\/open", which is writable by all users/],
      ["hook file world-writable", async () => {
        await Deno.chmod(`${hooks}/pre-apply`, 0o702);
        return hooks;
      }, /hook ".*\/pre-apply" is writable by all users/],
      ["hook file is a symlink", async () => {
        await Deno.mkdir(`${dir}/h2`, { mode: 0o700 });
        await Deno.symlink(`${hooks}/pre-apply`, `${dir}/h2/pre-apply`);
        return `${dir}/h2`;
      }, /hook ".*\/h2\/pre-apply" is a symbolic link/],
      ["hook owned by another user", async () => {
        await Deno.chown(`${hooks}/pre-apply`, 65534, 65534);
        return hooks;
      }, /hook ".*\/pre-apply" is owned by uid 65534/],
      ["stage directory group-writable", async () => {
        await Deno.mkdir(`${dir}/h3/post-apply`, { recursive: true, mode: 0o700 });
        await Deno.chmod(`${dir}/h3`, 0o700);
        await Deno.chmod(`${dir}/h3/post-apply`, 0o770);
        return `${dir}/h3`;
      }, /hook ".*\/h3\/post-apply" is writable by its group/],
    ];
    for (const [what, plant, expected] of cases) {
      const hooksDir = await plant();
      const r = await apply(fx, app, hooksDir, "--json");
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, expected, what);
      assert.equal(JSON.parse(r.stdout.trim().split("\n").at(-1)!).code, "HookRefused", what);
      assert.equal(await exists(`${marks}/ran`), false, what);
      assert.deepEqual(await snapshot(app), fx.oldSnap, what);
      assert.deepEqual(pendingTxns(app), [], what);
      // Back to a sound hooks directory for the next case.
      await Deno.chmod(hooks, 0o700);
      await Deno.chmod(`${hooks}/pre-apply`, 0o700);
      await Deno.chown(`${hooks}/pre-apply`, 0, 0);
    }
    const r = await apply(fx, app, hooks);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await exists(`${marks}/ran`), true);
  } finally {
    await done();
  }
});

Deno.test("apply --dry-run lists the hooks it would run and runs none", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks, marks } = await setup(dir);
    await hook(`${hooks}/pre-apply/10-stop`, `touch ${marks}/ran`);
    await hook(`${hooks}/post-apply/10-start`, `touch ${marks}/ran`);
    const r = await apply(fx, app, hooks, "--dry-run", "--json");
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual(result.plannedHooks, [
      { stage: "pre-apply", name: "pre-apply/10-stop" },
      { stage: "post-apply", name: "post-apply/10-start" },
    ]);
    assert.deepEqual(result.hooks, []);
    assert.equal(await exists(`${marks}/ran`), false);
    assert.deepEqual(await snapshot(app), fx.oldSnap);
  } finally {
    await done();
  }
});

for (const stage of ["pre-apply", "post-apply"] as const) {
  const tree = stage === "pre-apply" ? "the old tree" : "the committed new tree";
  Deno.test(`Ctrl-C during a ${stage} hook kills its group, leaves ${tree} and says so`, async () => {
    const [dir, done] = await tempDir();
    try {
      const { fx, app, hooks, marks } = await setup(dir);
      await hook(`${hooks}/${stage}`, `sleep 1000 & echo $! > ${marks}/pid; wait`);
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "-A",
          `${ROOT}/main.ts`,
          "apply",
          fx.manifest,
          "--dir",
          app,
          "--public-key",
          fx.pub,
          "--hooks-dir",
          hooks,
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const pid = Number(await waitFor(`${marks}/pid`));
      child.kill("SIGINT");
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 130, stderr);
      assert.equal(alive(pid), false);
      assert.deepEqual(pendingTxns(app), []);
      assert.deepEqual((await hookRecords(app)).map((h) => h.outcome), ["interrupted"]);
      if (stage === "pre-apply") {
        assert.deepEqual(await snapshot(app), fx.oldSnap);
        assert.match(stderr, /interrupted by SIGINT; .*\/app is as it was/);
      } else {
        assert.deepEqual(await snapshot(app), fx.newSnap);
        assert.match(stderr, /interrupted by SIGINT; .*\/app has 2\.0 installed: the patch was committed/);
      }
    } finally {
      await done();
    }
  });
}

for (const stage of ["pre-apply", "post-apply"] as const) {
  for (const runHooks of [false, true]) {
    const tree = stage === "pre-apply" ? "old" : "new";
    const then = runHooks ? "runs the post hooks that match that tree" : "runs no hook";
    Deno.test(
      `kill -9 of patchops during a ${stage} hook: recover${
        runHooks ? " --run-hooks" : ""
      } leaves the ${tree} tree, kills the orphaned hook and ${then}`,
      async () => {
        const [dir, done] = await tempDir();
        try {
          const { fx, app, hooks, marks } = await setup(dir);
          // Hangs the first time only, so that a second run (asked for) can be seen to end.
          await hook(
            `${hooks}/${stage}`,
            `if [ -e ${marks}/runs ]; then echo again >> ${marks}/runs; exit 0; fi
echo run >> ${marks}/runs; sleep 1000 & echo $! > ${marks}/pid; wait`,
          );
          if (stage === "pre-apply") {
            await hook(`${hooks}/post-rollback`, `echo "$PATCHOPS_STAGE $PATCHOPS_NEW_VERSION" >> ${marks}/post`);
          }
          const child = new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "--quiet",
              "-A",
              `${ROOT}/main.ts`,
              "apply",
              fx.manifest,
              "--dir",
              app,
              "--public-key",
              fx.pub,
              "--hooks-dir",
              hooks,
            ],
            stdout: "null",
            stderr: "null",
          }).spawn();
          const pid = Number(await waitFor(`${marks}/pid`));
          child.kill("SIGKILL");
          assert.equal((await child.status).signal, "SIGKILL");
          // A hook leads its own session: patchops' death alone does not stop it.
          assert.equal(alive(pid), true);
          const r = await runCli(["recover", "--dir", app, "--hooks-dir", hooks, ...(runHooks ? ["--run-hooks"] : [])]);
          assert.equal(r.code, 0, r.stderr);
          assert.match(
            r.stderr,
            new RegExp(
              `${stage} hook "${stage}" of transaction .* was running when patchops stopped \\(its process group [0-9]+ was still running and is killed\\); it is not run again`,
            ),
          );
          await new Promise((r) => setTimeout(r, 200));
          assert.equal(alive(pid), false);
          assert.deepEqual(await snapshot(app), tree === "old" ? fx.oldSnap : fx.newSnap);
          assert.deepEqual(pendingTxns(app), []);
          const again = runHooks && stage === "post-apply";
          assert.equal(await Deno.readTextFile(`${marks}/runs`), again ? "run\nagain\n" : "run\n");
          assert.equal(
            await exists(`${marks}/post`) ? await Deno.readTextFile(`${marks}/post`) : "",
            runHooks && stage === "pre-apply" ? "post-rollback 1.0\n" : "",
          );
          const recs = await hookRecords(app);
          assert.deepEqual(recs.map((h) => [h.name, h.outcome]), [
            [stage, "crashed"],
            ...(!runHooks ? [] : stage === "pre-apply" ? [["post-rollback", "ok"]] : [["post-apply", "ok"]]),
          ]);
          assert.equal((await status(app)).version, tree === "old" ? "1.0" : "2.0");
        } finally {
          await done();
        }
      },
    );
  }
}

/** A package made by `create` with package hooks (signed unless `unsigned`); returns its manifest. */
async function packageWithHooks(
  fx: Fixture,
  out: string,
  hooks: Record<string, string>,
  options?: { unsigned?: boolean },
): Promise<string> {
  const args = ["create", "--from", `${fx.base}/old`, "--to", `${fx.base}/new`, "--out", out];
  args.push("--version", "2.0", "--from-version", "1.0");
  if (!options?.unsigned) args.push("--secret-key", `${fx.base}/k.key`);
  await Deno.mkdir(`${out}.src`, { recursive: true });
  for (const [stage, body] of Object.entries(hooks)) {
    await Deno.writeTextFile(`${out}.src/${stage}`, `#!/bin/sh\n${body}\n`);
    args.push("--hook", `${stage}=${out}.src/${stage}`);
  }
  const r = await runCli(args);
  assert.equal(r.code, 0, r.stderr);
  return `${out}/manifest.json`;
}

Deno.test("a package hook without --allow-package-hooks is listed by verify and dry run, and refused with nothing run", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, marks } = await setup(dir);
    const manifest = await packageWithHooks(fx, `${dir}/site`, {
      "pre-apply": `touch ${marks}/pre-ran`,
      "post-apply": `touch ${marks}/post-ran`,
    });
    let r = await runCli(["verify", manifest, "--public-key", fx.pub, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const listed = JSON.parse(r.stdout.trim().split("\n").at(-1)!).hooks;
    assert.deepEqual(listed.map((h: { stage: string }) => h.stage), ["pre-apply", "post-apply"]);
    assert.match(listed[0].sha256, /^[0-9a-f]{64}$/);

    r = await runCli(["apply", manifest, "--dir", app, "--public-key", fx.pub, "--dry-run"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /package hook pre-apply: sha256 [0-9a-f]{64}/);

    r = await runCli(["apply", manifest, "--dir", app, "--public-key", fx.pub, "--json"]);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout.trim().split("\n").at(-1)!).code, "PackageHooksNotAllowed");
    assert.match(r.stderr, /carries a pre-apply hook and a post-apply hook.*pass --allow-package-hooks/);
    assert.equal(await exists(`${marks}/pre-ran`), false);
    assert.equal(await exists(`${marks}/post-ran`), false);
    assert.deepEqual(await snapshot(app), fx.oldSnap);
    assert.deepEqual(pendingTxns(app), []);
    assert.equal(await exists(`${app}/.patchops/package-hooks`), false);
    assert.equal((await status(app)).version, "1.0");
  } finally {
    await done();
  }
});

Deno.test("with --allow-package-hooks the signed package's hooks run through the pinned working area, inside the operator's", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, hooks, marks } = await setup(dir);
    const manifest = await packageWithHooks(fx, `${dir}/site`, {
      "pre-apply": `echo "package-pre $0" >> ${marks}/order`,
      "post-apply": `echo package-post >> ${marks}/order; cat "$PATCHOPS_INSTALL_DIR/bin/app" >> ${marks}/order`,
    });
    await hook(`${hooks}/pre-apply`, `echo operator-pre >> ${marks}/order`);
    await hook(`${hooks}/post-apply`, `echo operator-post >> ${marks}/order`);
    const r = await runCli([
      "apply",
      manifest,
      "--dir",
      app,
      "--public-key",
      fx.pub,
      "--hooks-dir",
      hooks,
      "--allow-package-hooks",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = (await Deno.readTextFile(`${marks}/order`)).trim().split("\n");
    assert.equal(lines[0], "operator-pre");
    assert.match(lines[1]!, /^package-pre \/proc\/[0-9]+\/fd\/[0-9]+\/package-hooks\/[^/]+\/pre-apply$/);
    assert.deepEqual(lines.slice(2), ["package-post", "v2", "operator-post"]);
    assert.deepEqual(await snapshot(app), fx.newSnap);
    assert.equal(await exists(`${app}/.patchops/package-hooks`), false);
    assert.deepEqual((await hookRecords(app)).map((h) => [h.name, h.outcome]), [
      ["pre-apply", "ok"],
      ["package:pre-apply", "ok"],
      ["package:post-apply", "ok"],
      ["post-apply", "ok"],
    ]);
  } finally {
    await done();
  }
});

Deno.test("package hooks are refused, even when allowed, unless the signed header pins exactly those bytes", async () => {
  const [dir, done] = await tempDir();
  try {
    const { fx, app, marks } = await setup(dir);
    // Unsigned: nothing vouches for the hook.
    const unsigned = await packageWithHooks(fx, `${dir}/u`, { "pre-apply": `touch ${marks}/ran` }, { unsigned: true });
    let r = await runCli(["apply", unsigned, "--dir", app, "--allow-unsigned", "--allow-package-hooks"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /package hooks: the package carries ".patchops\/hooks\/pre-apply", but no signed header/);

    // Signed, then the hook swapped and the package repacked with GNU tar and signed again by the
    // key holder's `sign`: the header (and so its sha256 of the hook) is unchanged.
    const site = `${dir}/s`;
    // The same length as the swapped-in hook: the header's totals would catch any other.
    const swapped = `touch ${marks}/ran`;
    const manifest = await packageWithHooks(fx, site, { "pre-apply": `#${"x".repeat(swapped.length - 1)}` });
    const x = `${dir}/x`;
    await Deno.mkdir(x);
    assert.equal((await exec("tar", ["-xzf", `${site}/patch.tar.gz`, "-C", x])).code, 0);
    await Deno.writeTextFile(`${x}/.patchops/hooks/pre-apply`, `#!/bin/sh\n${swapped}\n`);
    const members = (await exec("tar", ["-tzf", `${site}/patch.tar.gz`])).stdout.trim().split("\n");
    assert.equal(members[0], ".patchops/operations.json");
    assert.equal((await exec("tar", ["-czf", `${site}/patch.tar.gz`, "-C", x, ...members])).code, 0);
    await Deno.remove(`${site}/patch.tar.gz.minisig`);
    const signed = await runCli(["sign", `${site}/patch.tar.gz`, "--secret-key", `${fx.base}/k.key`, "--json"]);
    assert.equal(signed.code, 0, signed.stderr);
    const bytes = await Deno.readFile(`${site}/patch.tar.gz`);
    const m = JSON.parse(await Deno.readTextFile(manifest));
    m.hash = `sha256:${
      Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0"))
        .join("")
    }`;
    m.size = bytes.length;
    m.signature = JSON.parse(signed.stdout.trim().split("\n").at(-1)!).signature;
    await Deno.writeTextFile(manifest, JSON.stringify(m));
    r = await runCli(["apply", manifest, "--dir", app, "--public-key", fx.pub, "--allow-package-hooks"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"\.patchops\/hooks\/pre-apply" is not the hook the signed header lists/);

    assert.equal(await exists(`${marks}/ran`), false);
    assert.deepEqual(await snapshot(app), fx.oldSnap);
    assert.deepEqual(pendingTxns(app), []);
  } finally {
    await done();
  }
});
