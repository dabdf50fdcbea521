/**
 * The delta format alone: round trips (random, structured, empty and tiny
 * files; real executables edited), and hostile deltas refused while they
 * stream, before they give more than the signed size.
 */

import assert from "node:assert/strict";
import zlib from "node:zlib";
import { makeDelta } from "../../src/delta/diff.ts";
import { rebuildMember } from "../../src/delta/rebuild.ts";
import { DELTA_MAGIC, pushVarint, unzigzag, zigzag } from "../../src/delta/format.ts";
import { PatchopsError } from "../../src/errors.ts";
import { memFile, random, run as runDelta, sha256 } from "./_delta.ts";

/** The reader over `delta` in parts of 1,000 bytes, `old` in memory. */
const run = (delta: Uint8Array, old: Uint8Array, result: { size: number; sha256: string }) =>
  runDelta(delta, memFile(old), result, { shown: "x", chunk: 1000 });

/** Rebuilds `neu` from `old` through a delta; returns the delta's size as the package would carry it (zstd). */
async function roundTrip(old: Uint8Array, neu: Uint8Array): Promise<number> {
  const d = makeDelta(old, neu);
  const r = await run(d, old, { size: neu.length, sha256: sha256(neu) });
  assert.equal(r.error, undefined);
  assert.equal(r.out.length, neu.length);
  assert.ok(Buffer.from(r.out).equals(Buffer.from(neu)), "rebuilt bytes differ");
  return zlib.zstdCompressSync(d).length;
}

/** An edited copy: bytes changed here and there (as addresses change), a run inserted, a run cut. */
function edit(old: Uint8Array, seed: number): Uint8Array {
  const out = Uint8Array.from(old);
  const r = random(64, seed);
  for (let i = 0; i < 32; i++) {
    const at = ((r[i]! << 8) | r[i + 32]!) * 97 % out.length;
    out[at] = out[at]! + 1;
  }
  const cut = Math.floor(out.length / 3);
  return new Uint8Array([
    ...out.subarray(0, cut),
    ...random(5000, seed + 1),
    ...out.subarray(cut + 3000, out.length),
  ]);
}

Deno.test("a delta rebuilds random data, a real executable edited, empty and tiny files exactly", async () => {
  const rnd = random(300_000, 7);
  const small = await roundTrip(rnd, edit(rnd, 3));
  assert.ok(small < 20_000, `delta of a lightly edited random file is ${small} bytes`);
  const exe = await Deno.readFile(Deno.execPath().includes("deno") ? "/bin/ls" : Deno.execPath());
  assert.ok((await roundTrip(exe, edit(exe, 9))) < exe.length / 4);
  await roundTrip(new Uint8Array(0), new Uint8Array(0));
  await roundTrip(new Uint8Array(0), random(10, 1));
  await roundTrip(random(10, 1), new Uint8Array(0));
  await roundTrip(random(1, 2), random(1, 3));
  await roundTrip(rnd, rnd);
  await roundTrip(rnd, random(200_000, 99));
  const text = new TextEncoder().encode("function f(a) { return a + 1; }\n".repeat(20_000));
  const text2 = new TextEncoder().encode(
    "function f(a) { return a + 1; }\n".repeat(10_000) + "// new\n" +
      "function f(a) { return a + 2; }\n".repeat(10_000),
  );
  assert.ok((await roundTrip(text, text2)) < 1000);
});

Deno.test("a delta over 8 MiB of new bytes is split into blocks the reader accepts", async () => {
  const neu = random(9 << 20, 5);
  await roundTrip(random(1000, 4), neu);
});

/** Sparse diff bytes of one block: runs of [zeros, literal length], then the literal bytes. */
interface Runs {
  runs: [number, number][];
  literal: number[];
}

/**
 * A raw delta from hand-written controls: [diff, extra, seek], `fill` extra
 * bytes, and per block its runs of diff bytes (none: every diff byte zero);
 * each block behind its length.
 */
