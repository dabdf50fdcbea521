/**
 * The network attacker: controls the manifest, the server and the network,
 * but not the publisher's secret key. Each case must end in one `error:`
 * line, with the install directory unchanged, after bounded work.
 *
 * Mutations these tests caught (each tried once, then reverted):
 * - `openBody` without the `maxBytes` check: "a bomb behind a genuine
 *   signature" was read to its end.
 * - `signedClaims` returning the claims without refusing their absence:
 *   "a signed package without a signed header" deleted data/.
 * - `checkHeader` ignoring the architecture: "an aarch64 package under
 *   x86_64" applied.
 * - `escapeText` returning its input: the ESC byte reached stderr.
 * - the body's `maxBytes` check scaled by 1e6: "an endless body without a length"
 *   pulled 256 MiB from the server.
 * - `loadManifest` without the deadline and rate floor: "a dripping
 *   manifest" ran until the server's 30 s cap and failed as invalid JSON.
 */

import assert from "node:assert/strict";
import { gzip as zlibGzip } from "node:zlib";
import { promisify } from "node:util";
import {
  buildTar,
  exec,
  HAVE_MINISIGN,
  makePatch,
  minisignKeygen,
  ROOT,
  runCli,
  serveDir,
  sha256,
  signedHeader,
  snapshot,
  tempDir,
  writeTree,
} from "../_helpers.ts";
import { have } from "../_env.ts";

const gzipAsync = promisify(zlibGzip);

interface World {
  base: string;
  app: string;
  srv: string;
  pub: string;
  sec: string;
  url: string;
  requests: { path: string; range: string | null }[];
}

async function withWorld(fn: (w: World) => Promise<void>) {
  const [base, done] = await tempDir();
  const srv = `${base}/srv`;
  await Deno.mkdir(srv);
  const server = serveDir(srv);
  try {
    const app = `${base}/app`;
    await writeTree(app, { "data/keep.db": "precious", "bin/app": "v1" });
    const { pub, sec } = await minisignKeygen(base);
    await fn({ base, app, srv, pub, sec, url: server.url, requests: server.requests });
  } finally {
    await server.close();
    await done();
  }
}

async function refused(w: World, args: string[]): Promise<string> {
  const before = await snapshot(w.app);
  const r = await runCli(args);
  assert.equal(r.code, 1, `expected failure, got ${r.code}\n${r.stdout}\n${r.stderr}`);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assert.equal(errors.length, 1, r.stderr);
  assert.deepEqual(await snapshot(w.app), before, "install directory unchanged");
  return errors[0]!;
}

const test = (name: string, fn: (w: World) => Promise<void>) =>
  Deno.test({ name, ignore: !HAVE_MINISIGN, fn: () => withWorld(fn) });

