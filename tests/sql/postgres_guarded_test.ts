/**
 * `sql diff --guarded --dialect postgres` on a real PostgreSQL server
 * (PATCHOPS_TEST_PG_URL; CI starts one): for each case, in both directions,
 * the guarded statements run one by one (autocommit, the hardest way: no
 * transaction to fall back on), then run again; and for every statement
 * position k, a fresh copy of the source runs the first k statements, then
 * the whole script. Every run must succeed and end with the catalogs of a
 * schema built from the target. The printed script also runs twice in psql.
 * Each case lives in its own schema of one database; extensions, which
 * belong to the database, are left to the diff's own IF [NOT] EXISTS.
 */

import assert from "node:assert/strict";
import pg from "pg";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { guardChanges, guardHeader, renderGuardedScript } from "../../src/sql/guard/mod.ts";
import type { Change } from "../../src/sql/model.ts";
import { runCli, tempDir } from "../_helpers.ts";
import { have, PG_URL } from "../_env.ts";

const HAVE_PG = await have("postgres");

interface Case {
  name: string;
  from: string;
  to: string;
  data?: string;
  oneWay?: boolean;
}

const cases: Case[] = [];
/** A one-table case: `from` and `to` are the column and constraint lists of table t. */
const table = (name: string, from: string, to: string, more?: Partial<Case>) =>
  cases.push({ name, from: `CREATE TABLE t (${from});`, to: `CREATE TABLE t (${to});`, ...more });

