/**
 * PostgreSQL objects beyond tables offline (`sql diff --dialect postgres`):
 * enum values added in place and removals made by remaking the type, functions replaced in
 * place only when their result type stays, grants expanded, and the
 * regressions of issue 15 (a literal's case in views, `CREATE TABLE t ()`,
 * partitioned tables created plain).
 */

import assert from "node:assert/strict";
import { generateSchemaDiff } from "../../src/sql/mod.ts";

const diff = (from: string | undefined, to: string) =>
  generateSchemaDiff(from, to, { dialect: "postgres", allowDestructive: true });
const sqls = (from: string | undefined, to: string) => diff(from, to).changes.map((c) => c.sql);

Deno.test("enum values are added where the target puts them, before or after their neighbours", () => {
  assert.deepEqual(
    sqls(
      "CREATE TYPE mood AS ENUM ('sad', 'happy');",
      "CREATE TYPE mood AS ENUM ('awful', 'sad', 'ok', 'happy', 'ecstatic');",
    ),
    [
      `ALTER TYPE "mood" ADD VALUE 'awful' BEFORE 'sad'`,
      `ALTER TYPE "mood" ADD VALUE 'ok' AFTER 'sad'`,
      `ALTER TYPE "mood" ADD VALUE 'ecstatic' AFTER 'happy'`,
    ],
  );
});

Deno.test("an enum value removed or reordered remakes the type, withheld as destructive unless allowed", () => {
  for (const to of ["('sad')", "('happy', 'sad')"]) {
    const from = "CREATE TYPE mood AS ENUM ('sad', 'happy');";
    const [change] = diff(from, `CREATE TYPE mood AS ENUM ${to};`).changes;
    assert.match(change!.sql, /^ALTER TYPE "mood" RENAME TO "mood__patchops_old";\nCREATE TYPE mood AS ENUM/);
    assert.match(change!.sql, /USING %I::text::%s/);
    assert.match(change!.sql, /\nDROP TYPE "mood__patchops_old"$/);
    assert.ok(change!.destructive);
    const held = generateSchemaDiff(from, `CREATE TYPE mood AS ENUM ${to};`, { dialect: "postgres" });
    assert.equal(held.withheld.length, 1);
  }
});

Deno.test("a function is replaced in place when its result type stays, dropped and made again when it changes", () => {
  const f = (ret: string, body: string) =>
    `CREATE FUNCTION add(a integer, b integer) RETURNS ${ret} LANGUAGE sql AS $$ ${body} $$;`;
  assert.deepEqual(sqls(f("integer", "SELECT a + b"), f("integer", "SELECT b + a")), [
    "CREATE OR REPLACE FUNCTION add(a integer, b integer) RETURNS integer LANGUAGE sql AS $$ SELECT b + a $$",
  ]);
  assert.deepEqual(sqls(f("integer", "SELECT a + b"), f("bigint", "SELECT a + b")), [
    'DROP FUNCTION "add"(a integer, b integer)',
    "CREATE OR REPLACE FUNCTION add(a integer, b integer) RETURNS bigint LANGUAGE sql AS $$ SELECT a + b $$",
  ]);
  assert.deepEqual(sqls(f("integer", "SELECT a + b"), "CREATE TABLE t (a int);").slice(-1), [
    'DROP FUNCTION "add"(a integer, b integer)',
  ]);
});

Deno.test("objects are made in dependency order and dropped in reverse", () => {
  const to = `CREATE TYPE mood AS ENUM ('a');
    CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TABLE t (id int, m mood);
    CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
    ALTER TABLE t ENABLE ROW LEVEL SECURITY;
    CREATE POLICY p ON t USING (true);
    GRANT SELECT ON t TO PUBLIC;
    COMMENT ON TYPE mood IS 'feelings';`;
  const kinds = (list: string[]) => list.map((s) => s.split(/\s+/).slice(0, 2).join(" "));
  const up = sqls(undefined, to);
  assert.deepEqual(kinds(up), [
    "CREATE TYPE",
    "CREATE OR",
    "CREATE TABLE",
    "CREATE TRIGGER",
    "CREATE POLICY",
    "ALTER TABLE",
    "GRANT SELECT",
    "COMMENT ON",
  ]);
  const down = sqls(to, "CREATE TABLE t (id int, m text);");
  assert.deepEqual(kinds(down), [
    "COMMENT ON",
    "REVOKE SELECT",
    "ALTER TABLE",
    "DROP POLICY",
    "DROP TRIGGER",
    "ALTER TABLE",
    "DROP FUNCTION",
    "DROP TYPE",
  ]);
  // The column stops using the type before the type goes.
  assert.ok(
    down.indexOf('ALTER TABLE "t" ALTER COLUMN "m" TYPE text USING "m"::text') < down.indexOf('DROP TYPE "mood"'),
  );
});