function handMade(blocks: [number, number, number][][], fill = 0x41, runs: Runs[] = []): Uint8Array {
  const parts: number[] = [...DELTA_MAGIC];
  blocks.forEach((controls, b) => {
    const block: number[] = [];
    pushVarint(block, controls.length);
    for (const [d, e, s] of controls) {
      pushVarint(block, d);
      pushVarint(block, e);
      pushVarint(block, zigzag(s));
    }
    const sparse = runs[b] ?? { runs: [], literal: [] };
    pushVarint(block, sparse.runs.length);
    for (const [z, l] of sparse.runs) {
      pushVarint(block, z);
      pushVarint(block, l);
    }
    block.push(...sparse.literal);
    for (const [, e] of controls) block.push(...new Array(e).fill(fill));
    pushVarint(parts, block.length);
    parts.push(...block);
  });
  parts.push(0);
  return new Uint8Array(parts);
}

function assertDeltaInvalid(error: unknown, words: RegExp): void {
  assert.ok(error instanceof PatchopsError, `expected a refusal, got ${error}`);
  assert.equal(error.code, "DeltaInvalid");
  assert.match(error.message, words);
}

Deno.test("a delta that claims more than the signed size is refused before it gives more", async () => {
  const old = random(1000, 1);
  // Two blocks: the first fits the signed 1000 bytes, the second would go beyond them.
  const d = handMade([[[500, 0, 0]], [[500, 600, 0]]]);
  const r = await run(d, old, { size: 1000, sha256: "0".repeat(64) });
  assertDeltaInvalid(r.error, /more than the signed 1000 bytes/);
  assert.equal(r.given, 500);
});

Deno.test("a delta that reads outside the old file is refused", async () => {
  const old = random(1000, 1);
  const past = await run(handMade([[[10, 0, 995], [10, 0, 0]]]), old, { size: 20, sha256: "0".repeat(64) });
  assertDeltaInvalid(past.error, /reads outside the old file/);
  const before = await run(handMade([[[10, 0, -20], [10, 0, 0]]]), old, { size: 20, sha256: "0".repeat(64) });
  assertDeltaInvalid(before.error, /reads outside the old file/);
});

Deno.test("literal diff bytes are added across the controls' diff regions, past the extra bytes", async () => {
  const old = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80]);
  // Diff regions: out[0..3) from old[0..3), then 2 extra bytes, then out[5..9) from old[3..7).
  // One run: skip 1 diff byte, then 5 literal ones: out[1], out[2], out[5], out[6], out[7].
  const d = handMade([[[3, 2, 0], [4, 0, 0]]], 0x41, [{ runs: [[1, 5]], literal: [1, 2, 3, 4, 5] }]);
  const want = Uint8Array.from([10, 21, 32, 0x41, 0x41, 43, 54, 65, 70]);
  const r = await run(d, old, { size: want.length, sha256: sha256(want) });
  assert.equal(r.error, undefined);
  assert.deepEqual([...r.out], [...want]);
});

Deno.test("runs of diff bytes beyond the declared diff bytes, or empty, are refused", async () => {
  const old = random(100, 1);
  const over = await run(handMade([[[4, 0, 0]]], 0x41, [{ runs: [[2, 3]], literal: [1, 1, 1] }]), old, {
    size: 4,
    sha256: "0".repeat(64),
  });
  assertDeltaInvalid(over.error, /diff bytes go beyond what its controls declare/);
  const empty = await run(handMade([[[4, 0, 0]]], 0x41, [{ runs: [[1, 0]], literal: [] }]), old, {
    size: 4,
    sha256: "0".repeat(64),
  });
  assertDeltaInvalid(empty.error, /run of diff bytes is empty/);
});

Deno.test("a delta of empty controls (unbounded work) is refused", async () => {
  const controls: [number, number, number][] = Array.from({ length: 1000 }, () => [0, 0, 1]);
  const r = await run(handMade([controls]), random(10, 1), { size: 0, sha256: sha256(new Uint8Array(0)) });
  assertDeltaInvalid(r.error, /more controls than bytes/);
});

