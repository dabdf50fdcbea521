/**
 * Kill tests of delta reconstruction: `apply` of a real `create --delta`
 * package is killed with SIGKILL while a delta member is being rebuilt into
 * staging (the server stops sending mid-package, so the rebuild waits for
 * the rest of the delta with part of the new file written), and at the
 * transaction points after the rebuild. Each time the install directory must
 * be exactly the old tree (or, after the commit point, the new one) once
 * `recover` ran, with no working area left, and a fresh `apply` must reach
 * exactly the new tree.
 */

import assert from "node:assert/strict";
import zlib from "node:zlib";
import {
  createSigned,
  exec,
  HAVE_MINISIGN,
  minisignKeygen,
  ROOT,
  runCli,
  serveDir,
  sha256,
  snapshot,
  tempDir,
} from "../_helpers.ts";

const CHILD = `${ROOT}/tests/e2e/_crash_child.ts`;
const TOOL = "bin/tool";

/**
 * A new build of an executable: relative addresses shift all through the
 * code (a 32-bit word changed by a small constant in every 512 bytes), and
 * new code is inserted in many places spread over the file (`inserted` cut
 * into 32 runs).
 */
function nextBuild(old: Uint8Array, inserted: Uint8Array): Uint8Array {
  const shifted = Uint8Array.from(old);
  const view = new DataView(shifted.buffer);
  for (let at = 96; at + 4 <= shifted.length; at += 512) {
    view.setUint32(at, (view.getUint32(at, true) + 0x40) >>> 0, true);
  }
  const runs = 32, oldStep = Math.floor(shifted.length / runs), newStep = Math.floor(inserted.length / runs);
  const out = new Uint8Array(shifted.length + inserted.length);
  let o = 0;
  for (let i = 0; i < runs; i++) {
    const a = shifted.subarray(i * oldStep, i === runs - 1 ? shifted.length : (i + 1) * oldStep);
    out.set(a, o);
    o += a.length;
    const b = inserted.subarray(i * newStep, i === runs - 1 ? inserted.length : (i + 1) * newStep);
    out.set(b, o);
    o += b.length;
  }
  return out;
}

