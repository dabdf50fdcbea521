/**
 * `create --delta` and `apply` of delta members through the command line,
 * packages served over HTTP on 127.0.0.1: the round trip and its rollback,
 * and each refusal (a locally changed or swapped old file, a delta whose
 * result is wrong or too large, a tampered or unauthenticated header),
 * each leaving the install directory as it was.
 */

import assert from "node:assert/strict";
import zlib from "node:zlib";
import { makeDelta } from "../../src/delta/diff.ts";
import {
  buildTar,
  createSigned,
  gzip,
  HAVE_MINISIGN,
  type Member,
  minisignKeygen,
  minisignSign,
  runCli,
  serveDir,
  sha256,
  snapshot,
  tempDir,
} from "../_helpers.ts";

/** A new build of a real executable: bytes changed here and there, a run inserted, a run cut. */
function nextVersion(old: Uint8Array, seed: number): Uint8Array {
  const out = Uint8Array.from(old);
  for (let i = 1; i <= 40; i++) {
    const at = (i * 7919 * seed) % out.length;
    out[at] = out[at]! ^ 0x5a;
  }
  const cut = Math.floor(out.length / 3);
  const inserted = new TextEncoder().encode(`inserted by version ${seed} `.repeat(200));
  const next = new Uint8Array(out.length - 3000 + inserted.length);
  next.set(out.subarray(0, cut));
  next.set(inserted, cut);
  next.set(out.subarray(cut + 3000), cut + inserted.length);
  return next;
}

interface World {
  base: string;
  old: string;
  neu: string;
  app: string;
  pub: string;
  sec: string;
  url: string;
  /** Old and new bytes of the delta'd files. */
  files: Record<string, [Uint8Array, Uint8Array]>;
}

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const [base, done] = await tempDir();
  const exe = await Deno.readFile("/bin/tar");
  const js = new TextEncoder().encode(
    Array.from({ length: 4000 }, (_, i) => `export function f${i}(a) { return a + ${i % 7}; }\n`).join(""),
  );
  const files: Record<string, [Uint8Array, Uint8Array]> = {
    "bin/tool": [exe, nextVersion(exe, 3)],
    "lib/bundle.js": [js, new TextEncoder().encode(new TextDecoder().decode(js).replaceAll("+ 3;", "+ 33;"))],
  };
  const old = `${base}/old`, neu = `${base}/new`, app = `${base}/app`, srv = `${base}/srv`;
  for (const dir of [old, neu, app, srv]) await Deno.mkdir(`${dir}/bin`, { recursive: true });
  for (const dir of [old, neu, app]) await Deno.mkdir(`${dir}/lib`);
  for (const [path, [a, b]] of Object.entries(files)) {
    await Deno.writeFile(`${old}/${path}`, a, { mode: 0o755 });
    await Deno.writeFile(`${app}/${path}`, a, { mode: 0o755 });
    await Deno.writeFile(`${neu}/${path}`, b, { mode: 0o755 });
  }
  for (const dir of [old, app]) await Deno.writeTextFile(`${dir}/small.txt`, "v1");
  await Deno.writeTextFile(`${neu}/small.txt`, "v2");
  const { pub, sec } = await minisignKeygen(base);
  const server = serveDir(srv);
  try {
    await fn({ base, old, neu, app, pub, sec, url: server.url, files });
  } finally {
    await server.close();
    await done();
  }
}

async function create(w: World, out: string, ...flags: string[]): Promise<void> {
  await createSigned(w.old, w.neu, `${w.base}/srv/${out}`, w.sec, ...flags);
}

async function apply(w: World, out: string, ...flags: string[]) {
  return await runCli(["apply", `${w.url}/${out}/manifest.json`, "--dir", w.app, "--public-key", w.pub, ...flags]);
}

function gunzip(b: Uint8Array): Uint8Array {
  return new Uint8Array(zlib.gunzipSync(b));
}

function unzstd(b: Uint8Array): Uint8Array {
  return new Uint8Array(zlib.zstdDecompressSync(b));
}

/** The signed header of a package made by `create`, as JSON. */
function headerOf(tar: Uint8Array): { text: string; end: number } {
  const size = parseInt(new TextDecoder().decode(tar.subarray(124, 136)).replace(/\0.*$/, "").trim(), 8);
  return { text: new TextDecoder().decode(tar.subarray(512, 512 + size)), end: 512 + size };
}

/**
 * A package signed with the publisher's key (as a careless or compromised
 * build would sign it), whose header names `deltas` for `members`.
 */
