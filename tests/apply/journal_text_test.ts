import assert from "node:assert/strict";
import { type Journal, journalText } from "../../src/apply/transaction.ts";

Deno.test("journalText writes, in parts, the document JSON.stringify would", () => {
  for (const n of [0, 1, 1023, 1024, 1025, 3000]) {
    const journal = {
      format: 1,
      id: "20261201T000000.000Z-00000000",
      kind: "apply",
      state: "prepared",
      source: "txn/x/staging",
      backup: "txn/x/backup",
      version: "2.0",
      createdAt: "2026-12-01T00:00:00.000Z",
      steps: Array.from({ length: n }, (_, i) => ({
        action: "replace" as const,
        path: `dir/"quoted"\\${i}`,
        hadTarget: i % 2 === 0,
        parents: [],
      })),
    } as unknown as Journal;
    const parts = [...journalText(journal)];
    assert.ok(parts.length >= 2 + Math.ceil(n / 1024));
    const { steps, ...rest } = journal;
    assert.equal(parts.join(""), JSON.stringify({ ...rest, steps }) + "\n");
    assert.deepEqual(JSON.parse(parts.join("")), journal);
  }
});
