/**
 * Resumable downloads: an interrupted transfer continues with HTTP Range.
 */

import assert from "node:assert/strict";
import { concat, type Fault, makePatch, runCli, serveDir, snapshot, tempDir, writeTree } from "../_helpers.ts";

function noise(kib: number): Uint8Array {
  return concat(
    Array.from(
      { length: Math.ceil(kib / 64) },
      () => crypto.getRandomValues(new Uint8Array(65_536)),
    ),
  );
}

async function setup(faults: Record<string, Fault>) {
  const [base, done] = await tempDir();
  await writeTree(`${base}/app`, { "big.bin": "old" });
  await Deno.mkdir(`${base}/srv`);
  const data = noise(1024);
  await makePatch(`${base}/srv`, [{ path: "big.bin", data }], {
    replace: { files: ["big.bin"] },
  });
  const server = serveDir(`${base}/srv`, faults);
  return {
    base,
    data,
    server,
    apply: (...more: string[]) =>
      runCli([
        "apply",
        `${server.url}/patch.json`,
        "--dir",
        `${base}/app`,
        "--allow-unsigned",
        ...more,
      ]),
    async cleanup() {
      await server.close();
      await done();
    },
  };
}

async function partSize(app: string): Promise<number> {
  const dir = await Deno.stat(`${app}/.patchops/downloads`).catch(() => undefined);
  if (dir === undefined) return 0;
  for await (const e of Deno.readDir(`${app}/.patchops/downloads`)) {
    if (e.name.endsWith(".part")) {
      return (await Deno.stat(`${app}/.patchops/downloads/${e.name}`)).size;
    }
  }
  return 0;
}

// Mutation caught: openBody() in src/apply/receive.ts not sending the Range header (the second
// request asks for the whole body).
Deno.test("apply resumes an interrupted download with a Range request", async () => {
  const s = await setup({
    "/patch.tar.gz": { kind: "drop", after: 400_000, times: 1 },
  });
  try {
    const first = await s.apply();
    assert.equal(first.code, 1);
    assert.match(first.stderr, /connection (closed|lost) after/);
    assert.equal(await Deno.readTextFile(`${s.base}/app/big.bin`), "old");
    const kept = await partSize(`${s.base}/app`);
    assert.ok(kept > 0 && kept <= 400_000, `partial download kept: ${kept}`);

    const second = await s.apply("--json");
    assert.equal(second.code, 0, second.stderr);
    // The kept bytes are named in every download event, so a rate is measured over this run's bytes only.
    const events = second.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const downloads = events.filter((e) => e.phase === "download");
    assert.ok(downloads.length > 0 && downloads.every((e) => e.resumable === kept), second.stdout);
    assert.equal(events.at(-1).resumedBytes, kept);
    const ranged = s.server.requests.filter((r) => r.path === "/patch.tar.gz")
      .at(-1)!;
    assert.equal(ranged.range, `bytes=${kept}-`);
    assert.deepEqual(await Deno.readFile(`${s.base}/app/big.bin`), s.data);
    assert.equal(
      await partSize(`${s.base}/app`),
      0,
      "partial removed after success",
    );
  } finally {
    await s.cleanup();
  }
});

// The same server (the same URL, so the partial download is found), which from the second
// request on ignores Range. An earlier version restarted the server on another port, so the
// partial download was never looked up and no Range request was ever made.
// Mutation caught: taking a 200 answer to a Range request as the rest of the body (hash mismatch).
Deno.test("apply downloads in full when the server ignores Range", async () => {
  const faults: Record<string, Fault> = { "/patch.tar.gz": { kind: "drop", after: 300_000, times: 1 } };
  const s = await setup(faults);
  try {
    assert.equal((await s.apply()).code, 1);
    const kept = await partSize(`${s.base}/app`);
    assert.ok(kept > 0, "a partial download is kept");
    faults["/patch.tar.gz"] = { kind: "no-range" };
    const r = await s.apply();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await Deno.readFile(`${s.base}/app/big.bin`), s.data);
    // It did ask to resume; the server answered 200 with the whole body, and that was taken whole.
    const asked = s.server.requests.filter((q) => q.path === "/patch.tar.gz");
    assert.deepEqual(asked.map((q) => q.range), [null, `bytes=${kept}-`]);
  } finally {
    await s.cleanup();
  }
});

// Mutation caught: the hash mismatch after a resume not retried from scratch (apply fails).
Deno.test("apply discards a partial download whose bytes no longer match and fetches again", async () => {
  const s = await setup({
    "/patch.tar.gz": { kind: "drop", after: 300_000, times: 1 },
  });
  try {
    assert.equal((await s.apply()).code, 1);
    const dir = `${s.base}/app/.patchops/downloads`;
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.endsWith(".part")) continue;
      const f = await Deno.open(`${dir}/${e.name}`, { write: true });
      await f.write(new Uint8Array(4096).fill(7));
      f.close();
    }
    const r = await s.apply();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await Deno.readFile(`${s.base}/app/big.bin`), s.data);
    const fetches = s.server.requests.filter((q) => q.path === "/patch.tar.gz");
    assert.equal(fetches.length, 3, "drop, resumed (bad), full");
    assert.equal(fetches[0]!.range, null);
    assert.match(fetches[1]!.range ?? "", /^bytes=[1-9][0-9]*-$/);
    assert.equal(fetches[2]!.range, null);
    assert.deepEqual(Object.keys(await snapshot(`${s.base}/app`)), ["big.bin"]);
  } finally {
    await s.cleanup();
  }
});
