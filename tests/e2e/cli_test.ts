/**
 * The command line as a newcomer meets it: help, version, typos, JSON on
 * every path, interrupts, adopt, and checks made before the download.
 */

import assert from "node:assert/strict";
import { concat, makePatch, ROOT, runCli, tempDir, writeTree } from "../_helpers.ts";

function events(stdout: string): Record<string, unknown>[] {
  return stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

Deno.test("--version, help <command> and --help print on stdout and exit 0", async () => {
  const version = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).version;
  const v = await runCli(["--version"]);
  assert.equal(v.code, 0);
  assert.equal(v.stdout, `patchops ${version}\n`);
  const h = await runCli(["help", "apply"]);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /^ {2}--keep <n> +committed backups kept for rollback \(default: 1\)$/m);
  assert.equal((await runCli(["apply", "--help"])).stdout, h.stdout);
  assert.match((await runCli(["help"])).stdout, /^ {2}adopt +record the version/m);
});

Deno.test("a typo gets one error line with a suggestion, a usage line and exit 2", async () => {
  const cmd = await runCli(["aply"]);
  assert.equal(cmd.code, 2);
  assert.match(cmd.stderr, /^error: unknown command "aply" \(did you mean "apply"\?\)$/m);
  const flag = await runCli(["apply", "m.json", "--dir", "d", "--dryrun"]);
  assert.equal(flag.code, 2);
  assert.equal(flag.stderr.split("\n")[0], "error: unknown flag --dryrun (did you mean --dry-run?)");
  assert.match(flag.stderr, /^usage: patchops apply <manifest> --dir <dir> \[flags\]$/m);
  const keep = await runCli(["apply", "m.json", "--dir", "d", "--keep", "-1"]);
  assert.equal(keep.code, 2);
  assert.equal(keep.stderr.split("\n")[0], 'error: --keep must be a whole number of at least 0, got "-1"');
  assert.doesNotMatch(flag.stderr + keep.stderr, /Unknown option|To specify a positional|ERR_PARSE/);
});

Deno.test("--json ends stdout with one error or result event on every command", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/app`, { "a.txt": "v1" });
    const cases: [string[], string, number][] = [
      [["apply", "m.json", "--dir", "d", "--dryrun", "--json"], "error", 2],
      [["status", "--dir", `${dir}/missing`, "--json"], "error", 1],
      [["status", "--dir", `${dir}/app`, "--json"], "result", 0],
      [["recover", "--dir", `${dir}/app`, "--json"], "result", 0],
      [["rollback", "--dir", `${dir}/app`, "--json"], "error", 1],
      [["adopt", "--dir", `${dir}/app`, "--version", "1.0", "--json"], "result", 0],
      [["verify", `${dir}/none.json`, "--allow-unsigned", "--json"], "error", 1],
      [["keygen", "--out", `${dir}/k`, "-W", "--json"], "result", 0],
    ];
    for (const [args, kind, code] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      const all = events(r.stdout);
      const last = all.at(-1)!;
      assert.equal(last.event, kind, args.join(" "));
      assert.equal(last.exitCode, code, args.join(" "));
      assert.equal(last.command, args[0]);
      assert.equal(all.filter((e) => e.event === "result" || e.event === "error").length, 1, r.stdout);
      if (kind === "error") assert.equal(typeof last.message, "string");
    }
    // Warnings are events too.
    const k = await runCli(["keygen", "--out", `${dir}/k2`, "--json"], {});
    assert.ok(events(k.stdout).some((e) => e.event === "warning" && /unencrypted/.test(String(e.message))));
  } finally {
    await done();
  }
});

Deno.test("adopt records a starting version; a from_version patch is refused on a tree without one", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/app`, { "a.txt": "v1" });
    const m = await makePatch(dir, [{ path: "a.txt", data: "v3" }], { replace: { files: ["a.txt"] } }, {
      extra: { version: "3.0", from_version: "2.0" },
    });
    const refused = await runCli(["apply", m, "--dir", `${dir}/app`, "--allow-unsigned"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the patch is for version 2\.0, but no version is recorded for this directory/);
    assert.match(refused.stderr, /pass --force to override/);
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "v1");

    const wrong = await runCli(["adopt", "--dir", `${dir}/app`, "--version", "1.0"]);
    assert.equal(wrong.code, 0, wrong.stderr);
    assert.match(wrong.stdout, /recorded .* as 1\.0/);
    const still = await runCli(["apply", m, "--dir", `${dir}/app`, "--allow-unsigned"]);
    assert.equal(still.code, 1);
    assert.match(still.stderr, /the patch is for version 2\.0, but 1\.0 is installed/);

    const replace = await runCli(["adopt", "--dir", `${dir}/app`, "--version", "2.0"]);
    assert.equal(replace.code, 1);
    assert.match(replace.stderr, /version 1\.0 is recorded already.*pass --force/);
    assert.equal((await runCli(["adopt", "--dir", `${dir}/app`, "--version", "2.0", "--force"])).code, 0);

    const ok = await runCli(["apply", m, "--dir", `${dir}/app`, "--allow-unsigned"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "v3");
    const status = await runCli(["status", "--dir", `${dir}/app`]);
    assert.match(status.stdout, /^version: +3\.0$/m);
    assert.match(status.stdout, /apply 2\.0 -> 3\.0/);
    assert.match(status.stdout, /adopted as 2\.0/);
    const back = await runCli(["rollback", "--dir", `${dir}/app`]);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /from 3\.0 to 2\.0/);
  } finally {
    await done();
  }
});