Deno.test("GRANT ALL is the list of privileges; a REVOKE in a schema file is refused", () => {
  assert.equal(sqls("CREATE TABLE t (a int);", "CREATE TABLE t (a int); GRANT ALL ON t TO PUBLIC;").length, 7);
  assert.deepEqual(
    sqls(
      "CREATE TABLE t (a int); GRANT ALL ON t TO PUBLIC;",
      "CREATE TABLE t (a int); GRANT SELECT ON TABLE t TO public;",
    ),
    [
      'REVOKE INSERT ON "t" FROM PUBLIC',
      'REVOKE UPDATE ON "t" FROM PUBLIC',
      'REVOKE DELETE ON "t" FROM PUBLIC',
      'REVOKE TRUNCATE ON "t" FROM PUBLIC',
      'REVOKE REFERENCES ON "t" FROM PUBLIC',
      'REVOKE TRIGGER ON "t" FROM PUBLIC',
    ],
  );
  assert.throws(() => diff(undefined, "CREATE TABLE t (a int);\nREVOKE ALL ON t FROM PUBLIC;"), {
    code: "SqlUnsupported",
    message: /^line 2: REVOKE in a schema file is not modelled/,
  });
});

Deno.test("regression (issue 15): a view's literal keeps its case, so 'Ann' and 'ann' differ", () => {
  const v = (name: string) =>
    `CREATE TABLE t (id int, name text); CREATE VIEW v AS SELECT id FROM t WHERE name = '${name}';`;
  assert.equal(diff(v("ann"), v("Ann")).changes.length, 2);
  assert.equal(diff(v("Ann"), v("Ann")).changes.length, 0);
  const s = (name: string) =>
    `CREATE TABLE t (id INTEGER, name TEXT); CREATE VIEW v AS SELECT id FROM t WHERE name = '${name}';`;
  assert.equal(generateSchemaDiff(s("ann"), s("Ann"), { dialect: "sqlite" }).changes.length, 2);
});

Deno.test("regression (issue 15): a SQLite default keeps its case", () => {
  const t = (d: string) => `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT '${d}');`;
  assert.ok(generateSchemaDiff(t("ann"), t("Ann"), { dialect: "sqlite", allowDestructive: true }).changes.length > 0);
});

Deno.test("regression (issue 15): CREATE TABLE t () makes a table named t", () => {
  assert.deepEqual(sqls(undefined, "CREATE TABLE t ();"), ['CREATE TABLE "t" (\n  \n)']);
});

Deno.test("a partitioned table keeps its key, a partition is made PARTITION OF it, a changed key is refused", () => {
  const parent = "CREATE TABLE m (d date, v int) PARTITION BY RANGE (d);";
  const part = "CREATE TABLE m24 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
  assert.deepEqual(sqls(undefined, `${parent}\n${part}`), [
    'CREATE TABLE "m" (\n  "d" date,\n  "v" integer\n) PARTITION BY RANGE (d)',
    `CREATE TABLE "m24" PARTITION OF "m" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`,
  ]);
  const dropped = diff(`${parent}\n${part}`, parent).changes;
  assert.deepEqual(dropped.map((c) => [c.sql, Boolean(c.destructive)]), [['DROP TABLE "m24"', true]]);
  for (const other of ["CREATE TABLE m (d date, v int);", "CREATE TABLE m (d date, v int) PARTITION BY LIST (v);"]) {
    assert.throws(() => diff(parent, other), {
      code: "SqlUnsupported",
      message: /changing how a table is partitioned/,
    });
  }
});

Deno.test("regression (issue 15): inherited tables and sub-partitions are refused, not created plain", () => {
  for (
    const t of [
      "CREATE TABLE c (x int) INHERITS (p);",
      "CREATE TABLE c PARTITION OF p FOR VALUES IN (1) PARTITION BY LIST (x);",
    ]
  ) {
    assert.throws(() => diff(undefined, `CREATE TABLE p (x int);\n${t}`), {
      code: "SqlUnsupported",
      message: /^line 2: /,
    });
  }
});

