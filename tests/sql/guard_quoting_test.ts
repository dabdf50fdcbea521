/**
 * Guarded scripts whose names come from a less-trusted schema file: quotes,
 * backslashes and statement text inside names and literals must stay data,
 * whatever the session's sql_mode or lexical settings, on the real servers.
 */

import assert from "node:assert/strict";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { guardChanges } from "../../src/sql/guard/mod.ts";
import { connect, HAVE_MYSQL, runIn, withDatabases } from "./_mariadb.ts";

type Row = Record<string, unknown>;

Deno.test({
  name: "guarded MySQL 8 form: names with quotes and backslashes are checked right under NO_BACKSLASH_ESCAPES",
  ignore: !HAVE_MYSQL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Backtick names may hold anything; in the information_schema checks they become string literals.
    const from = "CREATE TABLE `t'\\` (id int PRIMARY KEY, `gone'\\` int);";
    const to = "CREATE TABLE `t'\\` (id int PRIMARY KEY, `a'b\\` int, `c''\\'` int, KEY `k'\\` (`a'b\\`));";
    const plan = guardChanges(
      generateSchemaDiff(from, to, { dialect: "mariadb", allowDestructive: true }).changes,
      "mysql",
    );
    const conn = await connect();
    try {
      for (const mode of ["", "NO_BACKSLASH_ESCAPES,ANSI_QUOTES"]) {
        await withDatabases(conn, 1, async ([db]) => {
          await conn.query("SET SESSION sql_mode = ''");
          await runIn(conn, db!, from);
          await conn.query(`SET SESSION sql_mode = '${mode}'`);
          for (let run = 1; run <= 2; run++) {
            for (const s of plan.statements) {
              try {
                await conn.query(s.sql);
              } catch (err) {
                throw new Error(`mode "${mode}", run ${run}: ${s.sql}\n(${(err as Error).message})`);
              }
            }
          }
          await conn.query("SET SESSION sql_mode = DEFAULT");
          const [cols] = await conn.query(
            "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY ORDINAL_POSITION",
            [db],
          ) as [Row[], unknown];
          assert.deepEqual(cols.map((r) => r.c), ["id", "a'b\\", "c''\\'"], `mode "${mode}"`);
          const [keys] = await conn.query(
            "SELECT DISTINCT INDEX_NAME AS k FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?",
            [db],
          ) as [Row[], unknown];
          assert.deepEqual(keys.map((r) => String(r.k)).sort(), ["PRIMARY", "k'\\"].sort(), `mode "${mode}"`);
        });
      }
    } finally {
      await conn.end();
    }
  },
});
