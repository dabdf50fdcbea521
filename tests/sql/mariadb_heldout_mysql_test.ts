/**
 * Issue 20's acceptance on the held-out MariaDB set (mariadb_heldout.ts),
 * the MySQL 8 form (`sql diff --guarded --dialect mysql`, which MariaDB
 * runs too): every
 * direction whose plain plan runs and reaches the target must, guarded,
 * run twice and reach the target resumed after any statement, rows kept
 * (see _guarded_heldout_mysql.ts). MariaDB's own guards are checked by
 * mariadb_heldout_test.ts.
 *
 * Figures: `deno test --allow-all tests/sql/mariadb_heldout_mysql_test.ts` (the
 * line "guarded (issue 20, MySQL 8 form on MariaDB): ...").
 */

import assert from "node:assert/strict";
import { HAVE_MYSQL } from "./_mariadb.ts";
import { checkHeldOut, printTally } from "./_guarded_heldout_mysql.ts";
import { MARIADB_HELDOUT } from "./mariadb_heldout.ts";

Deno.test({
  name:
    `MariaDB held-out (issue 20, MySQL 8 form on MariaDB): ${MARIADB_HELDOUT.length} cases, guarded scripts run twice and resume after every statement`,
  ignore: !HAVE_MYSQL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await checkHeldOut("mysql");
    printTally("mysql", t);
    assert.deepEqual(t.failures, [], "every direction whose plain plan runs passes guarded");
    assert.deepEqual(t.fixed, [], "a known limit that passes loses its mark");
    assert.equal(t.passed + t.limits.length, t.directions);
    // 123 (119 when the set was written, 122 before the composite primary key replacing an AUTO_INCREMENT id ran;
    // 4 refused: SEQUENCE and SYSTEM VERSIONING): fewer means the differ now refuses or fails directions it ran,
    // and this test would check less than it did.
    assert.ok(t.directions >= 123, `only ${t.directions} directions were checked guarded`);
  },
});