Deno.test("an unlogged table is created unlogged and switched with SET LOGGED / SET UNLOGGED", () => {
  assert.deepEqual(sqls(undefined, "CREATE UNLOGGED TABLE u (x int);"), [
    'CREATE UNLOGGED TABLE "u" (\n  "x" integer\n)',
  ]);
  assert.deepEqual(sqls("CREATE UNLOGGED TABLE u (x int);", "CREATE TABLE u (x int);"), ['ALTER TABLE "u" SET LOGGED']);
  assert.deepEqual(sqls("CREATE TABLE u (x int);", "CREATE UNLOGGED TABLE u (x int);"), [
    'ALTER TABLE "u" SET UNLOGGED',
  ]);
});

Deno.test("columns of the user's types (enums, domains, ranges node-sql-parser does not know) keep their type", () => {
  assert.deepEqual(
    sqls(
      "CREATE TABLE p (id int);",
      `CREATE TYPE mood AS ENUM ('a'); CREATE TABLE p (id int, m mood, ms mood[], r tsrange, "q" "Quoted");`,
    ).slice(1),
    [
      'ALTER TABLE "p" ADD COLUMN "m" mood',
      'ALTER TABLE "p" ADD COLUMN "ms" mood[]',
      'ALTER TABLE "p" ADD COLUMN "r" tsrange',
      'ALTER TABLE "p" ADD COLUMN "q" "Quoted"',
    ],
  );
});

Deno.test("offline: int2, int8, float4 and float8 are the types they name (node-sql-parser reads INT(2), FLOAT(8))", () => {
  const t = (type: string) => `CREATE TABLE t (v ${type});`;
  assert.deepEqual(sqls(t("int2"), t("int8")), ['ALTER TABLE "t" ALTER COLUMN "v" TYPE bigint USING "v"::bigint']);
  assert.deepEqual(sqls(t("float4"), t("float8")), [
    'ALTER TABLE "t" ALTER COLUMN "v" TYPE double precision USING "v"::double precision',
  ]);
  assert.deepEqual(sqls(t("int4"), t("integer")), []);
});

Deno.test("offline: NOT NULL before a column CHECK and DEFAULT is kept", () => {
  assert.deepEqual(
    sqls("CREATE TABLE t (id int);", "CREATE TABLE t (id int, n integer NOT NULL CHECK (n >= 0) DEFAULT 1);"),
    [
      'ALTER TABLE "t" ADD COLUMN "n" integer NOT NULL DEFAULT 1',
      'ALTER TABLE "t" ADD CONSTRAINT "t_n_check" CHECK ("n" >= 0)',
    ],
  );
});

Deno.test("offline: a column's CONSTRAINT name names its check, key or reference; unnamed checks are named as PostgreSQL does", () => {
  const to = `CREATE TABLE p (id int PRIMARY KEY);
CREATE TABLE t (a int CONSTRAINT a_pos CHECK (a > 0), b int CONSTRAINT b_ref REFERENCES p (id), c int CONSTRAINT c_u UNIQUE,
  d int CHECK (d > a), CHECK (a < b));`;
  const made = sqls(undefined, to).join("\n");
  for (const name of ["a_pos", "b_ref", "c_u", "t_check", "t_check1"]) assert.match(made, new RegExp(`"${name}"`));
  assert.doesNotMatch(made, /t_a_check|t_b_fkey|t_c_key|t_d_check/);
});

Deno.test("offline: MATCH FULL in CREATE TABLE is refused rather than dropped", () => {
  assert.throws(
    () =>
      diff(
        undefined,
        "CREATE TABLE r (a int, b int, UNIQUE (a, b)); CREATE TABLE t (a int, b int, FOREIGN KEY (a, b) REFERENCES r (a, b) MATCH FULL);",
      ),
    { code: "SqlUnsupported", message: /MATCH FULL/ },
  );
});

Deno.test("a column that must be dropped and added again is refused when a key or index stands on it", () => {
  // A stored generated column made plain (PostgreSQL 15 cannot drop the expression in place).
  assert.throws(
    () =>
      diff(
        "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED); CREATE INDEX t_b ON t (b);",
        "CREATE TABLE t (a int, b int); CREATE INDEX t_b ON t (b);",
      ),
    { code: "SqlUnsupported", message: /column "b" of "t" would be dropped and added again, which drops "t_b"/ },
  );
});

