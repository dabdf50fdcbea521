/**
 * `rollback --dry-run` and `recover --dry-run` say what a real run would do
 * and change nothing: not the tree, not `.patchops/`, not even the lock file.
 */

import assert from "node:assert/strict";
import { makePatch, runCli, snapshot, tempDir, writeTree } from "../_helpers.ts";
import { newTxnId } from "../../src/apply/workspace.ts";

async function snapshotAll(dir: string): Promise<string> {
  // Names, sizes and contents of everything, .patchops included.
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      const st = await Deno.lstat(p);
      out.push(`${rel}${e.name} ${st.isDirectory ? "d" : st.size} ${st.mtime?.getTime()}`);
      if (st.isDirectory) await walk(p, `${rel}${e.name}/`);
    }
  };
  await walk(dir, "");
  return out.sort().join("\n");
}

Deno.test("rollback --dry-run lists the steps of the real rollback and changes nothing", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/app`, { "a.txt": "v1" });
    const m = await makePatch(dir, [{ path: "a.txt", data: "v2" }, { path: "b.txt", data: "new" }], {
      replace: { files: ["a.txt", "b.txt"] },
    }, { extra: { version: "2.0" } });
    const applied = await runCli(["apply", m, "--dir", `${dir}/app`, "--allow-unsigned"]);
    assert.equal(applied.code, 0, applied.stderr);
    const before = await snapshotAll(`${dir}/app`);

    const dry = await runCli(["rollback", "--dir", `${dir}/app`, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^dry run: would roll back .* from 2\.0 to .*: 2 steps; nothing changed$/m);
    assert.match(dry.stdout, /^ {2}replace a\.txt$/m);
    assert.match(dry.stdout, /^ {2}delete b\.txt$/m);
    const json = await runCli(["rollback", "--dir", `${dir}/app`, "--dry-run", "--json"]);
    const result = JSON.parse(json.stdout.trim().split("\n").at(-1)!);
    assert.equal(result.event, "result");
    assert.equal(result.dryRun, true);
    assert.deepEqual(result.steps.map((s: { action: string; path: string }) => `${s.action} ${s.path}`).sort(), [
      "delete b.txt",
      "replace a.txt",
    ]);
    assert.equal(await snapshotAll(`${dir}/app`), before, "nothing changed, .patchops included");

    const real = await runCli(["rollback", "--dir", `${dir}/app`, "--json"]);
    assert.equal(real.code, 0, real.stderr);
    assert.equal(JSON.parse(real.stdout.trim().split("\n").at(-1)!).steps, result.steps.length);
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "v1");
    assert.deepEqual(Object.keys(await snapshot(`${dir}/app`)), ["a.txt"]);
  } finally {
    await done();
  }
});

Deno.test("recover --dry-run names the interrupted transactions and leaves them for the real run", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/app`, { "a.txt": "v1" });
    const none = await runCli(["recover", "--dir", `${dir}/app`, "--dry-run"]);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^dry run: nothing to recover/m);
    assert.equal((await Array.fromAsync(Deno.readDir(`${dir}/app`))).length, 1, ".patchops was not created");

    // A run that died while staging leaves a transaction directory without a journal.
    const m = await makePatch(dir, [{ path: "a.txt", data: "v2" }], { replace: { files: ["a.txt"] } });
    assert.equal((await runCli(["apply", m, "--dir", `${dir}/app`, "--allow-unsigned"])).code, 0);
    const id = newTxnId();
    await Deno.mkdir(`${dir}/app/.patchops/txn/${id}/staging`, { recursive: true, mode: 0o700 });
    await Deno.chmod(`${dir}/app/.patchops/txn/${id}`, 0o700);
    const before = await snapshotAll(`${dir}/app`);
    const dry = await runCli(["recover", "--dir", `${dir}/app`, "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`0 rolled back, 0 finished, 1 discarded \\(${id}\\); nothing changed`));
    assert.equal(await snapshotAll(`${dir}/app`), before);
    const rb = await runCli(["rollback", "--dir", `${dir}/app`, "--dry-run"]);
    assert.match(rb.stdout, /1 interrupted transaction .* repairs first/);
    const real = await runCli(["recover", "--dir", `${dir}/app`, "--json"]);
    assert.deepEqual(JSON.parse(real.stdout.trim().split("\n").at(-1)!).discarded, [id]);
  } finally {
    await done();
  }
});
