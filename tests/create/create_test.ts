import assert from "node:assert/strict";
import { applyPatch } from "../../src/apply/mod.ts";
import { createPatch } from "../../src/create/mod.ts";
import { loadManifest } from "../../src/manifest.ts";
import { formatPublicKey, parsePublicKey } from "../../src/verify/minisign.ts";
import { generateSecretKey, parseSecretKey, publicKeyOf } from "../../src/verify/secret_key.ts";
import {
  exec,
  HAVE_MINISIGN,
  makePatch,
  minisignKeygen,
  minisignSign,
  runCli,
  snapshot,
  tempDir,
  writeTree,
} from "../_helpers.ts";
import { materialize, mutate, randomTree, rng } from "./_random_tree.ts";

Deno.test("create then apply turns old into new exactly, over many random tree pairs", async () => {
  const [dir, done] = await tempDir();
  try {
    const sk = generateSecretKey();
    const r = rng(20261130);
    for (let i = 0; i < 40; i++) {
      const base = `${dir}/${i}`;
      const oldSpec = randomTree(r);
      const newSpec = mutate(oldSpec, r);
      await materialize(oldSpec, `${base}/old`);
      await materialize(newSpec, `${base}/new`);
      await materialize(oldSpec, `${base}/app`);
      await createPatch(`${base}/old`, `${base}/new`, `${base}/out`, {
        secretKey: sk,
        version: `v${i}`,
      });
      const manifest = await loadManifest(`${base}/out/manifest.json`);
      await applyPatch(manifest, `${base}/app`, {
        publicKey: publicKeyOf(sk),
        requireSignedOperations: true,
      });
      assert.deepEqual(
        await snapshot(`${base}/app`),
        await snapshot(`${base}/new`),
        `pair ${i}`,
      );
      await Deno.remove(base, { recursive: true });
    }
  } finally {
    await done();
  }
});

Deno.test("create writes byte-identical packages for the same trees", async () => {
  const [dir, done] = await tempDir();
  try {
    const r = rng(7);
    const oldSpec = randomTree(r);
    await materialize(oldSpec, `${dir}/old`);
    await materialize(mutate(oldSpec, r), `${dir}/new`);
    await createPatch(`${dir}/old`, `${dir}/new`, `${dir}/out1`);
    // A fresh copy with other mtimes must not change the bytes either.
    await exec("cp", ["-r", `${dir}/new`, `${dir}/new2`]);
    await createPatch(`${dir}/old`, `${dir}/new2`, `${dir}/out2`);
    assert.deepEqual(
      await Deno.readFile(`${dir}/out1/patch.tar.gz`),
      await Deno.readFile(`${dir}/out2/patch.tar.gz`),
    );
    const m1 = JSON.parse(await Deno.readTextFile(`${dir}/out1/manifest.json`));
    const m2 = JSON.parse(await Deno.readTextFile(`${dir}/out2/manifest.json`));
    assert.equal(m1.hash, m2.hash);
  } finally {
    await done();
  }
});