test("a bomb behind a genuine signature is refused before its body is read", async (w) => {
  const genuine = await makePatch(w.srv, [{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
    sec: w.sec,
    extra: { version: "2.0" },
  });
  const doc = JSON.parse(await Deno.readTextFile(genuine));
  // The attacker keeps the genuine header and signature, and appends 64 MiB of zeros.
  const header = signedHeader([{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
    extra: { version: "2.0" },
  });
  const bomb = await gzipAsync(buildTar([
    { path: ".patchops/operations.json", data: header },
    { path: "bin/app", data: new Uint8Array(64 << 20) },
  ]));
  await Deno.writeFile(`${w.srv}/patch.tar.gz`, bomb);
  // The server announces no length that could be checked: the body is not trusted to say.
  doc.hash = `sha256:${sha256(bomb)}`;
  await Deno.writeTextFile(`${w.srv}/bomb.json`, JSON.stringify(doc));
  const line = await refused(w, ["apply", `${w.url}/bomb.json`, "--dir", w.app, "--public-key", w.pub]);
  assert.match(line, /the server announces \d+ bytes, more than the \d+ expected/);
});

test("a signed package without a signed header is refused by default, so added operations cannot delete data", async (w) => {
  const m = await makePatch(w.srv, [{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
    sec: w.sec,
    header: false,
  });
  const doc = JSON.parse(await Deno.readTextFile(m));
  doc.operations.delete = { directories: ["data"] };
  doc.version = "99.0";
  await Deno.writeTextFile(m, JSON.stringify(doc));
  const line = await refused(w, ["apply", m, "--dir", w.app, "--public-key", w.pub]);
  assert.match(line, /carries no signed header.*--allow-unsigned-operations/);
});

test("a manifest that adds operations to a signed header is refused before anything is staged", async (w) => {
  const m = await makePatch(w.srv, [{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
    sec: w.sec,
    extra: { version: "2.0" },
  });
  const doc = JSON.parse(await Deno.readTextFile(m));
  doc.operations.delete = { directories: ["data"] };
  await Deno.writeTextFile(m, JSON.stringify(doc));
  const line = await refused(w, ["apply", m, "--dir", w.app, "--public-key", w.pub]);
  assert.match(line, /operations\.delete\.directories differ from the signed list/);
});

test("an aarch64 package moved under x86_64 in an enhanced manifest is refused", async (w) => {
  const inner = await makePatch(w.srv, [{ path: "bin/app", data: "arm64 binary" }], {
    replace: { files: ["bin/app"] },
  }, { sec: w.sec, arch: "aarch64" });
  const single = JSON.parse(await Deno.readTextFile(inner));
  await Deno.writeTextFile(`${w.srv}/enhanced.json`, JSON.stringify({ patch: { x86_64: single } }));
  const line = await refused(w, [
    "apply",
    `${w.url}/enhanced.json`,
    "--dir",
    w.app,
    "--public-key",
    w.pub,
    "--arch",
    "x86_64",
  ]);
  assert.match(line, /built for "aarch64", but "x86_64" is being installed/);
});

test("a duplicate header member is refused", async (w) => {
  const members = [{ path: "bin/app", data: "v2" }];
  const ops = { replace: { files: ["bin/app"] } };
  const header = signedHeader(members, ops, {});
  const m = await makePatch(w.srv, [...members, { path: ".patchops/operations.json", data: header }], ops, {
    sec: w.sec,
  });
  const line = await refused(w, ["apply", m, "--dir", w.app, "--public-key", w.pub]);
  assert.match(line, /operations\.json" (appears twice|is one more member)/);
});

test("escape sequences from a manifest are escaped in errors and warnings", async (w) => {
  const m = await makePatch(w.srv, [{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
    extra: { version: "2.0\u001b[2K\rapplied 9.9\u0000", from_version: "1.0\u001b]0;x\u0007" },
  });
  const r = await runCli(["apply", m, "--dir", w.app, "--allow-unsigned"]);
  assert.equal(r.code, 1, r.stderr);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(r.stderr + r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f]/);
  assert.match(r.stderr, /\\x1b\[2K\\x0dapplied 9\.9\\x00/);
});

test("a remote manifest may not name a local file, and credentials never reach the output", async (w) => {
  await Deno.writeTextFile(
    `${w.srv}/local.json`,
    JSON.stringify({ url: "file:///etc/passwd", hash: `sha256:${"0".repeat(64)}`, operations: {} }),
  );
  const line = await refused(w, ["apply", `${w.url}/local.json`, "--dir", w.app, "--allow-unsigned"]);
  assert.match(line, /names a local file, but the manifest is remote/);

  const closed = await exec("python3", [
    "-c",
    "import socket;s=socket.socket();s.bind(('127.0.0.1',0));print(s.getsockname()[1])",
  ]);
  const port = closed.stdout.trim();
  const r = await runCli(["apply", `http://alice:s3cret@127.0.0.1:${port}/m.json`, "--dir", w.app, "--allow-unsigned"]);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.stderr + r.stdout, /s3cret/);
  assert.match(r.stderr, /error: .*http:\/\/127\.0\.0\.1:/);
});

test("downloads ask for identity encoding", async (w) => {
  const m = await makePatch(w.srv, [{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
    sec: w.sec,
    extra: { version: "2.0" },
  });
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push(req.headers.get("accept-encoding") ?? "(none)");
    const path = new URL(req.url).pathname;
    return new Response(await Deno.readFile(`${w.srv}${path}`));
  });
  try {
    const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/${m.split("/").pop()}`;
    const r = await runCli(["apply", url, "--dir", w.app, "--public-key", w.pub]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(seen.length >= 2, String(seen));
    for (const s of seen.slice(1)) assert.equal(s, "identity");
  } finally {
    await server.shutdown();
  }
});

test("an endless body and a dripping body end within the configured bounds", async (w) => {
  const m = await makePatch(w.srv, [{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
    sec: w.sec,
    extra: { version: "2.0" },
  });
  const doc = JSON.parse(await Deno.readTextFile(m));
  let mode = "endless";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    if (new URL(req.url).pathname.endsWith(".json")) return new Response(JSON.stringify(doc));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (mode === "endless") {
          c.enqueue(new Uint8Array(64 << 10));
          return;
        }
        return new Promise((resolve) => {
          timer = setTimeout(() => {
            c.enqueue(new Uint8Array(1));
            resolve();
          }, 500);
        });
      },
      cancel() {
        clearTimeout(timer);
      },
    });
    return new Response(body, { headers: { "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT" } });
  });
  try {
    const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/m.json`;
    const endless = await refused(w, ["apply", url, "--dir", w.app, "--public-key", w.pub]);
    assert.match(endless, /server sent more than the \d+ bytes expected/);
    const parts = [...Deno.readDirSync(`${w.app}/.patchops/downloads`)].map((e) => e.name);
    for (const p of parts.filter((n) => n.endsWith(".part"))) {
      const size = Deno.statSync(`${w.app}/.patchops/downloads/${p}`).size;
      assert.ok(size <= (doc.size ?? Infinity) + (256 << 10), `partial download of ${size} bytes`);
    }
    mode = "drip";
    const started = Date.now();
    const drip = await refused(w, [
      "apply",
      url,
      "--dir",
      w.app,
      "--public-key",
      w.pub,
      "--speed-limit",
      "100",
      "--speed-time",
      "3",
    ]);
    assert.match(drip, /slower than 100 bytes\/s over 3 s/);
    assert.ok(Date.now() - started < 20_000, "the drip ended by the rate rule, not by a test timeout");
  } finally {
    await server.shutdown();
  }
});

test("partial downloads: one kept at most, listed by status, discarded on request", async (w) => {
  const m = await makePatch(w.srv, [{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
    sec: w.sec,
    extra: { version: "2.0" },
  });
  // Another package's leftovers, as an earlier interrupted run would leave them.
  await Deno.mkdir(`${w.app}/.patchops/downloads`, { recursive: true, mode: 0o700 });
  await Deno.chmod(`${w.app}/.patchops`, 0o700);
  const stale = `${w.app}/.patchops/downloads/${"e".repeat(64)}.part`;
  await Deno.writeFile(stale, new Uint8Array(1000), { mode: 0o600 });
  await Deno.writeTextFile(`${stale}.json`, "{}", { mode: 0o600 });
  const status = await runCli(["status", "--dir", w.app, "--json"]);
  assert.deepEqual(JSON.parse(status.stdout).downloads.map((d: { name: string }) => d.name), [
    `${"e".repeat(64)}.part`,
    `${"e".repeat(64)}.part.json`,
  ]);
  const r = await runCli(["apply", `${w.url}/${m.split("/").pop()}`, "--dir", w.app, "--public-key", w.pub]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([...Deno.readDirSync(`${w.app}/.patchops`)].map((e) => e.name).includes("downloads"), false);

  await Deno.mkdir(`${w.app}/.patchops/downloads`, { mode: 0o700 });
  await Deno.writeFile(stale, new Uint8Array(1000), { mode: 0o600 });
  const text = await runCli(["status", "--dir", w.app]);
  assert.match(text.stdout, /downloads: e{64}\.part \(1000 B\)/);
  const rec = await runCli(["recover", "--dir", w.app, "--discard-downloads"]);
  assert.equal(rec.code, 0, rec.stderr);
  assert.match(rec.stdout, /discarded 1 partial download file/);
  // Emptied, the directory itself goes too.
  await assert.rejects(Deno.lstat(`${w.app}/.patchops/downloads`), Deno.errors.NotFound);
});

Deno.test({
  name: "an endless body without a length is refused in bounded memory and bounded disk",
  ignore: !HAVE_MINISIGN || !(await have("time")),
  fn: () =>
    withWorld(async (w) => {
      const m = await makePatch(w.srv, [{ path: "bin/app", data: "v2" }], { replace: { files: ["bin/app"] } }, {
        sec: w.sec,
        extra: { version: "2.0" },
      });
      const doc = JSON.parse(await Deno.readTextFile(m));
      // The manifest no longer says how big the package is; the signature's claim still does.
      delete doc.size;
      const chunk = new Uint8Array(1 << 20).fill(0x41);
      let sent = 0;
      const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
        if (new URL(req.url).pathname.endsWith(".json")) return new Response(JSON.stringify(doc));
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            // Endless for the client's purposes; the cap only keeps a broken client from hanging the test.
            if (sent >= 256 << 20) return c.close();
            sent += chunk.length;
            c.enqueue(chunk);
          },
        });
        return new Response(body, { headers: { "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT" } });
      });
      try {
        const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/m.json`;
        const before = await snapshot(w.app);
        const r = await exec("/usr/bin/time", [
          "-f",
          "peak %M KiB",
          Deno.execPath(),
          "run",
          "--quiet",
          "-A",
          `${ROOT}/main.ts`,
          "apply",
          url,
          "--dir",
          w.app,
          "--public-key",
          w.pub,
        ]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /^error: .*more than the \d+ bytes expected/m);
        assert.deepEqual(await snapshot(w.app), before);
        const peakKiB = Number(/peak (\d+) KiB/.exec(r.stderr)?.[1]);
        // A run of the CLI itself takes about 60 MiB; the body must not be held in memory.
        assert.ok(peakKiB > 0 && peakKiB < 160 * 1024, `peak RSS ${peakKiB} KiB`);
        // Reading stopped soon after the claimed size: the server was not drained.
        assert.ok(sent < 64 << 20, `${sent} bytes were pulled from the server`);
        let onDisk = 0;
        for (const e of Deno.readDirSync(`${w.app}/.patchops/downloads`)) {
          onDisk += Deno.statSync(`${w.app}/.patchops/downloads/${e.name}`).size;
        }
        assert.ok(onDisk <= (1 << 20), `${onDisk} bytes kept in downloads`);
      } finally {
        await server.shutdown();
      }
    }),
});

test("a dripping manifest ends within the configured rate and deadline", async (w) => {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    // One byte every 200 ms: never a stall of --timeout, never done. The 30 s cap only keeps a
    // broken client from hanging the test.
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (Date.now() - started > 30_000) return c.close();
        return new Promise((resolve) => {
          timer = setTimeout(() => {
            timers.delete(timer!);
            c.enqueue(new TextEncoder().encode(" "));
            resolve();
          }, 200);
          timers.add(timer);
        });
      },
      cancel() {
        clearTimeout(timer);
      },
    });
    return new Response(body);
  });
  try {
    const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/channel.json`;
    let started = Date.now();
    const slow = await refused(w, [
      "apply",
      url,
      "--dir",
      w.app,
      "--allow-unsigned",
      "--speed-limit",
      "100",
      "--speed-time",
      "3",
    ]);
    assert.match(slow, /slower than 100 bytes\/s over 3 s/);
    assert.ok(Date.now() - started < 20_000, "the drip ended by the rate rule, not by the server's cap");
    started = Date.now();
    const late = await refused(w, ["verify", url, "--allow-unsigned", "--speed-limit", "0", "--deadline", "2"]);
    assert.match(late, /not done by the deadline/);
    assert.ok(Date.now() - started < 20_000, "the drip ended by the deadline, not by the server's cap");
  } finally {
    for (const t of timers) clearTimeout(t);
    await server.shutdown();
  }
});
