/**
 * Guarded scripts whose names come from a less-trusted schema file: quotes,
 * backslashes and statement text inside names and literals must stay data,
 * whatever the session's sql_mode or lexical settings, on the real servers.
 */

import assert from "node:assert/strict";
import pg from "pg";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { guardChanges, guardHeader, renderGuardedScript } from "../../src/sql/guard/mod.ts";
import type { Change } from "../../src/sql/model.ts";
import { DatabaseSync } from "node:sqlite";
import { connect, HAVE_MYSQL, runIn, withDatabases } from "./_mariadb.ts";
import { check, type GuardCase } from "./_guarded_mysql.ts";
import { have, PG_URL } from "../_env.ts";

const HAVE_PG = await have("postgres");

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

const RUN = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);

/**
 * Diffs `from` and `to` for PostgreSQL, runs the guarded statements one by
 * one (autocommit, as a tool that splits the script would) twice in a fresh
 * schema after `setup`, and returns the columns and constraints of table
 * `table` there.
 */
async function runPostgres(from: string, to: string, table: string, setup = "") {
  const plan = guardChanges(
    generateSchemaDiff(from, to, { dialect: "postgres", allowDestructive: true }).changes,
    "postgres",
  );
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const s = `pt_guardq_${RUN}_${Math.random().toString(36).slice(2, 8)}`;
  try {
    await client.query(`CREATE SCHEMA ${s}; SET search_path TO ${s}`);
    await client.query(from);
    if (setup) await client.query(setup);
    for (let run = 1; run <= 2; run++) {
      for (const st of plan.statements) {
        try {
          await client.query(st.sql);
        } catch (err) {
          throw new Error(`run ${run}: ${st.sql}\n(${(err as Error).message})`);
        }
      }
    }
    const columns: string[] = (await client.query(
      `SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum`,
      [`"${table.replaceAll('"', '""')}"`],
    )).rows.map((r: Row) => String(r.attname));
    const constraints: string[] = (await client.query(
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = to_regclass($1)
       ORDER BY conname`,
      [`"${table.replaceAll('"', '""')}"`],
    )).rows.map((r: Row) => `${String(r.conname)}: ${String(r.def)}`);
    return { plan, columns, constraints };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await client.end();
  }
}

Deno.test({
  name: "guarded PostgreSQL: ';' and ALTER TABLE inside a literal stay in their statement",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The diff joins the statements of one change with ";\n"; the guard must not cut inside a literal.
    const from = "CREATE TABLE t (id int PRIMARY KEY, v text);";
    const to = `CREATE TABLE t (id int PRIMARY KEY, v text,
      w text DEFAULT 'y;\nALTER TABLE t DROP COLUMN v',
      CONSTRAINT c CHECK (v <> 'x;\nALTER TABLE t DROP COLUMN id; --'));`;
    const { plan, columns, constraints } = await runPostgres(from, to, "t");
    assert.deepEqual(plan.statements.filter((s) => s.unguarded !== undefined).map((s) => s.sql), []);
    assert.deepEqual(columns, ["id", "v", "w"]);
    assert.equal(constraints.length, 2);
    assert.match(constraints[0]!, /^c: CHECK .*'x;\nALTER TABLE t DROP COLUMN id; --'/s);
  },
});

Deno.test({
  name: "guarded PostgreSQL: names with quotes and backslashes are checked right with standard_conforming_strings off",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const from = `CREATE TABLE "t\\'" (id int PRIMARY KEY, "a\\'b" int);`;
    const to = `CREATE TABLE "t\\'" (id int PRIMARY KEY, "c\\''" int, -- @renamed from="a\\'b"
      CONSTRAINT "k\\'" CHECK ("c\\''" > 0));`;
    const { plan, columns, constraints } = await runPostgres(
      from,
      to,
      "t\\'",
      "SET standard_conforming_strings = off; SET escape_string_warning = off",
    );
    assert.ok(plan.statements.some((s) => s.sql.startsWith("DO ")), "the rename and the check run in DO blocks");
    assert.deepEqual(columns, ["id", "c\\''"]);
    assert.deepEqual(constraints.map((c) => c.split(":")[0]), ["k\\'", "t\\'_pkey"]);
  },
});