Deno.test({
  name: "keygen, create and sign through the CLI interoperate with the real minisign",
  ignore: !HAVE_MINISIGN,
  async fn() {
    const [dir, done] = await tempDir();
    try {
      await writeTree(`${dir}/old`, { "app.jar": "v1", "conf/a.yml": "a: 1" });
      await writeTree(`${dir}/new`, {
        "app.jar": "v2",
        "conf/a.yml": "a: 1",
        "conf/b.yml": "b: 2",
      });
      // No password on stdin or in the environment: an unencrypted key, with a warning.
      let r = await runCli(["keygen", "--out", `${dir}/k`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: no password given/);
      r = await runCli([
        "create",
        "--from",
        `${dir}/old`,
        "--to",
        `${dir}/new`,
        "--out",
        `${dir}/out`,
        "--secret-key",
        `${dir}/k.key`,
        "--version",
        "2",
      ]);
      assert.equal(r.code, 0, r.stderr);
      // minisign accepts our signature of the package.
      r = await exec("minisign", [
        "-V",
        "-p",
        `${dir}/k.pub`,
        "-m",
        `${dir}/out/patch.tar.gz`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      // `sign` prints the base64 form and writes a .minisig minisign accepts.
      await Deno.remove(`${dir}/out/patch.tar.gz.minisig`);
      r = await runCli([
        "sign",
        `${dir}/out/patch.tar.gz`,
        "--secret-key",
        `${dir}/k.key`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        atob(r.stdout.trim()),
        await Deno.readTextFile(`${dir}/out/patch.tar.gz.minisig`),
      );
      // Signing a package by itself vouches for its size and header, as create does.
      assert.match(
        await Deno.readTextFile(`${dir}/out/patch.tar.gz.minisig`),
        /trusted comment: .*\tpatchops-size:\d+\tpatchops-header:[0-9a-f]{64}\n/,
      );
      r = await exec("minisign", [
        "-V",
        "-p",
        `${dir}/k.pub`,
        "-m",
        `${dir}/out/patch.tar.gz`,
      ]);
      assert.equal(r.code, 0, r.stderr);

      // A signature made by minisign -S, as raw .minisig text in the manifest, is accepted by apply.
      const theirs = await minisignKeygen(dir, "theirs");
      const raw = await minisignSign(`${dir}/out/patch.tar.gz`, theirs.sec);
      const m = JSON.parse(await Deno.readTextFile(`${dir}/out/manifest.json`));
      m.signature = raw;
      await Deno.writeTextFile(`${dir}/out/manifest.json`, JSON.stringify(m));
      await exec("cp", ["-r", `${dir}/old`, `${dir}/app`]);
      // minisign's trusted comment carries no signed header: refused unless accepted.
      r = await runCli(["apply", `${dir}/out/manifest.json`, "--dir", `${dir}/app`, "--public-key", theirs.pub]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /carries no signed header.*--allow-unsigned-operations/);
      r = await runCli([
        "apply",
        `${dir}/out/manifest.json`,
        "--dir",
        `${dir}/app`,
        "--public-key",
        theirs.pub,
        "--allow-unsigned-operations",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /warning: the package signature carries no signed header/);
      assert.deepEqual(
        await snapshot(`${dir}/app`),
        await snapshot(`${dir}/new`),
      );
      // Our key parses as minisign's and theirs as ours.
      assert.deepEqual(
        publicKeyOf(
          await parseSecretKey(await Deno.readTextFile(`${dir}/k.key`)),
        ),
        parsePublicKey(await Deno.readTextFile(`${dir}/k.pub`)),
      );
      assert.equal(
        formatPublicKey(parsePublicKey(await Deno.readTextFile(theirs.pub)))
          .split("\n")[1],
        (await Deno.readTextFile(theirs.pub)).split("\n")[1],
      );
    } finally {
      await done();
    }
  },
});

Deno.test("apply refuses a manifest whose operations differ from the signed ones", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/old`, {
      "app.jar": "v1",
      "data/precious.db": "rows",
    });
    await writeTree(`${dir}/new`, {
      "app.jar": "v2",
      "data/precious.db": "rows",
    });
    const sk = generateSecretKey();
    await Deno.writeTextFile(`${dir}/k.pub`, formatPublicKey(publicKeyOf(sk)));
    await createPatch(`${dir}/old`, `${dir}/new`, `${dir}/out`, {
      secretKey: sk,
      version: "2",
    });
    await exec("cp", ["-r", `${dir}/old`, `${dir}/app`]);
    const before = await snapshot(`${dir}/app`, { exclude: [] });
    const m = JSON.parse(await Deno.readTextFile(`${dir}/out/manifest.json`));
    for (
      const tamper of [
        (x: typeof m) => x.operations.delete.directories.push("data"),
        (x: typeof m) => (x.operations.replace.files = []),
        (x: typeof m) => (x.version = "9"),
      ]
    ) {
      const copy = structuredClone(m);
      tamper(copy);
      await Deno.writeTextFile(`${dir}/out/evil.json`, JSON.stringify(copy));
      const r = await runCli([
        "apply",
        `${dir}/out/evil.json`,
        "--dir",
        `${dir}/app`,
        "--public-key",
        `${dir}/k.pub`,
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /differs? from the signed/);
      assert.deepEqual(await snapshot(`${dir}/app`, { exclude: [] }), before);
    }
  } finally {
    await done();
  }
});

Deno.test("a package without its operations list is applied with a warning, or refused on request", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/app`, { "a.txt": "1" });
    const manifest = await makePatch(dir, [{ path: "a.txt", data: "2" }], {
      replace: { files: ["a.txt"] },
    });
    let r = await runCli([
      "apply",
      manifest,
      "--dir",
      `${dir}/app`,
      "--allow-unsigned",
      "--require-signed-operations",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not carry its operations list/);
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "1");
    r = await runCli([
      "apply",
      manifest,
      "--dir",
      `${dir}/app`,
      "--allow-unsigned",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /warning: the package does not carry its operations list/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "2");
  } finally {
    await done();
  }
});

Deno.test("create refuses a new tree with a symlink leading outside it", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/old`, { "a": "1" });
    await writeTree(`${dir}/new`, {
      "a": "1",
      "esc": { link: "../../etc/passwd" },
    });
    const r = await runCli([
      "create",
      "--from",
      `${dir}/old`,
      "--to",
      `${dir}/new`,
      "--out",
      `${dir}/out`,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: cannot create a patch .*symlink to "..\/..\/etc\/passwd", which leaves the tree/m,
    );
  } finally {
    await done();
  }
});

Deno.test({
  name: "keygen encrypts with a password from PATCHOPS_KEY_PASSWORD, and sign decrypts with it",
  ignore: !HAVE_MINISIGN,
  async fn() {
    const [dir, done] = await tempDir();
    try {
      const env = { PATCHOPS_KEY_PASSWORD: "correct horse" };
      const cmd = (args: string[], extra: Record<string, string> = env) =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "--quiet", "-A", `${new URL("../../main.ts", import.meta.url).pathname}`, ...args],
          env: extra,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
      let r = await cmd(["keygen", "--out", `${dir}/enc`]);
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      assert.match(await Deno.readTextFile(`${dir}/enc.key`), /encrypted secret key/);
      await Deno.writeTextFile(`${dir}/f.txt`, "payload");
      r = await cmd(["sign", `${dir}/f.txt`, "--secret-key", `${dir}/enc.key`]);
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      const v = await exec("minisign", ["-V", "-p", `${dir}/enc.pub`, "-m", `${dir}/f.txt`]);
      assert.equal(v.code, 0, v.stderr);
      r = await cmd(["sign", `${dir}/f.txt`, "--secret-key", `${dir}/enc.key`], { PATCHOPS_KEY_PASSWORD: "wrong" });
      assert.equal(r.code, 1);
      assert.match(new TextDecoder().decode(r.stderr), /wrong password/);
      r = await cmd(["keygen", "--out", `${dir}/enc`]);
      assert.equal(r.code, 1, "refuses to overwrite");
    } finally {
      await done();
    }
  },
});

Deno.test("zstd packages: create --compression zstd, recognised by magic bytes whatever their name", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/old`, { "a.txt": "1", "lib/x.jar": "old" });
    await writeTree(`${dir}/new`, { "a.txt": "2", "lib/x.jar": "new".repeat(1000), "lib/y.jar": "y" });
    let r = await runCli([
      "create",
      "--from",
      `${dir}/old`,
      "--to",
      `${dir}/new`,
      "--out",
      `${dir}/out`,
      "--compression",
      "zstd",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pkg = await Deno.readFile(`${dir}/out/patch.tar.zst`);
    assert.deepEqual([...pkg.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    // Served under a misleading name: the magic bytes decide.
    await Deno.rename(`${dir}/out/patch.tar.zst`, `${dir}/out/misnamed.tar.gz`);
    const m = JSON.parse(await Deno.readTextFile(`${dir}/out/manifest.json`));
    m.url = "misnamed.tar.gz";
    await Deno.writeTextFile(`${dir}/out/manifest.json`, JSON.stringify(m));
    await exec("cp", ["-r", `${dir}/old`, `${dir}/app`]);
    r = await runCli(["apply", `${dir}/out/manifest.json`, "--dir", `${dir}/app`, "--allow-unsigned"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await snapshot(`${dir}/app`), await snapshot(`${dir}/new`));
    r = await runCli([
      "create",
      "--from",
      `${dir}/old`,
      "--to",
      `${dir}/new`,
      "--out",
      `${dir}/o2`,
      "--compression",
      "lz4",
    ]);
    assert.equal(r.code, 2);
  } finally {
    await done();
  }
});