// Each case runs in both directions, so every pair covers two change kinds (add/drop, widen/narrow...).
table("columns: add and drop", "id int PRIMARY KEY", "id int PRIMARY KEY, a text, b int DEFAULT 3", {
  data: "INSERT INTO t VALUES (1);",
});
// Once b and the new a both exist, a second run must not rename a again.
table(
  "columns: renamed while the old name is added again",
  "id int PRIMARY KEY, a int",
  `id int PRIMARY KEY,
  b int, -- @renamed from=a
  a text`,
  { data: "INSERT INTO t VALUES (1, 5);", oneWay: true },
);
table("types: int and bigint", "id int PRIMARY KEY, v int", "id int PRIMARY KEY, v bigint", {
  data: "INSERT INTO t VALUES (1, 5);",
});
table("types: varchar lengths", "id int PRIMARY KEY, v varchar(10)", "id int PRIMARY KEY, v varchar(40)");
table("types: numeric precision", "id int PRIMARY KEY, v numeric(6,2)", "id int PRIMARY KEY, v numeric(12,4)");
table("types: text and integer by cast", "id int PRIMARY KEY, v text", "id int PRIMARY KEY, v integer", {
  data: "INSERT INTO t VALUES (1, '42');",
});
table("collation: set and removed", "id int PRIMARY KEY, v text", 'id int PRIMARY KEY, v text COLLATE "C"');
table("types: array column", "id int PRIMARY KEY", "id int PRIMARY KEY, tags text[] DEFAULT '{}'");
table("defaults: set and drop", "id int PRIMARY KEY, v int", "id int PRIMARY KEY, v int DEFAULT 7");
table("defaults: changed", "id int PRIMARY KEY, v text DEFAULT 'a'", "id int PRIMARY KEY, v text DEFAULT 'b'");
table(
  "defaults: now()",
  "id int PRIMARY KEY, created timestamptz",
  "id int PRIMARY KEY, created timestamptz DEFAULT now()",
);
table("not null: set and drop", "id int PRIMARY KEY, v int", "id int PRIMARY KEY, v int NOT NULL", {
  data: "INSERT INTO t VALUES (1, 1);",
});
table("primary key: add and drop", "id int NOT NULL, v int", "id int NOT NULL, v int, PRIMARY KEY (id)");
table(
  "primary key: changed",
  "id int NOT NULL, v int NOT NULL, PRIMARY KEY (id)",
  "id int NOT NULL, v int NOT NULL, PRIMARY KEY (id, v)",
);
table("unique: add and drop", "id int PRIMARY KEY, v int", "id int PRIMARY KEY, v int, CONSTRAINT t_v_key UNIQUE (v)");
table(
  "unique: changed columns",
  "id int PRIMARY KEY, a int, b int, CONSTRAINT uab UNIQUE (a)",
  "id int PRIMARY KEY, a int, b int, CONSTRAINT uab UNIQUE (a, b)",
);
table("checks: add and drop", "id int PRIMARY KEY, n int", "id int PRIMARY KEY, n int, CONSTRAINT n_pos CHECK (n > 0)");
table(
  "checks: changed",
  "id int PRIMARY KEY, n int, CONSTRAINT n_pos CHECK (n > 0)",
  "id int PRIMARY KEY, n int, CONSTRAINT n_pos CHECK (n > 1)",
);
table(
  "checks: column level, unnamed",
  "id int PRIMARY KEY, s text",
  "id int PRIMARY KEY, s text CHECK (length(s) > 1)",
);
table("serial and plain integer (recreated)", "id int PRIMARY KEY, n int", "id int PRIMARY KEY, n serial");
table(
  "identity column (recreated)",
  "id int PRIMARY KEY, n int",
  "id int PRIMARY KEY, n int GENERATED ALWAYS AS IDENTITY",
);
table(
  "generated column (recreated)",
  "id int PRIMARY KEY, a int, g int",
  "id int PRIMARY KEY, a int, g int GENERATED ALWAYS AS (a * 2) STORED",
);
cases.push(
  {
    name: "tables: create and drop",
    from: "CREATE TABLE a (id int PRIMARY KEY);",
    to: "CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id serial PRIMARY KEY, name varchar(20) NOT NULL);",
  },
  {
    name: "tables: rename with a column renamed and one added",
    from: "CREATE TABLE old_t (id int PRIMARY KEY, name text);",
    to: `CREATE TABLE new_t ( -- @renamed from=old_t
      id int PRIMARY KEY,
      full_name text, -- @renamed from=name
      extra int);`,
    data: "INSERT INTO old_t VALUES (1, 'ann');",
    oneWay: true,
  },
  {
    name: "columns: rename by annotation",
    from: "CREATE TABLE t (id int PRIMARY KEY, a int);",
    to: `CREATE TABLE t (id int PRIMARY KEY,
      b int -- @renamed from=a
    );`,
    oneWay: true,
  },
  {
    name: "foreign keys: add and drop",
    from: "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (id int PRIMARY KEY, p_id int);",
    to: `CREATE TABLE p (id int PRIMARY KEY);
      CREATE TABLE c (id int PRIMARY KEY, p_id int, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id));`,
  },
  {
    name: "foreign keys: actions changed",
    from: `CREATE TABLE p (id int PRIMARY KEY);
      CREATE TABLE c (id int PRIMARY KEY, p_id int, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id));`,
    to: `CREATE TABLE p (id int PRIMARY KEY);
      CREATE TABLE c (id int PRIMARY KEY, p_id int,
        CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE ON UPDATE SET NULL);`,
  },
  {
    name: "foreign keys: new tables referencing each other",
    from: "",
    to: `CREATE TABLE parent (id int PRIMARY KEY);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));`,
  },
  {
    name: "indexes: create and drop",
    from: "CREATE TABLE t (id int PRIMARY KEY, v int);",
    to: "CREATE TABLE t (id int PRIMARY KEY, v int); CREATE INDEX t_v ON t (v);",
  },
  {
    name: "indexes: changed to unique, descending, partial",
    from: "CREATE TABLE t (id int PRIMARY KEY, v int); CREATE INDEX t_v ON t (v);",
    to: "CREATE TABLE t (id int PRIMARY KEY, v int); CREATE UNIQUE INDEX t_v ON t (v DESC) WHERE v > 0;",
  },
  {
    name: "indexes: using a method",
    from: "CREATE TABLE t (id int PRIMARY KEY, v int);",
    to: "CREATE TABLE t (id int PRIMARY KEY, v int); CREATE INDEX t_v_hash ON t USING hash (v);",
  },
  {
    name: "views: create and drop",
    from: "CREATE TABLE t (id int PRIMARY KEY, v int);",
    to: "CREATE TABLE t (id int PRIMARY KEY, v int); CREATE VIEW tv AS SELECT id, v FROM t WHERE v > 1;",
  },
  {
    name: "views: changed, and made again when their table changes",
    from: "CREATE TABLE t (id int PRIMARY KEY, v int); CREATE VIEW tv AS SELECT id FROM t;",
    to: "CREATE TABLE t (id int PRIMARY KEY, v bigint, w int); CREATE VIEW tv AS SELECT id, v FROM t;",
  },
  {
    name: "comments: table and column, added, changed and removed",
    from: `CREATE TABLE t (id int PRIMARY KEY, a text, b text);
      COMMENT ON TABLE t IS 'old'; COMMENT ON COLUMN t.a IS 'to go';`,
    to: `CREATE TABLE t (id int PRIMARY KEY, a text, b text);
      COMMENT ON TABLE t IS 'new, it''s quoted'; COMMENT ON COLUMN t.b IS 'added';`,
  },
);