Deno.test("guarded SQLite: a rebuild never drops a user's table that has the temporary table's name", () => {
  // The guard drops a leftover temporary table before each rebuild; the user may own one of that name.
  const from = `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
    CREATE TABLE patchops_new_t (x TEXT); CREATE TABLE patchops_new_t_2 (y TEXT);`;
  const to = `CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);
    CREATE TABLE patchops_new_t (x TEXT); CREATE TABLE patchops_new_t_2 (y TEXT);`;
  const plan = guardChanges(
    generateSchemaDiff(from, to, { dialect: "sqlite", allowDestructive: true }).changes,
    "sqlite",
  );
  const script = renderGuardedScript(plan).join("\n");
  const db = new DatabaseSync(":memory:");
  try {
    db.exec(from);
    db.exec(
      "INSERT INTO t VALUES (1, '5'); INSERT INTO patchops_new_t VALUES ('keep'); INSERT INTO patchops_new_t_2 VALUES ('me')",
    );
    db.exec(script);
    db.exec(script);
    assert.deepEqual(db.prepare("SELECT x FROM patchops_new_t").all().map((r) => r.x), ["keep"]);
    assert.deepEqual(db.prepare("SELECT y FROM patchops_new_t_2").all().map((r) => r.y), ["me"]);
    assert.deepEqual(db.prepare("SELECT id, typeof(a) AS ty FROM t").all().map((r) => [r.id, r.ty]), [[1, "integer"]]);
  } finally {
    db.close();
  }
});

Deno.test({
  name: "guarded MariaDB and MySQL 8 forms: a column renamed while its old name is added again, run twice and resumed",
  ignore: !HAVE_MYSQL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Once b and the new a both exist, a second run must neither rename a again nor skip adding it the first time.
    const c: GuardCase = {
      name: "rename and re-add",
      from: "CREATE TABLE t (id int PRIMARY KEY, a int, KEY ka (a));",
      to: `CREATE TABLE t (id int PRIMARY KEY, b int, -- @renamed from=a
        a varchar(10), KEY ka (b), KEY kn (a));`,
      data: "INSERT INTO t VALUES (1, 5);",
      oneWay: true,
    };
    const conn = await connect();
    try {
      await withDatabases(conn, 2, async ([a, b]) => {
        for (const flavor of ["mariadb", "mysql"] as const) {
          await check(conn, { c, from: c.from, to: c.to, flavor, dbs: [a!, b!] });
        }
      });
    } finally {
      await conn.end();
    }
  },
});

Deno.test({
  name: "guarded PostgreSQL: ADD VALUE is guarded on the named type, not on text inside its quoted name",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The diff does not make ALTER TYPE yet: the change is given as a future diff would print it.
    const change: Change = {
      kind: "alter_table",
      sql: `ALTER TYPE "m ADD VALUE x" ADD VALUE 'c'`,
      description: "add value c",
    };
    const plan = guardChanges([change], "postgres");
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const s = `pt_guardq_${RUN}_enum`;
    try {
      // A decoy type whose name the old rewrite produced.
      await client.query(`CREATE SCHEMA ${s}; SET search_path TO ${s};
        CREATE TYPE "m ADD VALUE x" AS ENUM ('a'); CREATE TYPE "m ADD VALUE IF NOT EXISTS x" AS ENUM ('a')`);
      for (let run = 1; run <= 2; run++) for (const st of plan.statements) await client.query(st.sql);
      const values = async (t: string) =>
        (await client.query(`SELECT unnest(enum_range(NULL::"${t}"))::text AS v`)).rows.map((r: Row) => r.v);
      assert.deepEqual(await values("m ADD VALUE x"), ["a", "c"]);
      assert.deepEqual(await values("m ADD VALUE IF NOT EXISTS x"), ["a"]);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await client.end();
    }
  },
});