interface World {
  base: string;
  old: string;
  neu: string;
  app: string;
  pub: string;
  /** The package (zstd) and its manifest, served by `url`. */
  pkg: string;
  url: string;
  oldSnap: Record<string, string>;
  newSnap: Record<string, string>;
  newTool: Uint8Array;
  /** Entries of `base` before any apply: nothing may appear beside the install directory. */
  around: string[];
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** Old and new trees, a `create --delta` package of them, served on 127.0.0.1. */
async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const [base, done] = await tempDir();
  try {
    // 4 MiB of a real executable (the running deno: ELF headers and code), and 1 MiB of
    // new code taken from further into it, which the old file does not hold.
    const exe = await Deno.open(Deno.execPath());
    const buf = new Uint8Array(5 << 20);
    let got = 0;
    while (got < buf.length) {
      const n = await exe.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    exe.close();
    assert.equal(got, buf.length, "the deno executable is smaller than 5 MiB");
    const oldTool = buf.slice(0, 4 << 20);
    const newTool = nextBuild(oldTool, buf.slice(4 << 20));
    const js = Array.from(
      { length: 12_000 },
      (_, i) => `export function f${i}(a, b) { return a * ${i % 13} + b.length - ${i % 7}; }\n`,
    ).join("");
    const newJs = js.replaceAll("- 3;", "- 33;").replace("f600(", "renamed600(");

    const old = `${base}/old`, neu = `${base}/new`, srv = `${base}/srv`;
    for (const dir of [old, neu]) {
      await Deno.mkdir(`${dir}/bin`, { recursive: true });
      await Deno.mkdir(`${dir}/lib`);
    }
    await Deno.mkdir(srv);
    await Deno.writeFile(`${old}/${TOOL}`, oldTool, { mode: 0o755 });
    await Deno.writeFile(`${neu}/${TOOL}`, newTool, { mode: 0o755 });
    await Deno.writeTextFile(`${old}/lib/bundle.js`, js);
    await Deno.writeTextFile(`${neu}/lib/bundle.js`, newJs);
    await Deno.writeTextFile(`${old}/small.txt`, "v1");
    await Deno.writeTextFile(`${neu}/small.txt`, "v2");
    const { pub, sec } = await minisignKeygen(base);
    await createSigned(old, neu, `${srv}/delta`, sec, "--delta");
    const pkg = `${srv}/delta/patch.tar.zst`;
    // The package really ships both changed files as deltas (and is much smaller than the new tool).
    const tar = new Uint8Array(zlib.zstdDecompressSync(await Deno.readFile(pkg)));
    const size = parseInt(new TextDecoder().decode(tar.subarray(124, 136)).replace(/\0.*$/, "").trim(), 8);
    const header = JSON.parse(new TextDecoder().decode(tar.subarray(512, 512 + size)));
    assert.deepEqual(Object.keys(header.deltas ?? {}).sort(), [TOOL, "lib/bundle.js"]);
    assert.equal(header.deltas[TOOL].old_sha256, sha256(oldTool));

    const app = `${base}/app`;
    const server = serveDir(srv);
    try {
      await fn({
        base,
        old,
        neu,
        app,
        pub,
        pkg,
        url: `${server.url}/delta/manifest.json`,
        oldSnap: await snapshot(old),
        newSnap: await snapshot(neu),
        newTool,
        around: [...await listing(base), "app"].sort(),
      });
    } finally {
      await server.close();
    }
  } finally {
    await done();
  }
}

async function freshApp(w: World): Promise<void> {
  await Deno.remove(w.app, { recursive: true }).catch(() => {});
  const r = await exec("cp", ["-a", w.old, w.app]);
  assert.equal(r.code, 0, r.stderr);
}

/** The transaction working areas left in `.patchops/txn`. */
async function workingAreas(w: World): Promise<string[]> {
  try {
    return await listing(`${w.app}/.patchops/txn`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** The staged file `path` of the one working area, or undefined. */
async function staged(w: World, path: string): Promise<Uint8Array | undefined> {
  const areas = await workingAreas(w);
  if (areas.length !== 1) return undefined;
  try {
    return await Deno.readFile(`${w.app}/.patchops/txn/${areas[0]}/staging/${path}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

async function stagedSize(w: World, path: string): Promise<number | undefined> {
  const areas = await workingAreas(w);
  if (areas.length !== 1) return undefined;
  try {
    return (await Deno.stat(`${w.app}/.patchops/txn/${areas[0]}/staging/${path}`)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** After a kill: `recover` leaves exactly `want`, no working area, nothing beside the install directory. */
async function recoverTo(w: World, want: "old" | "new", what: string): Promise<void> {
  const r = await runCli(["recover", "--dir", w.app]);
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  assert.deepEqual(await snapshot(w.app), want === "old" ? w.oldSnap : w.newSnap, `${what}: the ${want} tree`);
  assert.deepEqual(await workingAreas(w), [], `${what}: recover leaves no working area`);
  assert.deepEqual(await listing(w.base), w.around, `${what}: nothing appears beside the install directory`);
}

/**
 * A fresh apply reaches exactly the new tree; returns the bytes it took from
 * the partial download the killed run kept (`url` defaults to an undisturbed server).
 */
async function applyToNew(w: World, what: string, url = w.url): Promise<number> {
  const r = await runCli(["apply", url, "--dir", w.app, "--public-key", w.pub, "--json", "--deadline", "30"]);
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  const result = r.stdout.split("\n").filter((l) => l.includes('"resumedBytes"')).map((l) => JSON.parse(l));
  assert.equal(result.length, 1, `${what}: one result line in ${r.stdout}`);
  assert.deepEqual(await snapshot(w.app), w.newSnap, `${what}: the apply after the kill reaches the new tree`);
  assert.deepEqual(await workingAreas(w), [], `${what}: the apply leaves no working area`);
  return result[0].resumedBytes;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const opts = { ignore: !HAVE_MINISIGN, sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "apply killed while a delta member is rebuilt, at several points, recovers to the old tree",
  opts,
  async () => {
    await withWorld(async (w) => {
      const total = (await Deno.stat(w.pkg)).size;
      const partials: number[] = [];
      // Cut the package after these fractions of its bytes: each lands inside the tool's delta,
      // which the inserted code (spread over the file) makes most of the package.
      const fractions = [0.3, 0.5, 0.7, 0.9];
      for (let i = 0; i < fractions.length; i++) {
        const after = Math.floor(total * fractions[i]!);
        const what = `killed after ${after} of ${total} package bytes`;
        await freshApp(w);
        const stalling = serveDir(`${w.base}/srv`, { "/delta/patch.tar.zst": { kind: "stall", after } });
        try {
          const child = new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "--quiet",
              "-A",
              `${ROOT}/main.ts`,
              "apply",
              `${stalling.url}/delta/manifest.json`,
              ...["--dir", w.app, "--public-key", w.pub],
            ],
            stdout: "null",
            stderr: "null",
          }).spawn();
          // Wait until the rebuilt tool in staging has grown and stopped growing: the rebuild
          // then waits for delta bytes the server holds back.
          let last = -1, still = 0;
          const deadline = Date.now() + 30_000;
          while (still < 3) {
            assert.ok(Date.now() < deadline, `${what}: the rebuild never started or never stopped`);
            await sleep(100);
            const size = await stagedSize(w, TOOL) ?? -1;
            still = size > 0 && size === last ? still + 1 : 0;
            last = size;
          }
          child.kill("SIGKILL");
          const status = await child.status;
          assert.equal(status.signal, "SIGKILL", `${what}: apply was still running`);
          assert.ok(last < w.newTool.length, `${what}: the tool was part-way rebuilt (${last} bytes)`);
          // Part of the new file, written in order, and nothing of it in the install directory.
          const partial = (await staged(w, TOOL))!;
          assert.deepEqual(
            partial,
            w.newTool.subarray(0, partial.length),
            `${what}: the staged part is the new file's start`,
          );
          partials.push(partial.length);
          assert.deepEqual(await snapshot(w.app), w.oldSnap, `${what}: before recover`);
          await recoverTo(w, "old", what);
          if (i % 2 === 0) {
            assert.equal(await applyToNew(w, what), 0, `${what}: from another URL nothing is resumed`);
          } else {
            // From the same server, the kept part of the package is resumed with a Range request (which
            // the stalling server answers in full): the tool is rebuilt from kept and fetched bytes.
            const resumed = await applyToNew(w, what, `${stalling.url}/delta/manifest.json`);
            assert.ok(resumed > 0 && resumed <= after, `${what}: resumed ${resumed} bytes`);
          }
        } finally {
          await stalling.close();
        }
      }
      // Each kill came later in the rebuild than the one before.
      for (let i = 1; i < partials.length; i++) {
        assert.ok(partials[i]! > partials[i - 1]!, `rebuilt bytes at the kills: ${partials.join(", ")}`);
      }
    });
  },
);

Deno.test(
  "apply of a delta package killed after the rebuild, before and after the commit point, converges",
  opts,
  async () => {
    await withWorld(async (w) => {
      const expect: [string, "old" | "new"][] = [
        ["backed-up", "old"],
        ["step:1", "old"],
        ["step:3", "old"],
        ["committed", "new"],
        ["finish:state", "new"],
      ];
      for (const [point, want] of expect) {
        const what = `killed at ${point}`;
        await freshApp(w);
        const r = await exec(Deno.execPath(), ["run", "--quiet", "-A", CHILD, "apply", w.url, w.app, point, w.pub]);
        assert.equal(r.code, 137, `${what}: the child was to die there: ${r.stderr}`);
        if (point === "backed-up") {
          // The rebuild finished before the commit began: the staged tool is the whole new file.
          assert.equal(sha256((await staged(w, TOOL)) ?? new Uint8Array()), sha256(w.newTool), what);
        }
        const status = await runCli(["status", "--dir", w.app, "--json"]);
        assert.equal(JSON.parse(status.stdout).pending.length, 1, `${what}: a pending transaction is reported`);
        await recoverTo(w, want, what);
        await applyToNew(w, what);
      }
    });
  },
);
