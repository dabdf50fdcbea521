/**
 * The PostgreSQL corpus (postgres_corpus.ts) on a real PostgreSQL server,
 * each case in fresh databases: A is built from `from` and migrated with
 * `sql apply` semantics (migrateDatabase) to `to`; B is built from `to`; the
 * catalogs of A and B must agree, a second migration must have nothing to
 * do, and rows must survive. Then the same in reverse. A case marked
 * `refused` must be refused with a matching message, with A unchanged.
 *
 * Pass rate: `deno test --allow-all tests/sql/postgres_corpus_test.ts`
 * (each case is one test).
 */

import assert from "node:assert/strict";
import { migrateDatabase } from "../../src/sql/live/migrate.ts";
import { have } from "../_env.ts";
import { PG_CORPUS } from "./postgres_corpus.ts";
import { CaseFailure, createDatabases, dropDatabases, fresh, rowsOf, runCase, urlOf } from "./_pg_runner.ts";

const HAVE_PG = await have("postgres");

// Two databases for the whole file, emptied before each case.
const A = `pc_${Deno.pid}_a`;
const B = `pc_${Deno.pid}_b`;

Deno.test({
  name: "PostgreSQL corpus: the databases are created",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => createDatabases([A, B]),
});

for (const c of PG_CORPUS) {
  Deno.test({
    name: `PostgreSQL corpus: ${c.name}${c.refused ? " (refused)" : ""}${
      c.knownLimit ? ` (known limit: ${c.knownLimit})` : ""
    }`,
    ignore: !HAVE_PG,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      let failure: CaseFailure | undefined;
      try {
        await runCase(A, B, c);
      } catch (err) {
        if (!(err instanceof CaseFailure)) throw err;
        failure = err;
      }
      if (c.refused) {
        // The runner has checked that the refused migration left the database as it was.
        assert.equal(failure?.outcome, "refused", failure?.message ?? "it converged: drop the mark");
        assert.match(failure!.message, c.refused);
      } else if (c.knownLimit !== undefined) {
        assert.ok(failure && failure.outcome !== "silently wrong", failure?.message ?? `fixed? ${c.knownLimit}`);
      } else if (failure) {
        throw failure;
      }
    },
  });
}

Deno.test({
  name: "sql apply loads the target in the scratch schema without running its queries (a sequence does not move)",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await fresh(A, "CREATE SEQUENCE s; CREATE TABLE t (id int);");
    const seq = () => rowsOf(A, "SELECT last_value, is_called FROM s");
    const before = await seq();
    // A materialized view made WITH DATA would call nextval on the live sequence, which no rollback undoes.
    const target = `CREATE SEQUENCE s; CREATE TABLE t (id int);
      CREATE MATERIALIZED VIEW mv AS SELECT nextval('public.s') AS n;`;
    const plan = await migrateDatabase(target, urlOf(A), { dryRun: true });
    assert.match(plan.plan.sql, /CREATE MATERIALIZED VIEW/);
    assert.deepEqual(await seq(), before);
    // CREATE TABLE ... AS runs its query too: such a target is not loaded (whatever the file parse says of it).
    await migrateDatabase(`${target} CREATE TABLE x AS SELECT nextval('public.s') AS n;`, urlOf(A), { dryRun: true })
      .catch(() => {});
    assert.deepEqual(await seq(), before);
  },
});

Deno.test({
  name: "PostgreSQL corpus: the databases are dropped",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () => dropDatabases([A, B]),
});
