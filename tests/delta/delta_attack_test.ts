/**
 * Attacks on the delta reader and on the installed file it reads. Network:
 * hand-made deltas at and past every documented bound (block length, bytes,
 * controls, runs, numbers), each refused with `DeltaInvalid` before it is
 * read or rebuilt; blocks exactly at the bounds accepted. Local: the old
 * file swapped for a symlink or FIFO, its directory for a symlink, the file
 * rewritten, truncated, grown or renamed while it is read. Manifest: a
 * remote `fallback` naming a local file, a fallback of a fallback, a
 * fallback's own operations.
 */

import assert from "node:assert/strict";
import * as nfs from "node:fs";
import { makeDelta } from "../../src/delta/diff.ts";
import { applyDelta, PAGED_FREE, PAGED_PER_BYTE } from "../../src/delta/patch.ts";
import { rebuildMember } from "../../src/delta/rebuild.ts";
import {
  BLOCK_BODY,
  BLOCK_BYTES,
  BLOCK_CONTROLS,
  BLOCK_RUNS,
  DELTA_MAGIC,
  pushVarint,
  zigzag,
} from "../../src/delta/format.ts";
import { openBaseFile } from "../../src/apply/_base_files.ts";
import { DirTree } from "../../src/apply/_dirs.ts";
import { parseManifest } from "../../src/manifest.ts";
import { chooseDeltas } from "../../src/create/deltas.ts";
import { scanTree } from "../../src/create/tree.ts";
import { PatchopsError } from "../../src/errors.ts";
import { memFile, random, run, sha256 } from "./_delta.ts";

const NO_HASH = "0".repeat(64);

