/**
 * The staging stage held to a signed header: nothing is staged before the
 * header passes, and no member may go beyond its totals.
 *
 * Mutations caught: `takeHeader` skipped (the 64 MiB member was written);
 * the `count()` call before writing removed (same); the final totals
 * comparison removed ("fewer members than counted" staged without error);
 * the unpacked-byte budget's check scaled by 1e6 (the three "stops
 * unpacking" tests read the whole GiB: zeros after the end marker, a
 * directory's claimed data, a volume label before the header).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { PRE_HEADER_BUDGET, stageArchive } from "../../src/archive/stage.ts";
import { PatchopsError } from "../../src/errors.ts";
import { type HeaderLimits, OPERATIONS_MEMBER } from "../../src/signed_ops.ts";
import { buildTar, encodeHeader, type Member, tempDir } from "../_helpers.ts";

const TOTALS = { entries: 2, files: 1, bytes: 5 };

function header(totals = TOTALS): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format: 2, totals }));
}

function pullOf(bytes: Uint8Array) {
  let sent = false;
  return () => {
    if (sent) return Promise.resolve(undefined);
    sent = true;
    return Promise.resolve(bytes);
  };
}

async function stage(members: Member[], signedHeader = header()) {
  const [dir, done] = await tempDir();
  const root = `${dir}/staging`;
  await Deno.mkdir(root);
  const expected = {
    sha256: createHash("sha256").update(signedHeader).digest("hex"),
    check: (bytes: Uint8Array): HeaderLimits => ({
      totals: JSON.parse(new TextDecoder().decode(bytes)).totals,
      arch: null,
    }),
  };
  try {
    const tree = await stageArchive(pullOf(buildTar(members)), root, {
      capture: new Set([OPERATIONS_MEMBER]),
      header: expected,
    });
    return { tree, files: [...Deno.readDirSync(root)].map((e) => e.name).sort(), error: undefined };
  } catch (error) {
    return { tree: undefined, files: [...Deno.readDirSync(root)].map((e) => e.name).sort(), error };
  } finally {
    await done();
  }
}

const good: Member[] = [
  { path: OPERATIONS_MEMBER, data: header() },
  { path: "lib", type: "directory" },
  { path: "lib/a.txt", data: "hello" },
];

Deno.test("stageArchive() stages an archive that matches its signed header", async () => {
  const r = await stage(good);
  assert.equal(r.error, undefined);
  assert.deepEqual(r.files, ["lib"]);
  assert.equal(r.tree?.files, 1);
});

Deno.test("stageArchive() refuses an archive that does not open with the signed header, before staging anything", async () => {
  const r = await stage([{ path: "lib/a.txt", data: "hello" }, ...good]);
  assert.ok(r.error instanceof PatchopsError && r.error.code === "OperationsMismatch", String(r.error));
  assert.match((r.error as Error).message, /opens with "lib\/a\.txt", not with the signed header/);
  assert.deepEqual(r.files, []);
});

Deno.test("stageArchive() refuses a header other than the signed one", async () => {
  const forged = header({ entries: 99, files: 99, bytes: 1 << 30 });
  const r = await stage([{ path: OPERATIONS_MEMBER, data: forged }, ...good.slice(1)], header());
  assert.match(String(r.error), /is not the header the signature vouches for/);
  assert.deepEqual(r.files, []);
});

Deno.test("stageArchive() refuses a member beyond the signed byte total before writing it", async () => {
  const r = await stage([good[0]!, good[1]!, { path: "lib/a.txt", data: new Uint8Array(64 << 20) }]);
  assert.match(String(r.error), /member "lib\/a\.txt" goes beyond the 1 files of 5 bytes the signed header counts/);
  assert.deepEqual(r.files, ["lib"], "the oversized member was never created");
});

Deno.test("stageArchive() refuses more members than counted, and fewer", async () => {
  const more = await stage([...good, { path: "lib/b", type: "directory" }]);
  assert.match(String(more.error), /member "lib\/b\/" is one more member than the 2 the signed header counts/);
  const fewer = await stage(good.slice(0, 2));
  assert.match(String(fewer.error), /holds 1 members \(0 files, 0 bytes\), but its signed header counts 2/);
});

Deno.test("stageArchive() refuses a second header member", async () => {
  const r = await stage([...good.slice(0, 2), { path: OPERATIONS_MEMBER, data: header() }]);
  assert.match(String(r.error), /appears twice/);
});

/**
 * The unpacked stream: `tar` (copied), then zero bytes until `total`,
 * handed out 1 MiB at a time as the inflater would; counts what was pulled.
 */
