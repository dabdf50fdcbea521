/**
 * The staging stage held to a signed header: nothing is staged before the
 * header passes, and no member may go beyond its totals.
 *
 * Mutations caught: `takeHeader` skipped (the 64 MiB member was written);
 * the `count()` call before writing removed (same); the final totals
 * comparison removed ("fewer members than counted" staged without error).
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { stageArchive } from "../../src/archive/stage.ts";
import { PatchopsError } from "../../src/errors.ts";
import { type HeaderLimits, OPERATIONS_MEMBER } from "../../src/signed_ops.ts";
import { buildTar, type Member, tempDir } from "../_helpers.ts";

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
