/**
 * The second held-out MariaDB set (mariadb_heldout_frameworks.ts), through
 * the same check as the first (_guarded_heldout_mysql.ts): every direction's
 * plain plan must run and reach the target (the differ's part), and its
 * guarded script, in MariaDB's own form and the MySQL 8 form, must run
 * twice and reach the target resumed after every statement, rows kept.
 *
 * Mutations caught (each fails a Rails case's plain plan on the server):
 * foreign keys over a retyped column not dropped first (error 1833); a new
 * table's key to a retyped column made inline (errno 150).
 *
 * Figures: `deno test --allow-all tests/sql/mariadb_heldout_frameworks_test.ts`
 * (the lines "guarded (issue 20, ...)").
 */

import assert from "node:assert/strict";
import { HAVE_MYSQL } from "./_mariadb.ts";
import { checkHeldOut, printTally } from "./_guarded_heldout_mysql.ts";
import { MARIADB_HELDOUT_FRAMEWORKS as CASES } from "./mariadb_heldout_frameworks.ts";

for (const flavor of ["mariadb", "mysql"] as const) {
  Deno.test({
    name: `MariaDB held-out, second set (${flavor} form): ${CASES.length} framework migrations, plain and guarded`,
    ignore: !HAVE_MYSQL,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const t = await checkHeldOut(flavor, 2, CASES);
      printTally(flavor, t, CASES);
      assert.deepEqual([...t.refused, ...t.plainFailed, ...t.plainWrong], [], "every plain plan runs to the target");
      assert.deepEqual(t.failures, [], "every guarded script runs twice and resumes");
      assert.equal(t.passed, t.directions);
      const ways = CASES.reduce((n, c) => n + (c.oneWay ? 1 : 2), 0);
      assert.equal(t.directions, ways);
    },
  });
}