Deno.test("a patch that carries a schema is refused without --db before anything is fetched", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/app`, { "a.txt": "v1" });
    // The package does not exist: only a check made before the download can give this error.
    await Deno.writeTextFile(
      `${dir}/m.json`,
      JSON.stringify({
        url: "missing.tar.gz",
        hash: `sha256:${"0".repeat(64)}`,
        operations: { replace: { files: ["a.txt"] } },
        schema: { dialect: "sqlite" },
      }),
    );
    const r = await runCli(["apply", `${dir}/m.json`, "--dir", `${dir}/app`, "--allow-unsigned", "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const last = events(r.stdout).at(-1)!;
    assert.equal(last.code, "DbRequired", r.stderr);
    assert.match(String(last.message), /no database to migrate was given; pass --db <url>, or --skip-db/);
  } finally {
    await done();
  }
});

Deno.test("create refuses to overwrite an earlier patch and warns about an empty one", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/a`, { "x.txt": "same" });
    await writeTree(`${dir}/b`, { "x.txt": "same" });
    const first = await runCli(["create", "--from", `${dir}/a`, "--to", `${dir}/b`, "--out", `${dir}/out`]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /warning: .* have the same files: the patch changes nothing/);
    const again = await runCli(["create", "--from", `${dir}/a`, "--to", `${dir}/b`, "--out", `${dir}/out`]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /manifest\.json" exists already.*pass --force to overwrite it/);
    const forced = await runCli(["create", "--from", `${dir}/a`, "--to", `${dir}/b`, "--out", `${dir}/out`, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
  } finally {
    await done();
  }
});

/** Serves `root`, each package slowly, so that a signal arrives mid-download. */
function slowServer(root: string) {
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    async (req) => {
      const data = await Deno.readFile(`${root}${new URL(req.url).pathname}`).catch(() => undefined);
      if (!data) return new Response("no", { status: 404 });
      if (!req.url.endsWith(".gz")) return new Response(data);
      let off = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (off >= data.length) return c.close();
          await new Promise((r) => setTimeout(r, 50));
          c.enqueue(data.slice(off, off + 32 * 1024));
          off += 32 * 1024;
        },
      });
      return new Response(body, {
        headers: { "content-length": String(data.length), etag: '"v1"', "accept-ranges": "bytes" },
      });
    },
  );
  return { url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`, close: () => controller.abort() };
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`${signal} stops apply with exit ${code}, a JSON error event, and the partial download kept`, async () => {
    const [dir, done] = await tempDir();
    const server = slowServer(dir);
    try {
      await writeTree(`${dir}/app`, { "a.bin": "old" });
      const noise = concat(Array.from({ length: 32 }, () => crypto.getRandomValues(new Uint8Array(65_536))));
      await makePatch(dir, [{ path: "a.bin", data: noise }], { replace: { files: ["a.bin"] } });
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "-A",
          `${ROOT}/main.ts`,
          "apply",
          `${server.url}/patch.json`,
          "--dir",
          `${dir}/app`,
          "--allow-unsigned",
          "--json",
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let stdout = "";
      while (!/"phase":"download","bytes":[1-9]\d{5,}/.test(stdout)) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += value;
      }
      child.kill(signal);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += value;
      }
      const status = await child.status;
      const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
      assert.equal(status.code, code, stderr);
      const last = events(stdout).at(-1)!;
      assert.equal(last.event, "error");
      assert.equal(last.code, "Interrupted");
      assert.equal(last.signal, signal);
      assert.match(
        stderr,
        new RegExp(`interrupted by ${signal}; .*app is as it was; the partial download \\(.*\\) is kept`),
      );
      assert.equal(await Deno.readTextFile(`${dir}/app/a.bin`), "old");
      const st = await runCli(["status", "--dir", `${dir}/app`]);
      assert.match(st.stdout, /^downloads: .*\.part \(/m);
    } finally {
      server.close();
      await done();
    }
  });
}