/** Grows a byte buffer without spreading large arrays (which overflow the stack). */
class Bytes {
  buf = new Uint8Array(1024);
  len = 0;
  #ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(2 * this.buf.length, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  varint(v: number): void {
    const t: number[] = [];
    pushVarint(t, v);
    this.raw(t);
  }
  raw(b: ArrayLike<number>): void {
    this.#ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  fill(n: number, v: number): void {
    this.#ensure(n);
    this.buf.fill(v, this.len, this.len + n);
    this.len += n;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

interface Block {
  /** [diff, extra, seek] */
  controls: [number, number, number][];
  /** Runs [zeros, literal]; literal bytes are 1. */
  runs?: [number, number][];
  /** Overrides the run count written (to claim more runs than follow). */
  runCount?: number;
}

/** A raw PODELTA2 delta: each block behind its length; extra bytes are 0x41, literal diff bytes 1. */
function delta(blocks: Block[]): Uint8Array {
  const out = new Bytes();
  out.raw(DELTA_MAGIC);
  for (const b of blocks) {
    const body = new Bytes();
    body.varint(b.controls.length);
    for (const [d, e, s] of b.controls) {
      body.varint(d);
      body.varint(e);
      body.varint(zigzag(s));
    }
    const runs = b.runs ?? [];
    body.varint(b.runCount ?? runs.length);
    let literal = 0;
    for (const [z, l] of runs) {
      body.varint(z);
      body.varint(l);
      literal += l;
    }
    body.fill(literal, 1);
    for (const [, e] of b.controls) body.fill(e, 0x41);
    out.varint(body.len);
    out.raw(body.done());
  }
  out.varint(0);
  return out.done();
}

function assertCode(error: unknown, code: string, words: RegExp): void {
  assert.ok(error instanceof PatchopsError, `expected a refusal, got ${error}`);
  assert.equal(error.code, code);
  assert.match(error.message, words);
  assert.ok(!error.message.includes("\n"), "the error is one line");
}

Deno.test("a block longer than the bound is refused before its bytes are pulled", async () => {
  const head = new Bytes();
  head.raw(DELTA_MAGIC);
  head.varint(BLOCK_BODY + 1);
  // An endless delta: what follows the length would be pulled without end.
  let pulled = 0;
  let first = true;
  const pull = () => {
    if (first) {
      first = false;
      pulled += head.len;
      return Promise.resolve(head.done());
    }
    pulled += 1 << 16;
    return Promise.resolve(new Uint8Array(1 << 16));
  };
  let error: unknown;
  try {
    for await (const _ of applyDelta(pull, memFile(random(100, 1)), { size: 100, sha256: NO_HASH }, "bin/app")) {
      /* nothing */
    }
  } catch (e) {
    error = e;
  }
  assertCode(error, "DeltaInvalid", /block is longer than 33554432 bytes/);
  assert.equal(pulled, head.len);
});

Deno.test("a block of exactly the most bytes rebuilds; one byte more is refused", async () => {
  const old = random(16, 1);
  const want = new Uint8Array(BLOCK_BYTES).fill(0x41);
  const ok = await run(delta([{ controls: [[0, BLOCK_BYTES, 0]] }]), memFile(old), {
    size: BLOCK_BYTES,
    sha256: sha256(want),
  });
  assert.equal(ok.error, undefined);
  assert.equal(ok.out.length, BLOCK_BYTES);
  // One byte more, in diff bytes of a second control, the signed size allowing it.
  const over = await run(delta([{ controls: [[0, BLOCK_BYTES, 0], [1, 0, 0]] }]), memFile(old), {
    size: BLOCK_BYTES + 1,
    sha256: NO_HASH,
  });
  assertCode(over.error, "DeltaInvalid", /more than 8388608 bytes/);
});

Deno.test("a block of exactly the most controls rebuilds; one more is refused", async () => {
  const old = Uint8Array.from([7, 8, 9]);
  // Each control copies old[0] and seeks back to it.
  const controls = Array.from({ length: BLOCK_CONTROLS }, () => [1, 0, -1] as [number, number, number]);
  const want = new Uint8Array(BLOCK_CONTROLS).fill(7);
  const ok = await run(delta([{ controls }]), memFile(old), { size: want.length, sha256: sha256(want) });
  assert.equal(ok.error, undefined);
  assert.deepEqual(ok.out, want);
  controls.push([1, 0, -1]);
  const over = await run(delta([{ controls }]), memFile(old), { size: controls.length, sha256: NO_HASH });
  assertCode(over.error, "DeltaInvalid", /more than 262144 controls/);
});

Deno.test("a block of exactly the most runs rebuilds; a count of one more is refused before they are read", async () => {
  const old = new Uint8Array(BLOCK_RUNS);
  // Diff bytes all literal 1 over zeros: the result is all 1.
  const runs = Array.from({ length: BLOCK_RUNS }, () => [0, 1] as [number, number]);
  const want = new Uint8Array(BLOCK_RUNS).fill(1);
  const ok = await run(delta([{ controls: [[BLOCK_RUNS, 0, 0]], runs }]), memFile(old), {
    size: want.length,
    sha256: sha256(want),
  });
  assert.equal(ok.error, undefined);
  assert.deepEqual(ok.out, want);
  const over = await run(
    delta([{ controls: [[BLOCK_RUNS, 0, 0]], runs: [], runCount: BLOCK_RUNS + 1 }]),
    memFile(old),
    {
      size: want.length,
      sha256: NO_HASH,
    },
  );
  assertCode(over.error, "DeltaInvalid", /more than 2097152 runs/);
});

Deno.test("numbers past 2^53 or longer than 8 bytes are refused", async () => {
  for (
    const bytes of [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], [
      0x80,
      0x80,
      0x80,
      0x80,
      0x80,
      0x80,
      0x80,
      0x80,
      1,
    ]]
  ) {
    const d = new Bytes();
    d.raw(DELTA_MAGIC);
    d.raw(bytes);
    const r = await run(d.done(), memFile(random(10, 1)), { size: 10, sha256: NO_HASH });
    assertCode(r.error, "DeltaInvalid", /number out of range/);
  }
  // Inside a block: a seek past 2^53.
  const body = new Bytes();
  body.varint(1);
  body.varint(1);
  body.varint(0);
  body.raw([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  body.varint(0);
  const d = new Bytes();
  d.raw(DELTA_MAGIC);
  d.varint(body.len);
  d.raw(body.done());
  d.varint(0);
  const r = await run(d.done(), memFile(random(10, 1)), { size: 1, sha256: NO_HASH });
  assertCode(r.error, "DeltaInvalid", /number out of range/);
});

Deno.test("seeks far out and back cannot read outside the old file, nor at its last byte plus one", async () => {
  const old = random(1000, 3);
  // Out by 2^50, back by 2^50: in range again, and the bytes are the old ones.
  const back = await run(
    delta([{ controls: [[1, 0, 2 ** 50], [0, 0, -(2 ** 50) + 998], [1, 0, 0]] }]),
    memFile(old),
    { size: 2, sha256: sha256(Uint8Array.from([old[0]!, old[999]!])) },
  );
  assert.equal(back.error, undefined);
  assert.deepEqual([...back.out], [old[0], old[999]]);
  const past = await run(delta([{ controls: [[1, 0, 999], [1, 0, 0]] }]), memFile(old), { size: 2, sha256: NO_HASH });
  assertCode(past.error, "DeltaInvalid", /reads outside the old file/);
  // An empty old file: any diff byte reads outside it; extra bytes alone rebuild.
  const empty = await run(delta([{ controls: [[1, 0, 0]] }]), memFile(new Uint8Array(0)), { size: 1, sha256: NO_HASH });
  assertCode(empty.error, "DeltaInvalid", /reads outside the old file/);
  const extra = await run(delta([{ controls: [[0, 3, 0]] }]), memFile(new Uint8Array(0)), {
    size: 3,
    sha256: sha256(Uint8Array.from([0x41, 0x41, 0x41])),
  });
  assert.equal(extra.error, undefined);
  assert.deepEqual([...extra.out], [0x41, 0x41, 0x41]);
});

Deno.test("runs of diff bytes that end exactly at the last diff byte, across empty regions, rebuild", async () => {
  const old = Uint8Array.from([10, 20, 30, 40, 50, 60]);
  // Regions: out[0..2) from old[0..2), 1 extra, no diff bytes, 2 extra, out[5..8) from old[2..5).
  // Runs: 1 zero, 1 literal (out[1]), 2 zeros (out[5], out[6]), 1 literal (out[7]): 5 = every diff byte.
  const d = delta([{ controls: [[2, 1, 0], [0, 2, 0], [3, 0, 0]], runs: [[1, 1], [2, 1]] }]);
  const want = Uint8Array.from([10, 21, 0x41, 0x41, 0x41, 30, 40, 51]);
  const r = await run(d, memFile(old), { size: want.length, sha256: sha256(want) });
  assert.equal(r.error, undefined);
  assert.deepEqual([...r.out], [...want]);
  // One literal byte more is past the diff bytes.
  const over = await run(
    delta([{ controls: [[2, 1, 0], [0, 2, 0], [3, 0, 0]], runs: [[1, 1], [2, 2]] }]),
    memFile(old),
    {
      size: want.length,
      sha256: NO_HASH,
    },
  );
  assertCode(over.error, "DeltaInvalid", /go beyond what its controls declare/);
});

Deno.test("a zero-length result from any old file, and files of exactly 1 MiB and 8 MiB, rebuild exactly", async () => {
  const none = new Bytes();
  none.raw(DELTA_MAGIC);
  none.varint(0);
  const zero = await run(none.done(), memFile(random(5000, 1)), { size: 0, sha256: sha256(new Uint8Array(0)) });
  assert.equal(zero.error, undefined);
  assert.equal(zero.out.length, 0);
  for (const [n, seed] of [[1 << 20, 11], [(1 << 20) + 1, 12], [8 << 20, 13]] as [number, number][]) {
    const old = random(n, seed);
    const neu = Uint8Array.from(old);
    for (let i = 0; i < n; i += 4099) neu[i] = neu[i]! ^ 0x5a;
    neu[n - 1] = neu[n - 1]! ^ 1;
    const r = await run(makeDelta(old, neu), memFile(old), { size: n, sha256: sha256(neu) });
    assert.equal(r.error, undefined, `${n} bytes`);
    assert.ok(Buffer.from(r.out).equals(Buffer.from(neu)), `${n} bytes rebuilt differ`);
    // To and from an empty file.
    const toEmpty = await run(makeDelta(old, new Uint8Array(0)), memFile(old), {
      size: 0,
      sha256: sha256(new Uint8Array(0)),
    });
    assert.equal(toEmpty.error, undefined);
    assert.equal(toEmpty.out.length, 0);
  }
  const fromEmpty = random(3000, 9);
  const r = await run(makeDelta(new Uint8Array(0), fromEmpty), memFile(new Uint8Array(0)), {
    size: fromEmpty.length,
    sha256: sha256(fromEmpty),
  });
  assert.equal(r.error, undefined);
  assert.deepEqual(r.out, fromEmpty);
});

Deno.test("one-byte controls that each seek to a page not kept are refused before they read 64 KiB per byte", async () => {
  // Before the bound: 262,144 reads of 64 KiB (16 GiB, seconds) for this block of 256 KiB, from a package of kilobytes.
  const PAGE = 64 << 10;
  const pagesCycled = 200;
  const old = random(pagesCycled * PAGE, 4);
  const controls: [number, number, number][] = [];
  let pos = 0;
  for (let i = 0; i < BLOCK_CONTROLS; i++) {
    const next = ((i + 1) % pagesCycled) * PAGE;
    controls.push([1, 0, next - (pos + 1)]);
    pos = next;
  }
  const counter = { reads: 0 };
  const r = await run(delta([{ controls }]), memFile(old, counter), { size: BLOCK_CONTROLS, sha256: NO_HASH });
  assertCode(r.error, "DeltaInvalid", /reads the old file more than 32 times over the bytes it gives/);
  assert.ok(
    counter.reads * PAGE <= PAGED_FREE + PAGED_PER_BYTE * BLOCK_CONTROLS,
    `${counter.reads} pages read for ${BLOCK_CONTROLS} bytes`,
  );
  // The same pages read in order, one control per page: within the bound, rebuilt.
  const inOrder: [number, number, number][] = Array.from({ length: pagesCycled }, () => [1, 0, PAGE - 1]);
  const want = Uint8Array.from({ length: pagesCycled }, (_, i) => old[i * PAGE]!);
  const ok = await run(delta([{ controls: inOrder }]), memFile(old), { size: want.length, sha256: sha256(want) });
  assert.equal(ok.error, undefined);
  assert.deepEqual(ok.out, want);
});

/** A delta that reads 4 KiB from the start of each of `pages` pages of 64 KiB in turn, `rounds` times over. */
function cycling(old: Uint8Array, pages: number, rounds: number): { delta: Uint8Array; want: Uint8Array } {
  const PAGE = 64 << 10, PIECE = 4096;
  const blocks: Block[] = [];
  const want = new Uint8Array(pages * rounds * PIECE);
  let pos = 0;
  for (let i = 0; i < pages * rounds; i++) {
    if (i % 256 === 0) blocks.push({ controls: [] });
    const page = i % pages, next = ((i + 1) % pages) * PAGE;
    want.set(old.subarray(page * PAGE, page * PAGE + PIECE), i * PIECE);
    blocks.at(-1)!.controls.push([PIECE, 0, next - (pos + PIECE)]);
    pos = next;
  }
  return { delta: delta(blocks), want };
}

Deno.test("the reader keeps more than 2 MiB of old pages only once reading them again has cost as much", async () => {
  const PAGE = 64 << 10;
  const old = random(64 * PAGE, 12);
  // 40 pages in turn, 10 times: every read misses 32 pages, but 352 reads again do not pay for 32 fresh pages.
  const few = cycling(old, 40, 10);
  const a = { reads: 0 };
  const r1 = await run(few.delta, memFile(old, a), { size: few.want.length, sha256: sha256(few.want) });
  assert.equal(r1.error, undefined);
  assert.deepEqual(r1.out, few.want);
  assert.equal(a.reads, 400, "the pages grew past 32 for few reads again");
  // 40 pages in turn, 100 times: after 32 x 32 reads again the pool grows to 64 pages, and the rest hit.
  const many = cycling(old, 40, 100);
  const b = { reads: 0 };
  const r2 = await run(many.delta, memFile(old, b), { size: many.want.length, sha256: sha256(many.want) });
  assert.equal(r2.error, undefined);
  assert.deepEqual(r2.out, many.want);
  assert.ok(b.reads < 1200, `${b.reads} pages read for 4,000 pieces of 40 pages (all miss with 32 kept)`);
});

Deno.test("create ships whole a file whose delta the reader would refuse for its page reads", async () => {
  // A new file of short pieces from all over a 12 MiB old one: a delta the writer makes, read 64 KiB per piece.
  const old = random(12 << 20, 7);
  const pieces = (size: number) => {
    const neu = new Uint8Array(256 << 10);
    for (let i = 0; i < neu.length / size; i++) {
      const at = ((i * 2654435761) >>> 0) % (old.length - size);
      neu.set(old.subarray(at, at + size), i * size);
    }
    return neu;
  };
  const short = pieces(64), long = pieces(1024);
  const refused = await run(makeDelta(old, short), memFile(old), { size: short.length, sha256: sha256(short) });
  assertCode(refused.error, "DeltaInvalid", /reads the old file more than 32 times/);
  const base = Deno.makeTempDirSync({ prefix: "delta-create-" });
  try {
    for (const side of ["from", "to"]) Deno.mkdirSync(`${base}/${side}`);
    for (const name of ["short.bin", "long.bin"]) Deno.writeFileSync(`${base}/from/${name}`, old);
    Deno.writeFileSync(`${base}/to/short.bin`, short);
    Deno.writeFileSync(`${base}/to/long.bin`, long);
    const chosen = await chooseDeltas(await scanTree(`${base}/from`), await scanTree(`${base}/to`), [
      "short.bin",
      "long.bin",
    ]);
    assert.deepEqual([...chosen.keys()], ["long.bin"]);
    const r = await run(chosen.get("long.bin")!.bytes, memFile(old), { size: long.length, sha256: sha256(long) });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.out, long);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});

// ---- The local attacker: the installed old file, through the real opener.

interface Tree {
  root: string;
  outside: string;
  dir: string;
  tree: DirTree;
  old: Uint8Array;
  neu: Uint8Array;
  delta: Uint8Array;
  entry: { old_sha256: string; old_size: number; sha256: string; size: number };
}

/** An install dir with `bin/app` (3 MiB, so its delta has several blocks) and a directory outside it. */
function setup(): Tree {
  const base = Deno.makeTempDirSync({ prefix: "delta-attack-" });
  const root = `${base}/install`;
  const outside = `${base}/outside`;
  Deno.mkdirSync(`${root}/bin`, { recursive: true });
  Deno.mkdirSync(outside);
  const old = random(3 << 20, 21);
  const neu = Uint8Array.from(old);
  for (let i = 0; i < neu.length; i += 10007) neu[i] = neu[i]! + 1;
  Deno.writeFileSync(`${root}/bin/app`, old);
  Deno.writeFileSync(`${outside}/app`, old);
  const entry = { old_sha256: sha256(old), old_size: old.length, sha256: sha256(neu), size: neu.length };
  return { root, outside, dir: base, tree: new DirTree(root), old, neu, delta: makeDelta(old, neu), entry };
}

function cleanup(t: Tree): void {
  t.tree.close();
  Deno.removeSync(t.dir, { recursive: true });
}

/** Every file below `dir` with its bytes' hash (symlinks as their target). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(`${dir}/${rel}`)) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      const st = Deno.lstatSync(`${dir}/${p}`);
      if (st.isSymlink) out.set(p, `-> ${Deno.readLinkSync(`${dir}/${p}`)}`);
      else if (st.isDirectory) {
        out.set(p, "dir");
        walk(p);
      } else if (st.isFile) out.set(p, sha256(Deno.readFileSync(`${dir}/${p}`)));
      else out.set(p, "special");
    }
  };
  walk("");
  return out;
}

/** Rebuilds bin/app; `during` runs after the first block was given (the hash checked, reads under way). */
async function rebuild(t: Tree, during?: () => void): Promise<{ out: Uint8Array; error: unknown }> {
  const parts: Uint8Array[] = [];
  const body = (async function* () {
    for (let i = 0; i < t.delta.length; i += 1 << 16) yield t.delta.subarray(i, i + (1 << 16));
  })();
  try {
    let first = true;
    for await (const p of rebuildMember("bin/app", body, t.entry, (rel) => openBaseFile(t.tree, rel))) {
      parts.push(p.slice());
      if (first) during?.();
      first = false;
    }
  } catch (error) {
    return { out: new Uint8Array(0), error };
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { out, error: undefined };
}

Deno.test("the old file as it is rebuilds; its delta has several blocks", async () => {
  const t = setup();
  try {
    const r = await rebuild(t);
    assert.equal(r.error, undefined);
    assert.ok(Buffer.from(r.out).equals(Buffer.from(t.neu)));
  } finally {
    cleanup(t);
  }
});

Deno.test("the old file swapped for a symlink to an identical file outside is refused, nothing changes", async () => {
  const t = setup();
  try {
    Deno.removeSync(`${t.root}/bin/app`);
    Deno.symlinkSync(`${t.outside}/app`, `${t.root}/bin/app`);
    const before = [snapshot(t.root), snapshot(t.outside)];
    const r = await rebuild(t);
    assertCode(r.error, "DeltaBaseMismatch", /"bin\/app".*symbolic link/);
    assert.deepEqual([snapshot(t.root), snapshot(t.outside)], before);
  } finally {
    cleanup(t);
  }
});

Deno.test("the old file's directory swapped for a symlink to a directory outside is refused", async () => {
  const t = setup();
  try {
    Deno.removeSync(`${t.root}/bin`, { recursive: true });
    Deno.symlinkSync(t.outside, `${t.root}/bin`);
    const before = [snapshot(t.root), snapshot(t.outside)];
    const r = await rebuild(t);
    assertCode(r.error, "DeltaBaseMismatch", /"bin\/app".*cannot be reached safely/);
    assert.deepEqual([snapshot(t.root), snapshot(t.outside)], before);
  } finally {
    cleanup(t);
  }
});

Deno.test("a FIFO or a directory at the old file's path is refused at once (no hang on the FIFO)", async () => {
  const t = setup();
  try {
    Deno.removeSync(`${t.root}/bin/app`);
    const mk = new Deno.Command("mkfifo", { args: [`${t.root}/bin/app`] }).outputSync();
    assert.ok(mk.success);
    const r = await rebuild(t);
    assertCode(r.error, "DeltaBaseMismatch", /"bin\/app".*not a regular file/);
    assert.ok(Deno.lstatSync(`${t.root}/bin/app`).isFifo);
    Deno.removeSync(`${t.root}/bin/app`);
    Deno.mkdirSync(`${t.root}/bin/app`);
    const d = await rebuild(t);
    assertCode(d.error, "DeltaBaseMismatch", /"bin\/app".*not a regular file/);
  } finally {
    cleanup(t);
  }
});

Deno.test("the old file rewritten in place while it is rebuilt is refused as changed locally, naming it", async () => {
  const t = setup();
  try {
    const r = await rebuild(t, () => Deno.writeFileSync(`${t.root}/bin/app`, random(t.old.length, 99)));
    assertCode(r.error, "DeltaBaseMismatch", /"bin\/app".*changed locally/);
    // What went wrong in the rebuild stays as the cause.
    const cause = (r.error as Error).cause;
    assert.ok(cause instanceof PatchopsError && cause.code === "DeltaInvalid", `cause: ${cause}`);
    assert.match(cause.message, /does not match its signed SHA-256/);
  } finally {
    cleanup(t);
  }
});

Deno.test("the old file truncated while it is rebuilt is refused as changed locally (it shrank)", async () => {
  const t = setup();
  try {
    const r = await rebuild(t, () => nfs.truncateSync(`${t.root}/bin/app`, 1 << 20));
    assertCode(r.error, "DeltaBaseMismatch", /"bin\/app".*changed locally/);
    assert.match(String((r.error as Error).cause), /shrank/);
  } finally {
    cleanup(t);
  }
});

Deno.test("a delta whose result is wrong on the unchanged old file is refused as invalid, not as a local change", async () => {
  const t = setup();
  try {
    t.entry = { ...t.entry, sha256: NO_HASH };
    const before = snapshot(t.root);
    const r = await rebuild(t);
    assertCode(r.error, "DeltaInvalid", /"bin\/app".*does not match its signed SHA-256/);
    assert.deepEqual(snapshot(t.root), before);
  } finally {
    cleanup(t);
  }
});

Deno.test("a local change in bytes the delta does not read gives the signed result (its hash is what is checked)", async () => {
  const t = setup();
  try {
    // The new file keeps the old file's first MiB (edited) and drops the rest: the delta reads no byte past it.
    const neu = new Uint8Array(2 << 20);
    neu.set(t.old.subarray(0, 1 << 20));
    for (let i = 0; i < 1 << 20; i += 4099) neu[i] = neu[i]! ^ 1;
    neu.set(random(1 << 20, 33), 1 << 20);
    t.delta = makeDelta(t.old, neu);
    t.entry = { ...t.entry, sha256: sha256(neu), size: neu.length };
    const changed = Uint8Array.from(t.old);
    changed[changed.length - 1] = changed[changed.length - 1]! ^ 0xff;
    Deno.writeFileSync(`${t.root}/bin/app`, changed);
    const r = await rebuild(t);
    assert.equal(r.error, undefined);
    assert.ok(Buffer.from(r.out).equals(Buffer.from(neu)));
  } finally {
    cleanup(t);
  }
});

Deno.test("the old file grown or renamed away and replaced after it was opened: the checked bytes are read", async () => {
  const t = setup();
  try {
    const grown = await rebuild(t, () => nfs.appendFileSync(`${t.root}/bin/app`, random(1 << 20, 5)));
    assert.equal(grown.error, undefined);
    assert.ok(Buffer.from(grown.out).equals(Buffer.from(t.neu)));
    Deno.writeFileSync(`${t.root}/bin/app`, t.old);
    const swapped = await rebuild(t, () => {
      Deno.renameSync(`${t.root}/bin/app`, `${t.root}/bin/app.moved`);
      Deno.writeFileSync(`${t.root}/bin/app`, random(t.old.length, 77));
    });
    assert.equal(swapped.error, undefined);
    assert.ok(Buffer.from(swapped.out).equals(Buffer.from(t.neu)));
  } finally {
    cleanup(t);
  }
});

Deno.test("the old file grown to 64 GiB after its open is read, and hashed when the rebuild fails, only up to its size", async () => {
  const t = setup();
  try {
    let grownTo = 0;
    let read = 0;
    // The local user's `truncate -s 64G` right after the size was taken (a sparse file: no disk used).
    const open = (rel: string) => {
      const base = openBaseFile(t.tree, rel);
      nfs.truncateSync(`${t.root}/bin/app`, 64 * 2 ** 30);
      grownTo = Deno.statSync(`${t.root}/bin/app`).size;
      return {
        ...base,
        read: (buf: Uint8Array, pos: number) => {
          read += buf.length;
          // Read to its end, 64 GiB of zeros would take minutes: stop well before.
          if (read > 1 << 30) throw new Error("the old file is read past its signed size");
          return base.read(buf, pos);
        },
      };
    };
    const body = () =>
      (async function* () {
        yield t.delta;
      })();
    const parts: Uint8Array[] = [];
    for await (const p of rebuildMember("bin/app", body(), t.entry, open)) parts.push(p.slice());
    assert.equal(grownTo, 64 * 2 ** 30);
    assert.ok(Buffer.from(Buffer.concat(parts)).equals(Buffer.from(t.neu)));
    // A result that is not the signed one: the old file is hashed to tell why, its first 3 MiB only
    // (they match, so the delta is the culprit; hashed to its end, it would be called changed).
    Deno.writeFileSync(`${t.root}/bin/app`, t.old);
    read = 0;
    await assert.rejects(
      async () => {
        for await (const _ of rebuildMember("bin/app", body(), { ...t.entry, sha256: NO_HASH }, open)) { /* nothing */ }
      },
      (e: unknown) => e instanceof PatchopsError && e.code === "DeltaInvalid" && /"bin\/app"/.test(e.message),
    );
    assert.ok(read < 1 << 30, `read ${read} bytes`);
  } finally {
    cleanup(t);
  }
});

// ---- The manifest's fallback.

const HASH = `sha256:${"ab".repeat(32)}`;
const OPS = { replace: { files: ["bin/app"] } };

Deno.test("a remote manifest's fallback may not name a local file, nor have a fallback of its own", () => {
  const remote = new URL("http://127.0.0.1:9/m.json");
  const local = (fallback: unknown) => () =>
    parseManifest({ url: "p.tar.gz", hash: HASH, operations: OPS, fallback }, remote);
  assert.throws(
    local({ url: "file:///etc/passwd", hash: HASH }),
    (e: unknown) =>
      e instanceof PatchopsError && e.code === "ManifestInvalid" && /fallback\.url.*local file/.test(e.message),
  );
  assert.throws(
    local({ url: "full.tar.gz", hash: HASH, fallback: { url: "x.tar.gz", hash: HASH } }),
    (e: unknown) => e instanceof PatchopsError && /may not have a fallback/.test(e.message),
  );
  const ok = parseManifest({
    url: "p.tar.gz",
    hash: HASH,
    operations: OPS,
    fallback: { url: "full.tar.gz", hash: HASH, operations: { delete: { files: ["etc/passwd"] } } },
  }, remote);
  assert.equal(ok.fallback?.url.href, "http://127.0.0.1:9/full.tar.gz");
  // The fallback's own operations are not taken: only the ones shown (the manifest's) exist.
  assert.equal("operations" in ok.fallback!, false);
  assert.deepEqual(ok.operations.deleteFiles, []);
});
