/**
 * The manifest's `fallback` attacked over 127.0.0.1: a network attacker
 * (who controls the manifest but not the key) points it at another package
 * the same publisher signed, whose operations differ from the ones shown;
 * or gives the fallback a fallback of its own. Each is refused with one
 * `error:` line, the install directory as it was and nothing else changed.
 */

import assert from "node:assert/strict";
import { createSigned, HAVE_MINISIGN, minisignKeygen, runCli, serveDir, snapshot, tempDir } from "../_helpers.ts";

interface World {
  base: string;
  old: string;
  neu: string;
  other: string;
  app: string;
  pub: string;
  sec: string;
  url: string;
}

/** A new build of a real executable: bytes changed here and there. */
function nextVersion(old: Uint8Array): Uint8Array {
  const out = Uint8Array.from(old);
  for (let i = 1; i <= 40; i++) {
    const at = (i * 7919 * 3) % out.length;
    out[at] = out[at]! ^ 0x5a;
  }
  return out;
}

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const [base, done] = await tempDir();
  const exe = await Deno.readFile("/bin/tar");
  const old = `${base}/old`, neu = `${base}/new`, other = `${base}/other`, app = `${base}/app`;
  for (const dir of [old, neu, other, app, `${base}/srv`]) await Deno.mkdir(`${dir}/bin`, { recursive: true });
  for (const dir of [old, app]) {
    await Deno.writeFile(`${dir}/bin/tool`, exe, { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/small.txt`, "v1");
  }
  await Deno.writeFile(`${neu}/bin/tool`, nextVersion(exe), { mode: 0o755 });
  await Deno.writeTextFile(`${neu}/small.txt`, "v2");
  // Another release of the same publisher: other bytes, and small.txt deleted.
  await Deno.writeTextFile(`${other}/bin/tool`, "#!/bin/sh\necho other\n", { mode: 0o755 });
  const { pub, sec } = await minisignKeygen(base);
  const server = serveDir(`${base}/srv`);
  try {
    await fn({ base, old, neu, other, app, pub, sec, url: server.url });
  } finally {
    await server.close();
    await done();
  }
}

async function create(w: World, to: string, out: string, ...flags: string[]): Promise<void> {
  await createSigned(w.old, to, `${w.base}/srv/${out}`, w.sec, ...flags);
}

const opts = { ignore: !HAVE_MINISIGN, sanitizeResources: false, sanitizeOps: false };

Deno.test(
  "a fallback swapped for another signed package whose operations differ from those shown is refused",
  opts,
  async () => {
    await withWorld(async (w) => {
      await create(w, w.neu, "delta", "--delta", "--delta-fallback");
      await create(w, w.other, "other");
      const mpath = `${w.base}/srv/delta/manifest.json`;
      const manifest = JSON.parse(await Deno.readTextFile(mpath));
      const other = JSON.parse(await Deno.readTextFile(`${w.base}/srv/other/manifest.json`));
      assert.notDeepEqual(other.operations, manifest.operations);
      manifest.fallback = {
        url: "../other/patch.tar.gz",
        hash: other.hash,
        signature: other.signature,
        ...(other.size === undefined ? {} : { size: other.size }),
        // Its own operations, offered beside it, are not taken either.
        operations: other.operations,
      };
      await Deno.writeTextFile(mpath, JSON.stringify(manifest));
      // The installed file changed locally: the delta is refused and the fallback is tried.
      const tool = await Deno.readFile(`${w.app}/bin/tool`);
      tool[100] = tool[100]! ^ 1;
      await Deno.writeFile(`${w.app}/bin/tool`, tool);
      const before = await snapshot(w.app);
      const beforeSrv = await snapshot(`${w.base}/srv`);
      const r = await runCli(["apply", `${w.url}/delta/manifest.json`, "--dir", w.app, "--public-key", w.pub]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /full-file package instead/);
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
      assert.equal(errors.length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.deepEqual(await snapshot(w.app), before);
      assert.equal(await Deno.readTextFile(`${w.app}/small.txt`), "v1");
      assert.deepEqual(await snapshot(`${w.base}/srv`), beforeSrv);

      // A fallback with a fallback of its own (a loop between packages) is refused before anything is fetched.
      manifest.fallback = { ...manifest.fallback, fallback: { url: "patch.tar.gz", hash: manifest.hash } };
      await Deno.writeTextFile(mpath, JSON.stringify(manifest));
      const loop = await runCli(["apply", `${w.url}/delta/manifest.json`, "--dir", w.app, "--public-key", w.pub]);
      assert.equal(loop.code, 1, loop.stderr);
      assert.match(loop.stderr, /^error: .*fallback.*may not have a fallback/m);
      assert.deepEqual(await snapshot(w.app), before);

      // A remote manifest's fallback naming a file on this host is refused the same way.
      manifest.fallback = { url: `file://${w.base}/srv/other/patch.tar.gz`, hash: other.hash };
      await Deno.writeTextFile(mpath, JSON.stringify(manifest));
      const local = await runCli(["apply", `${w.url}/delta/manifest.json`, "--dir", w.app, "--public-key", w.pub]);
      assert.equal(local.code, 1, local.stderr);
      assert.match(local.stderr, /^error: .*fallback\.url.*names a local file/m);
      assert.deepEqual(await snapshot(w.app), before);
    });
  },
);
