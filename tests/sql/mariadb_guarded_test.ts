/**
 * `sql diff --guarded --dialect mariadb` on a real MariaDB: every corpus
 * case reaches its target when the script runs twice and when it resumes
 * after any statement (see _guarded_mysql.ts), and the printed script runs
 * in the `mariadb` client twice.
 */

import assert from "node:assert/strict";
import { runCli, tempDir } from "../_helpers.ts";
import { connect, HAVE_MYSQL, loadScript, runIn } from "./_mariadb.ts";
import { checkAll, GUARD_CASES, type Row } from "./_guarded_mysql.ts";

const RUN = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);

Deno.test({
  name: `sql diff --guarded (MariaDB form): ${GUARD_CASES.length} cases run twice, and resumed after every statement`,
  ignore: !HAVE_MYSQL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const failures = await checkAll("mariadb");
    assert.deepEqual(failures, []);
  },
});

Deno.test({
  name: "sql diff --guarded prints a header, IF EXISTS guards and DELIMITER around trigger bodies",
  ignore: !HAVE_MYSQL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const [dir, done] = await tempDir();
    const conn = await connect();
    const db = `pt_guard_${RUN}_cli`;
    try {
      const from = "CREATE TABLE t (id int PRIMARY KEY, a int, old int);";
      const to = `CREATE TABLE t (id int PRIMARY KEY, a bigint, b int, KEY kb (b));
        DELIMITER ;;
        CREATE TRIGGER tb BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.b = 1; SET NEW.a = 2; END;;
        DELIMITER ;`;
      await Deno.writeTextFile(`${dir}/from.sql`, from);
      await Deno.writeTextFile(`${dir}/to.sql`, to);
      const r = await runCli([
        "sql",
        "diff",
        `${dir}/from.sql`,
        `${dir}/to.sql`,
        "--dialect",
        "mariadb",
        "--guarded",
        "--allow-destructive",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^-- patchops sql diff \(mariadb, guarded\): 3 changes/);
      assert.match(r.stdout, /^-- guarded: every statement may run again/m);
      assert.match(r.stdout, /ADD COLUMN IF NOT EXISTS `b`/);
      assert.match(r.stdout, /DROP COLUMN IF EXISTS `old`/);
      assert.match(r.stdout, /DELIMITER ;;\nCREATE OR REPLACE TRIGGER/);
      // The printed script, as a user would feed it to the client, twice.
      await conn.query(`DROP DATABASE IF EXISTS \`${db}\`; CREATE DATABASE \`${db}\``);
      await runIn(conn, db, from);
      await loadScript(db, r.stdout);
      await loadScript(db, r.stdout);
      const [rows] = await conn.query(`SHOW TRIGGERS FROM \`${db}\``) as [Row[], unknown];
      assert.deepEqual(rows.map((x) => x.Trigger), ["tb"]);
    } finally {
      await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
      await conn.end();
      await done();
    }
  },
});