type Row = Record<string, unknown>;

/** The catalogs of schema `s`, with the schema's name taken out. */
async function snapshot(client: pg.Client, s: string): Promise<unknown> {
  const q = async (sql: string) =>
    JSON.parse(JSON.stringify((await client.query(sql, [s])).rows).replaceAll(`${s}.`, "")) as Row[];
  return {
    columns: await q(`SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision,
        numeric_scale, is_nullable, column_default, is_identity, generation_expression, collation_name
      FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, column_name`),
    constraints: await q(`SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) AS def
      FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 ORDER BY 1, 2`),
    indexes: await q("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY 1, 2"),
    views: await q("SELECT viewname, definition FROM pg_views WHERE schemaname = $1 ORDER BY 1"),
    comments: await q(`SELECT c.relname, a.attname, col_description(c.oid, a.attnum) AS col,
        obj_description(c.oid, 'pg_class') AS tab
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1, 2`),
  };
}

async function reset(client: pg.Client, s: string, sql: string): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE; CREATE SCHEMA ${s}; SET search_path TO ${s}`);
  if (sql.trim()) await client.query(sql);
}

async function runStatements(client: pg.Client, statements: string[], what: string): Promise<void> {
  for (const [i, sql] of statements.entries()) {
    try {
      await client.query(sql);
    } catch (err) {
      throw new Error(`${what}: statement ${i + 1} failed: ${sql}\n(${(err as Error).message})`);
    }
  }
}

/** One run of {@linkcode check}: a case in one direction, on two scratch schemas. */
interface CheckRun {
  c: Case;
  from: string;
  to: string;
  /** Where the source is migrated, and where the target is built. */
  schemas: [string, string];
}

async function check(client: pg.Client, run: CheckRun): Promise<void> {
  const { c, from, to, schemas: [a, b] } = run;
  await reset(client, b, to);
  const target = await snapshot(client, b);
  const plan = guardChanges(
    generateSchemaDiff(from, to, { dialect: "postgres", allowDestructive: true }).changes,
    "postgres",
  );
  // Recreated columns are named as unguarded (a second run empties them again) but still reach the target.
  const unguarded = plan.statements.filter((s) =>
    s.unguarded !== undefined && !/recreates the column/.test(s.unguarded)
  );
  assert.deepEqual(unguarded.map((s) => `${s.sql}: ${s.unguarded}`), [], "every statement is guarded");
  assert.equal(plan.transaction?.begin, "BEGIN");
  const statements = plan.statements.map((s) => s.sql);
  const show = `\nguarded script:\n${statements.join(";\n")}`;

  await reset(client, a, from);
  if (from === c.from && c.data) await client.query(c.data);
  await runStatements(client, statements, `first run${show}`);
  await runStatements(client, statements, `second run${show}`);
  assert.deepEqual(await snapshot(client, a), target, `twice: target reached${show}`);

  for (let k = 1; k < statements.length; k++) {
    await reset(client, a, from);
    await runStatements(client, statements.slice(0, k), `first ${k}${show}`);
    await runStatements(client, statements, `whole script after the first ${k}${show}`);
    assert.deepEqual(await snapshot(client, a), target, `resumed after ${k}: target reached${show}`);
  }
}

const RUN = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);

Deno.test({
  name:
    `sql diff --guarded on PostgreSQL: ${cases.length} cases both ways, run twice and resumed after every statement`,
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    // Quiet: IF EXISTS guards that find nothing to do say so as notices.
    await client.query("SET client_min_messages TO warning");
    const schemas: [string, string] = [`guard_${RUN}_a`, `guard_${RUN}_b`];
    const failures: string[] = [];
    try {
      for (const c of cases) {
        try {
          await check(client, { c, from: c.from, to: c.to, schemas });
          if (!c.oneWay) await check(client, { c, from: c.to, to: c.from, schemas });
        } catch (err) {
          failures.push(`${c.name}: ${(err as Error).message}`);
        }
      }
    } finally {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await client.end();
    }
    assert.deepEqual(failures, []);
  },
});

Deno.test({
  name: "sql diff --guarded --dialect postgres prints one transaction that psql runs twice",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const [dir, done] = await tempDir();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const s = `guard_${RUN}_cli`;
    try {
      const from = "CREATE TABLE t (id int PRIMARY KEY, a int);";
      const to = `CREATE TABLE t (id int PRIMARY KEY, b int, -- @renamed from=a
        c text NOT NULL DEFAULT '', CONSTRAINT c_len CHECK (length(c) < 9));`;
      await Deno.writeTextFile(`${dir}/from.sql`, from);
      await Deno.writeTextFile(`${dir}/to.sql`, to);
      const r = await runCli(["sql", "diff", `${dir}/from.sql`, `${dir}/to.sql`, "--dialect", "postgres", "--guarded"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^-- patchops sql diff \(postgres, guarded\): 3 changes/);
      assert.match(r.stdout, /^-- the whole script runs in one transaction$/m);
      assert.match(r.stdout, /^BEGIN;\n[^]*\nCOMMIT;\n$/m);
      assert.match(r.stdout, /DO \$patchops\$ BEGIN IF EXISTS \(SELECT 1 FROM pg_attribute/);
      await reset(client, s, from);
      await Deno.writeTextFile(`${dir}/script.sql`, `SET search_path TO ${s};\n${r.stdout}`);
      const url = new URL(PG_URL);
      for (const run of [1, 2]) {
        const out = await new Deno.Command("psql", {
          args: [
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            url.hostname,
            "-p",
            url.port || "5432",
            "-U",
            url.username,
            "-d",
            url.pathname.slice(1),
            "-f",
            `${dir}/script.sql`,
          ],
          env: { PGPASSWORD: decodeURIComponent(url.password) },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.ok(out.success, `psql run ${run}: ${new TextDecoder().decode(out.stderr)}`);
      }
      const cols = await client.query(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 ORDER BY 1",
        [s],
      );
      assert.deepEqual(cols.rows.map((x: Row) => x.column_name), ["b", "c", "id"]);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await client.end();
      await done();
    }
  },
});

Deno.test({
  name: "sql diff --guarded --dialect postgres: ALTER TYPE ... ADD VALUE and CONCURRENTLY run outside a transaction",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The diff does not make these yet (no enums, no CONCURRENTLY): the statements are given as a future diff would.
    const changes: Change[] = [
      { kind: "alter_table", sql: `ALTER TYPE "mood" ADD VALUE 'calm'`, description: "add value calm to mood" },
      { kind: "create_index", sql: `CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_m" ON "t" ("m")`, description: "index" },
    ];
    const plan = guardChanges(changes, "postgres");
    const script = renderGuardedScript(plan);
    assert.ok(!script.includes("BEGIN;"), "no transaction around a statement that cannot run in one");
    assert.match(
      guardHeader(plan).join("\n"),
      /^-- outside the transaction: add value calm to mood \(before PostgreSQL 12/m,
    );
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query("SET client_min_messages TO warning");
    const s = `guard_${RUN}_enum`;
    try {
      await reset(client, s, `CREATE TYPE mood AS ENUM ('sad'); CREATE TABLE t (id int, m mood);`);
      for (const run of [1, 2]) {
        for (const sql of plan.statements.map((x) => x.sql)) {
          await client.query(sql).catch((err: Error) => assert.fail(`run ${run}: ${sql}: ${err.message}`));
        }
      }
      const values = await client.query("SELECT unnest(enum_range(NULL::mood))::text AS v");
      assert.deepEqual(values.rows.map((r: Row) => r.v), ["sad", "calm"]);
      assert.deepEqual(plan.statements.map((x) => x.sql), [
        `ALTER TYPE "mood" ADD VALUE IF NOT EXISTS 'calm'`,
        `CREATE INDEX CONCURRENTLY IF NOT EXISTS "t_m" ON "t" ("m")`,
      ]);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await client.end();
    }
  },
});