async function signedDeltaPackage(
  w: World,
  name: string,
  members: Member[],
  deltas: Record<string, { old_sha256: string; old_size: number; sha256: string; size: number }>,
): Promise<void> {
  const files = members.map((m) => m.path);
  const header = new TextEncoder().encode(JSON.stringify({
    format: 3,
    operations: { replace: { files, directories: [] }, delete: { files: [], directories: [] } },
    version: "2",
    from_version: null,
    arch: null,
    totals: {
      entries: members.length,
      files: members.length,
      bytes: members.reduce((n, m) => n + (m.data as Uint8Array).length, 0),
    },
    deltas,
  }));
  const pkg = await gzip(buildTar([{ path: ".patchops/operations.json", data: header }, ...members]));
  const dir = `${w.base}/srv/${name}`;
  await Deno.mkdir(dir);
  await Deno.writeFile(`${dir}/patch.tar.gz`, pkg);
  const sig = await minisignSign(`${dir}/patch.tar.gz`, w.sec, {
    trustedComment: `test\tpatchops-size:${pkg.length}\tpatchops-header:${sha256(header)}`,
  });
  await Deno.writeTextFile(
    `${dir}/manifest.json`,
    JSON.stringify({
      url: "patch.tar.gz",
      hash: `sha256:${sha256(pkg)}`,
      signature: sig,
      version: "2",
      operations: { replace: { files, directories: [] }, delete: { files: [], directories: [] } },
    }),
  );
}

const opts = { ignore: !HAVE_MINISIGN, sanitizeResources: false, sanitizeOps: false };

Deno.test("create --delta ships smaller packages that apply to exactly the new tree and roll back", opts, async () => {
  await withWorld(async (w) => {
    await create(w, "full");
    await create(w, "delta", "--delta");
    const full = (await Deno.stat(`${w.base}/srv/full/patch.tar.gz`)).size;
    // A delta package is zstd unless --compression says otherwise.
    const delta = (await Deno.stat(`${w.base}/srv/delta/patch.tar.zst`)).size;
    assert.ok(delta * 5 < full, `delta package ${delta} bytes, full ${full}`);
    const header = JSON.parse(headerOf(unzstd(await Deno.readFile(`${w.base}/srv/delta/patch.tar.zst`))).text);
    assert.equal(header.format, 3);
    assert.deepEqual(Object.keys(header.deltas), ["bin/tool", "lib/bundle.js"]);
    assert.equal(header.deltas["bin/tool"].old_sha256, sha256(w.files["bin/tool"]![0]));
    // Without --delta the header is format 2, as before.
    assert.equal(JSON.parse(headerOf(gunzip(await Deno.readFile(`${w.base}/srv/full/patch.tar.gz`))).text).format, 2);

    const verify = await runCli(["verify", `${w.url}/delta/manifest.json`, "--public-key", w.pub]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /2 deltas/);

    const before = await snapshot(w.app);
    const r = await apply(w, "delta");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await snapshot(w.app), await snapshot(w.neu));
    const back = await runCli(["rollback", "--dir", w.app]);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(await snapshot(w.app), before);
  });
});

Deno.test(
  "apply refuses a delta whose old file was changed locally, naming it, and changes nothing",
  opts,
  async () => {
    await withWorld(async (w) => {
      await create(w, "delta", "--delta");
      const tool = await Deno.readFile(`${w.app}/bin/tool`);
      tool[100] = tool[100]! ^ 1;
      await Deno.writeFile(`${w.app}/bin/tool`, tool);
      const before = await snapshot(w.app);
      const r = await apply(w, "delta");
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error: .*"bin\/tool".*not the version its delta was made from/m);
      assert.deepEqual(await snapshot(w.app), before);
    });
  },
);

Deno.test(
  "with a full-file fallback, a file changed locally gets the full package; a forged one changes nothing",
  opts,
  async () => {
    await withWorld(async (w) => {
      await create(w, "delta", "--delta", "--delta-fallback");
      const manifest = JSON.parse(await Deno.readTextFile(`${w.base}/srv/delta/manifest.json`));
      assert.equal(manifest.fallback.url, "full/patch.tar.gz");
      const tool = await Deno.readFile(`${w.app}/bin/tool`);
      tool[100] = tool[100]! ^ 1;
      await Deno.writeFile(`${w.app}/bin/tool`, tool);

      // The fallback package forged (one byte): refused on its hash, and the tree is as it was.
      const full = `${w.base}/srv/delta/full/patch.tar.gz`;
      const good = await Deno.readFile(full);
      const bad = good.slice();
      bad[bad.length - 20] = bad[bad.length - 20]! ^ 1;
      await Deno.writeFile(full, bad);
      const before = await snapshot(w.app);
      const forged = await apply(w, "delta");
      assert.equal(forged.code, 1);
      assert.match(forged.stderr, /"bin\/tool".*applying the full-file package instead/);
      assert.deepEqual(await snapshot(w.app), before);

      await Deno.writeFile(full, good);
      const r = await apply(w, "delta");
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /^warning: .*"bin\/tool".*not the version its delta was made from.*full-file package instead/m,
      );
      assert.deepEqual(await snapshot(w.app), await snapshot(w.neu));
      // Without a local change the delta package itself is used (no warning).
      const back = await runCli(["rollback", "--dir", w.app]);
      assert.equal(back.code, 0, back.stderr);
      await Deno.writeFile(`${w.app}/bin/tool`, w.files["bin/tool"]![0]);
      const plain = await apply(w, "delta");
      assert.equal(plain.code, 0, plain.stderr);
      assert.doesNotMatch(plain.stderr, /full-file package/);
      assert.deepEqual(await snapshot(w.app), await snapshot(w.neu));
    });
  },
);