Deno.test("guarded PostgreSQL: a statement with CONCURRENTLY only in a literal is not claimed to be guarded", () => {
  const change: Change = {
    kind: "create_routine",
    sql: "CREATE FUNCTION \"f\"() RETURNS text LANGUAGE sql AS $$ SELECT ' CONCURRENTLY ' $$",
    description: "create function f",
  };
  const header = guardHeader(guardChanges([change], "postgres")).join("\n");
  assert.match(
    header,
    /^-- guarded, except 1 statement that may fail if run twice:\n-- {3}statement 1 \(create function f\)/,
  );
});

Deno.test({
  name: "guarded MariaDB form: a foreign key whose name holds ' FOREIGN KEY (' keeps its name and its guard",
  ignore: !HAVE_MYSQL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const from = "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p int);";
    const to = `CREATE TABLE p (id int PRIMARY KEY);
      CREATE TABLE c (id int PRIMARY KEY, p int, CONSTRAINT \`f FOREIGN KEY (\` FOREIGN KEY (p) REFERENCES p (id));`;
    const plan = guardChanges(
      generateSchemaDiff(from, to, { dialect: "mariadb", allowDestructive: true }).changes,
      "mariadb",
    );
    const conn = await connect();
    try {
      await withDatabases(conn, 1, async ([db]) => {
        await runIn(conn, db!, from);
        for (let run = 1; run <= 2; run++) for (const s of plan.statements) await conn.query(s.sql);
        const [rows] = await conn.query(
          `SELECT CONSTRAINT_NAME AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`,
          [db],
        ) as [Row[], unknown];
        assert.deepEqual(rows.map((r) => r.n), ["f FOREIGN KEY ("]);
      });
    } finally {
      await conn.end();
    }
  },
});

Deno.test("guarded script: the header's one-transaction claim and BEGIN/COMMIT agree when a statement is withheld", () => {
  const changes: Change[] = [
    { kind: "add_column", sql: `ALTER TABLE "t" ADD COLUMN "a" int`, description: "add column a" },
    {
      kind: "drop_index",
      sql: `DROP INDEX CONCURRENTLY "t_b"`,
      description: "drop index t_b",
      destructive: "drops index t_b",
    },
  ];
  const plan = guardChanges(changes, "postgres");
  for (const withheld of [new Set<Change>(), new Set([changes[1]!])]) {
    const header = guardHeader(plan, withheld).includes("-- the whole script runs in one transaction");
    const script = renderGuardedScript(plan, { withheld });
    assert.equal(script[0] === "BEGIN;", header, `withheld: ${withheld.size}`);
  }
  // Withheld, the concurrent drop is a comment and the rest runs in one transaction.
  assert.equal(renderGuardedScript(plan, { withheld: new Set([changes[1]!]) })[0], "BEGIN;");
});

Deno.test({
  name: "guarded PostgreSQL: a literal holding $patchops$ is not put in a DO block, and the header names it",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // Inside DO $patchops$ ... $patchops$ the literal would end the block and run the rest as statements.
    const from = "CREATE TABLE keep (id int); CREATE TABLE t (id int PRIMARY KEY, v text);";
    const to = `CREATE TABLE keep (id int);
      CREATE TABLE t (id int PRIMARY KEY, v text, CONSTRAINT c CHECK (v <> '$patchops$; DROP TABLE keep; --'));`;
    const plan = guardChanges(generateSchemaDiff(from, to, { dialect: "postgres" }).changes, "postgres");
    assert.match(guardHeader(plan).join("\n"), /^-- {3}statement 1 \(.*\): the statement holds \$patchops\$/m);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const s = `pt_guardq_${RUN}_tag`;
    try {
      await client.query(`CREATE SCHEMA ${s}; SET search_path TO ${s}; ${from}`);
      for (const st of plan.statements) await client.query(st.sql);
      const r = await client.query(
        "SELECT to_regclass('keep') IS NOT NULL AS kept, (SELECT count(*) FROM pg_constraint WHERE conname = 'c' AND conrelid = to_regclass('t'))::int AS n",
      );
      assert.deepEqual(r.rows[0], { kept: true, n: 1 });
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await client.end();
    }
  },
});
