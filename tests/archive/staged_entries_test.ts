/**
 * The compact staged-entries table against a plain Map, over enough paths
 * to make it grow its arrays and rehash several times.
 *
 * Mutations caught: the rehash on growth dropped (lookups after the first
 * growth miss); `set` on a known path appending again (size and order
 * differ). Not caught: a weakened byte comparison in `#find`, as no two
 * paths here share a 32-bit hash.
 */

import assert from "node:assert/strict";
import { StagedEntries, type StagedEntry } from "../../src/archive/staged_entries.ts";

Deno.test("StagedEntries holds what a Map holds, in staging order, across growth", () => {
  const entries = new StagedEntries();
  const expected = new Map<string, StagedEntry>();
  for (let d = 0; d < 30; d++) {
    const dir = `d${d}-Å`;
    const e: StagedEntry = { type: "directory", mode: 0o755, size: 0, implied: true };
    entries.set(dir, e);
    expected.set(dir, e);
    for (let f = 0; f < 200; f++) {
      const file: StagedEntry = { type: f % 7 === 0 ? "symlink" : "file", mode: 0o644, size: d * 1e10 + f };
      entries.set(`${dir}/f${f}`, file);
      expected.set(`${dir}/f${f}`, file);
    }
  }
  // Changing a known path keeps its place.
  entries.set("d3-Å", { type: "directory", mode: 0o700, size: 0 });
  expected.set("d3-Å", { type: "directory", mode: 0o700, size: 0 });
  assert.equal(entries.size, expected.size);
  assert.deepEqual([...entries], [...expected]);
  for (const [p, e] of expected) {
    assert.deepEqual(entries.get(p), e, p);
    assert.equal(entries.typeOf(p), e.type);
  }
  for (const p of ["", "d0", "d0-Å/f200", "d0-Å/f1/", "d0-A/f1", "d0-Å/f1x"]) {
    assert.equal(entries.has(p), false, p);
    assert.equal(entries.get(p), undefined);
  }
  let files = 0;
  let bytes = 0;
  entries.eachFile((p, size) => {
    files++;
    bytes += size;
    assert.equal(expected.get(p)?.size, size);
  });
  assert.equal(files, 6000);
  assert.equal(bytes, [...expected.values()].reduce((a, e) => a + e.size, 0));
});
