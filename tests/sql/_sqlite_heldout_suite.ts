/**
 * A held-out SQLite suite through the shared runner (_sqlite_runner.ts):
 * each case in both directions on node:sqlite, dry run byte-for-byte, no
 * destructive statement without allowDestructive, migrated database equal to
 * one built from the target (PRAGMAs plus the clauses they do not show), rows
 * kept, second diff empty, and the printed plan run as printed. The last test
 * prints the pass rate. Used by sqlite_heldout_test.ts and
 * sqlite_heldout2_test.ts.
 */

import assert from "node:assert/strict";
import { tempDir } from "../_helpers.ts";
import { guardedStats, type Outcome, runCase } from "./_sqlite_runner.ts";
import type { SqliteCase } from "./sqlite_corpus.ts";

/** Registers the suite's tests for `cases`: named `label: ...`, the pass-rate line opening with `tallyLabel`. */
export function sqliteHeldoutSuite(label: string, tallyLabel: string, cases: readonly SqliteCase[]): void {
  const outcomes: [string, Outcome][] = [];

  for (const c of cases) {
    const expected = c.refused ? "refused" : c.knownLimit ? "failed" : "converged";
    Deno.test(`${label}: ${c.name}${c.knownLimit ? ` (known limit: ${c.knownLimit})` : ""}`, async () => {
      const [dir, done] = await tempDir();
      try {
        const outcome = await runCase(dir, c);
        outcomes.push([c.name, outcome]);
        if (expected === "refused") {
          assert.equal(outcome.kind, "refused", JSON.stringify(outcome));
          assert.match((outcome as { message: string }).message, c.refused!);
        } else if (expected === "failed") {
          assert.ok(["failed", "refused"].includes(outcome.kind), `fixed? ${JSON.stringify(outcome)}`);
        } else assert.equal(outcome.kind, "converged", JSON.stringify(outcome));
      } finally {
        await done();
      }
    });
  }

  Deno.test(`${label}: pass rate`, () => {
    const count = (k: Outcome["kind"]) => outcomes.filter(([, o]) => o.kind === k).length;
    const accepted = outcomes.length - count("invalid");
    const line = `${tallyLabel}: ${count("converged")} of ${accepted} cases SQLite accepts converge; ` +
      `${count("refused")} refused, ${count("failed")} failed loudly, ${count("wrong")} silently wrong`;
    console.log(line);
    for (const [name, o] of outcomes) {
      if (o.kind !== "converged") console.log(`  ${o.kind}: ${name}: ${"message" in o ? o.message.slice(0, 300) : ""}`);
    }
    console.log(
      `guarded (issue 20): ${guardedStats.rerun} of ${guardedStats.directions} directions run twice to the target;` +
        ` unguarded: ${guardedStats.unguarded.join(", ") || "none"}`,
    );
    assert.equal(outcomes.length, cases.length, "every case ran");
    // Issue 20's acceptance: every guarded script of the held-out set runs twice to the target.
    assert.deepEqual(guardedStats.unguarded, [], line);
    assert.equal(count("wrong"), 0, line);
    // The acceptance of issue 15: at least 95% of the cases SQLite accepts converge.
    assert.ok(count("converged") >= 0.95 * accepted, line);
  });
}
