import assert from "node:assert/strict";
import { newTxnId } from "../../src/apply/workspace.ts";

Deno.test("transaction ids made within one second sort in the order they were made", async () => {
  // Backups are pruned and rolled back in id order; two quick applies once sorted at random.
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push(newTxnId());
    await new Promise((r) => setTimeout(r, 3));
  }
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.match(ids[0]!, /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$/);
});