Deno.test("a delta whose result is not the signed one, or that is cut short, is refused", async () => {
  const old = random(100_000, 1);
  const neu = edit(old, 2);
  const d = makeDelta(old, neu);
  const wrong = await run(d, old, { size: neu.length, sha256: sha256(old) });
  assertDeltaInvalid(wrong.error, /does not match its signed SHA-256/);
  const shortSize = await run(d, old, { size: neu.length + 1, sha256: sha256(neu) });
  assertDeltaInvalid(shortSize.error, /gives \d+ bytes, not the signed/);
  const cut = await run(d.subarray(0, d.length - 10), old, { size: neu.length, sha256: sha256(neu) });
  assertDeltaInvalid(cut.error, /./);
  const notDelta = await run(new Uint8Array(zlib.zstdCompressSync(neu)), old, {
    size: neu.length,
    sha256: sha256(neu),
  });
  assertDeltaInvalid(notDelta.error, /not a patchops delta/);
});

Deno.test("an installed file of another size than signed is refused without a byte of it read", async () => {
  const old = random(100_000, 1);
  const neu = edit(old, 2);
  const delta = makeDelta(old, neu);
  const entry = { old_sha256: sha256(old), old_size: old.length, sha256: sha256(neu), size: neu.length };
  let reads = 0;
  // A local file grown to a terabyte: hashing it would take hours.
  const grown = () => ({
    size: 1 << 40,
    read: () => {
      reads++;
      throw new Error("read");
    },
    close: () => {},
  });
  const body = (async function* () {
    yield delta;
  })();
  await assert.rejects(
    async () => {
      for await (const _ of rebuildMember("bin/tool", body, entry, grown)) { /* nothing */ }
    },
    (e: unknown) => e instanceof PatchopsError && e.code === "DeltaBaseMismatch" && /"bin\/tool"/.test(e.message),
  );
  assert.equal(reads, 0);
  // The same file as signed rebuilds.
  const parts: Uint8Array[] = [];
  const same = () => ({ ...memFile(old), close: () => {} });
  for await (
    const p of rebuildMember(
      "bin/tool",
      (async function* () {
        yield delta;
      })(),
      entry,
      same,
    )
  ) parts.push(p.slice());
  assert.equal(sha256(new Uint8Array(parts.flatMap((p) => [...p]))), entry.sha256);
});

/** The controls ([diff, extra, seek]) of a delta's blocks, read as the format says. */
function controlsOf(d: Uint8Array): [number, number, number][] {
  let at = DELTA_MAGIC.length;
  const varint = () => {
    let v = 0;
    for (let mul = 1;; mul *= 0x80) {
      const b = d[at++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
    }
  };
  const out: [number, number, number][] = [];
  for (let length = varint(); length > 0; length = varint()) {
    const end = at + length;
    const count = varint();
    for (let i = 0; i < count; i++) out.push([varint(), varint(), unzigzag(varint())]);
    at = end;
  }
  return out;
}

Deno.test("a short match whose seek costs more than it saves is left as new bytes; a longer one is copied", async () => {
  const old = random(200_000, 11);
  // `n` bytes from 20,000 bytes back (a seek of three varint bytes) inserted at 100,000.
  const withPiece = (n: number) =>
    new Uint8Array([...old.subarray(0, 100_000), ...old.subarray(80_000, 80_000 + n), ...old.subarray(100_000)]);
  for (const [n, extra] of [[12, 12], [24, 0]] as const) {
    const neu = withPiece(n);
    const d = makeDelta(old, neu);
    const controls = controlsOf(d);
    assert.equal(controls.reduce((s, [, e]) => s + e, 0), extra, `a piece of ${n}: ${JSON.stringify(controls)}`);
    // The copied piece is read from where it lies in the old file.
    if (extra === 0) assert.ok(controls.some(([, , s]) => s === -20_000), JSON.stringify(controls));
    const r = await run(d, old, { size: neu.length, sha256: sha256(neu) });
    assert.equal(r.error, undefined);
    assert.ok(Buffer.from(r.out).equals(Buffer.from(neu)));
  }
});
