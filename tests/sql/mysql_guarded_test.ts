/**
 * `sql diff --guarded --dialect mysql` (the MySQL 8 form: each ALTER built
 * from information_schema checks and run as a prepared statement) on a real
 * MariaDB, which runs that form too: every corpus case reaches its target
 * when the script runs twice and when it resumes after any statement (see
 * _guarded_mysql.ts).
 */

import assert from "node:assert/strict";
import { HAVE_MYSQL } from "./_mariadb.ts";
import { checkAll, GUARD_CASES } from "./_guarded_mysql.ts";

Deno.test({
  name:
    `sql diff --guarded (MySQL 8 form) on MariaDB: ${GUARD_CASES.length} cases run twice, and resumed after every statement`,
  ignore: !HAVE_MYSQL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const failures = await checkAll("mysql");
    assert.deepEqual(failures, []);
  },
});
