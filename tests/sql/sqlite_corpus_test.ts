/**
 * The SQLite corpus (sqlite_corpus.ts) through the shared runner
 * (_sqlite_runner.ts, the same as the held-out suite's): A is built from
 * `from` and migrated with `sql apply` semantics to `to`, B is built from
 * `to`; SQLite's own description of both (PRAGMAs, the stored text of views,
 * triggers and indexes, and the clauses of CREATE TABLE the PRAGMAs do not
 * show) must agree, a second migration must have nothing to do, rows must
 * survive, a dry run changes no byte, and the printed plan runs as printed.
 * Then the same in reverse.
 *
 * Pass rate: `deno test --allow-all tests/sql/sqlite_corpus_test.ts` (the
 * "pass rate" test prints it).
 */

import assert from "node:assert/strict";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { tempDir } from "../_helpers.ts";
import { build, type Outcome, rows, runCase } from "./_sqlite_runner.ts";
import { SQLITE_CORPUS } from "./sqlite_corpus.ts";

const outcomes: Outcome[] = [];

for (const c of SQLITE_CORPUS) {
  const limit = c.knownLimit ? ` (known limit: ${c.knownLimit})` : "";
  Deno.test(`SQLite corpus: ${c.name}${c.refused ? " (refused)" : ""}${limit}`, async () => {
    const [dir, done] = await tempDir();
    try {
      const outcome = await runCase(dir, c);
      outcomes.push(outcome);
      if (c.refused) {
        assert.equal(outcome.kind, "refused", JSON.stringify(outcome));
        assert.match((outcome as { message: string }).message, c.refused);
      } else if (c.knownLimit !== undefined) {
        assert.ok(["failed", "refused"].includes(outcome.kind), `fixed? ${c.knownLimit}: ${JSON.stringify(outcome)}`);
      } else assert.equal(outcome.kind, "converged", JSON.stringify(outcome));
    } finally {
      await done();
    }
  });
}

Deno.test("SQLite corpus: pass rate", () => {
  const n = (k: Outcome["kind"]) => outcomes.filter((o) => o.kind === k).length;
  console.log(
    `corpus: ${n("converged")} of ${outcomes.length - n("invalid")} converge; ${n("refused")} refused, ` +
      `${n("failed")} failed loudly, ${n("wrong")} silently wrong`,
  );
  assert.equal(n("wrong"), 0);
});

Deno.test("regression (issue 15): with a rebuild withheld, the safe part of sql diff runs alone on SQLite", async () => {
  const from = `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, n INTEGER); CREATE TABLE log (m TEXT);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('x'); END;`;
  const to = `CREATE TABLE t (id INTEGER PRIMARY KEY,
      b TEXT, -- @renamed from=a
      n TEXT NOT NULL DEFAULT '');
    CREATE INDEX t_b ON t (b); CREATE INDEX t_n ON t (n); CREATE TABLE log (m TEXT);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('x'); END;
    CREATE TABLE extra (x INTEGER);`;
  const [dir, done] = await tempDir();
  try {
    build(`${dir}/a.db`, from, "INSERT INTO t VALUES (1, 'one', 1);");
    const plan = generateSchemaDiff(from, to, { dialect: "sqlite" });
    assert.equal(plan.withheld.length, 1);
    // The printed script, comments and all, as a user would run it.
    build(`${dir}/a.db`, plan.sql);
    assert.deepEqual(rows(`${dir}/a.db`, "SELECT name FROM sqlite_schema WHERE name = 'extra'"), [["extra"]]);
    build(`${dir}/a.db`, "INSERT INTO t VALUES (2, 'two', 2);");
    assert.deepEqual(rows(`${dir}/a.db`, "SELECT count(*) FROM log"), [[2]], "the trigger still fires");
  } finally {
    await done();
  }
});
