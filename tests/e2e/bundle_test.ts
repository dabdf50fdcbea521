/**
 * `deno task bundle` makes one JavaScript file that runs on a host with only
 * the deno binary: an empty DENO_DIR, no config, nothing fetched.
 */

import assert from "node:assert/strict";
import { exec, makePatch, ROOT, tempDir, writeTree } from "../_helpers.ts";

Deno.test("the bundle runs help, keygen, create, sign, verify, adopt, apply, status, rollback and sql diff with an empty DENO_DIR", async () => {
  const [dir, done] = await tempDir();
  try {
    const task: string = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks.bundle;
    const args = task.split(/\s+/).slice(1).map((a) => a === "dist/patchops.js" ? `${dir}/patchops.js` : a);
    const built = await exec(Deno.execPath(), args, { cwd: ROOT });
    assert.equal(built.code, 0, built.stderr);
    await Deno.mkdir(`${dir}/deno_dir`);
    const run = (...cli: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--no-config", "-A", `${dir}/patchops.js`, ...cli],
        env: { DENO_DIR: `${dir}/deno_dir`, PATCHOPS_KEY_PASSWORD: "" },
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output().then((o) => ({
        code: o.code,
        stdout: new TextDecoder().decode(o.stdout),
        stderr: new TextDecoder().decode(o.stderr),
      }));
    const ok = async (...cli: string[]) => {
      const r = await run(...cli);
      assert.equal(r.code, 0, `${cli.join(" ")}: ${r.stderr}`);
      return r;
    };
    assert.match((await ok("--version")).stdout, /^patchops \d/);
    assert.match((await ok("help", "apply")).stdout, /--keep <n>/);
    await writeTree(`${dir}/v1`, { "a.txt": "one", "lib/b.txt": "b" });
    await writeTree(`${dir}/v2`, { "a.txt": "two", "lib/c.txt": "c" });
    await Deno.mkdir(`${dir}/app`);
    await writeTree(`${dir}/app`, { "a.txt": "one", "lib/b.txt": "b" });
    await ok("keygen", "--out", `${dir}/k`, "--unencrypted");
    await ok(
      "create",
      "--from",
      `${dir}/v1`,
      "--to",
      `${dir}/v2`,
      "--out",
      `${dir}/site`,
      "--secret-key",
      `${dir}/k.key`,
      "--version",
      "2.0",
      "--from-version",
      "1.0",
    );
    await ok("sign", `${dir}/site/patch.tar.gz`, "--secret-key", `${dir}/k.key`);
    await ok("verify", `${dir}/site/manifest.json`, "--public-key", `${dir}/k.pub`);
    await ok("adopt", "--dir", `${dir}/app`, "--version", "1.0");
    await ok("apply", `${dir}/site/manifest.json`, "--dir", `${dir}/app`, "--public-key", `${dir}/k.pub`);
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "two");
    assert.match((await ok("status", "--dir", `${dir}/app`)).stdout, /^version: +2\.0$/m);
    await ok("rollback", "--dir", `${dir}/app`);
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "one");
    // Nothing was downloaded or cached for npm packages: the bundle carries what it runs.
    const npm = await Array.fromAsync(Deno.readDir(`${dir}/deno_dir`)).then((es) => es.map((e) => e.name));
    if (npm.includes("npm")) assert.deepEqual(await Array.fromAsync(Deno.readDir(`${dir}/deno_dir/npm`)), []);
    await Deno.writeTextFile(`${dir}/from.sql`, "CREATE TABLE t (id INT);\n");
    await Deno.writeTextFile(`${dir}/to.sql`, "CREATE TABLE t (id INT, name TEXT);\n");
    assert.match((await ok("sql", "diff", `${dir}/from.sql`, `${dir}/to.sql`)).stdout, /ADD COLUMN `name`/);
    // A patch made by the test helpers too (an unsigned one, allowed explicitly).
    const m = await makePatch(dir, [{ path: "a.txt", data: "three" }], { replace: { files: ["a.txt"] } });
    await ok("apply", m, "--dir", `${dir}/app`, "--allow-unsigned");
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "three");
  } finally {
    await done();
  }
});