Deno.test("apply does not follow an old file swapped for a symlink to an identical copy outside", opts, async () => {
  await withWorld(async (w) => {
    await create(w, "delta", "--delta");
    const outside = `${w.base}/outside-tool`;
    await Deno.writeFile(outside, w.files["bin/tool"]![0]);
    await Deno.remove(`${w.app}/bin/tool`);
    await Deno.symlink(outside, `${w.app}/bin/tool`);
    const before = await snapshot(w.app);
    const r = await apply(w, "delta");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /"bin\/tool".*symbolic link/);
    assert.deepEqual(await snapshot(w.app), before);
    assert.deepEqual(await Deno.readFile(outside), w.files["bin/tool"]![0]);
  });
});

Deno.test("apply refuses a signed delta whose result is not the signed one, or larger than signed", opts, async () => {
  await withWorld(async (w) => {
    const [old, neu] = w.files["bin/tool"]!;
    const other = nextVersion(old, 5);
    const delta = makeDelta(old, other);
    // The header vouches for `neu`, the delta gives `other` (same size, other bytes).
    await signedDeltaPackage(w, "wrong", [{ path: "bin/tool", data: delta, mode: 0o755 }], {
      "bin/tool": { old_sha256: sha256(old), old_size: old.length, sha256: sha256(neu), size: other.length },
    });
    await signedDeltaPackage(w, "large", [{ path: "bin/tool", data: delta, mode: 0o755 }], {
      "bin/tool": { old_sha256: sha256(old), old_size: old.length, sha256: sha256(other), size: 1000 },
    });
    const before = await snapshot(w.app);
    const wrong = await apply(w, "wrong");
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /"bin\/tool".*does not match its signed SHA-256/);
    assert.deepEqual(await snapshot(w.app), before);
    const large = await apply(w, "large");
    assert.equal(large.code, 1);
    assert.match(large.stderr, /"bin\/tool".*more than the signed 1000 bytes/);
    assert.deepEqual(await snapshot(w.app), before);
  });
});

Deno.test("apply refuses a delta package whose header was changed, or that is not signed", opts, async () => {
  await withWorld(async (w) => {
    await create(w, "delta", "--delta", "--compression", "gzip");
    const dir = `${w.base}/srv/delta`;
    const tar = gunzip(await Deno.readFile(`${dir}/patch.tar.gz`));
    const { text } = headerOf(tar);
    const doc = JSON.parse(text);
    // The network attacker points the delta at other old bytes (same length, so the tar stays valid).
    const forged = text.replace(doc.deltas["bin/tool"].old_sha256, sha256(new Uint8Array(1)));
    assert.notEqual(forged, text);
    tar.set(new TextEncoder().encode(forged), 512);
    // The signed package size holds too: compress harder, then pad with zeros (which gzip readers skip).
    const original = (await Deno.stat(`${dir}/patch.tar.gz`)).size;
    const packed = new Uint8Array(zlib.gzipSync(tar, { level: 9 }));
    assert.ok(packed.length <= original);
    const pkg = new Uint8Array(original);
    pkg.set(packed);
    await Deno.writeFile(`${dir}/patch.tar.gz`, pkg);
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
    manifest.hash = `sha256:${sha256(pkg)}`;
    manifest.size = pkg.length;
    await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(manifest));
    const before = await snapshot(w.app);
    const r = await apply(w, "delta");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not the header the signature vouches for|signature does not match the package/);
    assert.deepEqual(await snapshot(w.app), before);

    // Unsigned, the header is not authenticated: its deltas are not used.
    const made = await runCli(["create", "--from", w.old, "--to", w.neu, "--out", `${w.base}/srv/unsigned`, "--delta"]);
    assert.equal(made.code, 0, made.stderr);
    const u = await runCli(["apply", `${w.url}/unsigned/manifest.json`, "--dir", w.app, "--allow-unsigned"]);
    assert.equal(u.code, 1);
    assert.match(u.stderr, /carries deltas, which are used only when its signature vouches for its header/);
    assert.deepEqual(await snapshot(w.app), before);
  });
});