Deno.test("an identity made a serial again is switched in place: the column, its key and rows stay", () => {
  const { sql } = diff(
    "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    "CREATE TABLE t (id serial PRIMARY KEY);",
  );
  assert.doesNotMatch(sql, /DROP COLUMN|ADD COLUMN/);
  assert.match(sql, /ALTER TABLE "t" ALTER COLUMN "id" DROP IDENTITY;/);
  assert.match(sql, /CREATE SEQUENCE IF NOT EXISTS "t_id_seq" AS integer OWNED BY "t"\."id";/);
  assert.match(sql, /SET DEFAULT nextval\('"t_id_seq"'::regclass\);/);
  assert.match(sql, /SELECT setval\('"t_id_seq"', coalesce\(max\("id"\), 0\) \+ 1, false\) FROM "t";/);
});

Deno.test("an identity's sequence options are compared and set in place (CREATE TABLE and pg_dump's ADD GENERATED)", () => {
  const written = (start: string) =>
    `CREATE TABLE t (id bigint GENERATED BY DEFAULT AS IDENTITY ${start} PRIMARY KEY);`;
  const dumped = (start: string) =>
    `CREATE TABLE t (id bigint NOT NULL);
ALTER TABLE ONLY t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME t_id_seq START WITH ${start});
ALTER TABLE ONLY t ADD CONSTRAINT t_pkey PRIMARY KEY (id);`;
  const set =
    'ALTER TABLE "t" ALTER COLUMN "id" SET INCREMENT BY 1 SET MINVALUE 1 SET MAXVALUE 9223372036854775807 SET START WITH 1000 SET CACHE 1 SET NO CYCLE';
  const reset =
    'ALTER TABLE "t" ALTER COLUMN "id" SET INCREMENT BY 1 SET NO MINVALUE SET NO MAXVALUE SET START WITH 1 SET CACHE 1 SET NO CYCLE';
  assert.deepEqual(sqls(written(""), written("(START WITH 1000)")), [set]);
  assert.deepEqual(sqls(written("(START WITH 1000)"), written("")), [reset]);
  assert.deepEqual(sqls(dumped("1"), dumped("1000")), [set]);
  // The defaults written out are no change; pg_dump's form equals the CREATE TABLE form.
  assert.deepEqual(sqls(written(""), written("(START WITH 1 INCREMENT BY 1)")), []);
  assert.deepEqual(sqls(written("(START WITH 1000)"), dumped("1000")), []);
  assert.throws(
    () => diff(undefined, dumped("1").replace("SEQUENCE NAME t_id_seq", "SEQUENCE NAME other_seq")),
    { code: "SqlUnsupported", message: /only the default name t_id_seq/ },
  );
});

Deno.test("ALTER SEQUENCE options are read for a column's sequence, refused for one the file creates", () => {
  assert.deepEqual(
    sqls(
      "CREATE TABLE t (id serial PRIMARY KEY);",
      "CREATE TABLE t (id serial PRIMARY KEY); ALTER SEQUENCE t_id_seq INCREMENT BY 50 CACHE 50;",
    ),
    ['ALTER SEQUENCE "t_id_seq" INCREMENT BY 50 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 50 NO CYCLE'],
  );
  assert.throws(
    () => diff(undefined, "CREATE SEQUENCE s; ALTER SEQUENCE s INCREMENT BY 5;"),
    { code: "SqlUnsupported", message: /changes a sequence this file creates/ },
  );
});

Deno.test("a domain's DEFAULT and NOT NULL are altered in place (DROP DOMAIN fails while a column uses it)", () => {
  const domain = (rest: string) =>
    `CREATE DOMAIN amount AS numeric(12,2)${rest} CONSTRAINT amount_check CHECK (VALUE > 0);
CREATE TABLE p (id int PRIMARY KEY, a amount);`;
  assert.deepEqual(sqls(domain(""), domain(" DEFAULT 1 NOT NULL")), [
    'ALTER DOMAIN "amount" SET DEFAULT 1',
    'ALTER DOMAIN "amount" SET NOT NULL',
  ]);
  assert.deepEqual(sqls(domain(" DEFAULT 1 NOT NULL"), domain("")), [
    'ALTER DOMAIN "amount" DROP DEFAULT',
    'ALTER DOMAIN "amount" DROP NOT NULL',
  ]);
  // Another base type: made again, as before.
  assert.ok(sqls(domain(""), domain("").replace("numeric(12,2)", "numeric(14,2)")).some((s) => /^DROP DOMAIN/.test(s)));
});