function tarThenZeros(tar: Uint8Array, total: number) {
  const zeros = new Uint8Array(1 << 20);
  const state = { pulled: 0 };
  let sent = false;
  const pull = () => {
    if (!sent) {
      sent = true;
      state.pulled += tar.length;
      return Promise.resolve(tar.slice());
    }
    if (state.pulled >= total) return Promise.resolve(undefined);
    const n = Math.min(zeros.length, total - state.pulled);
    state.pulled += n;
    return Promise.resolve(zeros.subarray(0, n));
  };
  return { pull, state };
}

async function stageStream(pull: () => Promise<Uint8Array | undefined>) {
  const [dir, done] = await tempDir();
  const root = `${dir}/staging`;
  await Deno.mkdir(root);
  try {
    await stageArchive(pull, root, {
      capture: new Set([OPERATIONS_MEMBER]),
      header: {
        sha256: createHash("sha256").update(header()).digest("hex"),
        check: (bytes: Uint8Array): HeaderLimits => ({
          totals: JSON.parse(new TextDecoder().decode(bytes)).totals,
          arch: null,
        }),
      },
    });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await done();
  }
}

const GIB = 1 << 30;

Deno.test("stageArchive() stops unpacking zeros after the end-of-archive marker at the signed header's budget", async () => {
  // A genuine archive, then what zstd makes of 32 KiB: a GiB of zeros, which the reader drains.
  const { pull, state } = tarThenZeros(buildTar(good), GIB);
  const error = await stageStream(pull);
  assert.ok(error instanceof PatchopsError && error.code === "ArchiveCorrupt", String(error));
  assert.match(error.message, /unpacks to more than the \d+ bytes its signed header accounts for/);
  assert.ok(state.pulled < 32 << 20, `${state.pulled} bytes unpacked`);
});

Deno.test("stageArchive() stops unpacking the data a directory header claims at the signed header's budget", async () => {
  const dir = encodeHeader({ name: "lib/", typeflag: "5", mode: 0o755, size: 8 * 2 ** 30 - 1 });
  const tar = buildTar([good[0]!, dir], { end: false });
  const { pull, state } = tarThenZeros(tar, GIB);
  const error = await stageStream(pull);
  assert.match(String(error), /unpacks to more than the \d+ bytes its signed header accounts for/);
  assert.ok(state.pulled < 32 << 20, `${state.pulled} bytes unpacked`);
});

Deno.test("stageArchive() stops unpacking a volume label before the header at its budget", async () => {
  // GNU volume labels ('V') are skipped by the reader, so one could come before the header.
  const label = encodeHeader({ name: "vol", typeflag: "V", size: 8 * 2 ** 30 - 1 });
  const { pull, state } = tarThenZeros(label, GIB);
  const error = await stageStream(pull);
  assert.match(String(error), /unpacks to more than the \d+ bytes its signed header accounts for/);
  assert.ok(state.pulled < PRE_HEADER_BUDGET + (2 << 20), `${state.pulled} bytes unpacked`);
});

// Mutation caught: the implied-directory count never checked (199 directories staged for one member).
Deno.test("stageArchive() bounds the directories members imply by the signed member count", async () => {
  // One path as deep as a path may be (2,000 levels): a real package that changes one deep file.
  const one = { entries: 1, files: 1, bytes: 5 };
  const deepest = `${"d/".repeat(2000)}f`;
  const fine = await stage(
    [{ path: OPERATIONS_MEMBER, data: header(one) }, { path: deepest, data: "hello" }],
    header(one),
  );
  assert.equal(fine.error, undefined);
  assert.equal(fine.tree?.files, 1);
  // Two such members imply 4,000 directories, more than 64 per member and one deepest path.
  const two = { entries: 2, files: 2, bytes: 10 };
  const r = await stage(
    [
      { path: OPERATIONS_MEMBER, data: header(two) },
      { path: `${"a/".repeat(2000)}f`, data: "hello" },
      { path: `${"b/".repeat(2000)}f`, data: "hello" },
    ],
    header(two),
  );
  assert.ok(r.error instanceof PatchopsError && r.error.code === "UnsafeMember", String(r.error));
  assert.match(r.error.message, /needs more than the 2240 directories the archive's members may imply/);
  assert.ok(!r.files.some((f) => f.startsWith("b/")), "nothing was staged for the second");
});
