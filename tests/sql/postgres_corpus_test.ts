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
import pg from "pg";
import { migrateDatabase } from "../../src/sql/live/migrate.ts";
import { have, PG_URL } from "../_env.ts";
import { PG_CORPUS, type PgCase } from "./postgres_corpus.ts";

const HAVE_PG = await have("postgres");

type Rows = Record<string, unknown>[];

function urlOf(db: string): string {
  const u = new URL(PG_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

async function withClient<T>(db: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: urlOf(db) });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** What the catalogs say of everything in the public schema, in an order that does not depend on history. */
export async function snapshot(c: pg.Client): Promise<Record<string, Rows>> {
  const q = async (sql: string) => (await c.query(sql)).rows as Rows;
  const ns = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())";
  return {
    relations: await q(
      `SELECT relname, relkind, relpersistence, relrowsecurity, relforcerowsecurity,
              -- The owner's privileges written out equal the default (NULL).
              CASE WHEN relacl = acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", relowner)
                   THEN NULL ELSE relacl::text END AS acl,
              pg_get_partkeydef(oid) AS partkey,
              (SELECT string_agg(inhparent::regclass::text, ',') FROM pg_inherits WHERE inhrelid = c.oid) AS parents
       FROM pg_class c WHERE relnamespace = ${ns} AND relkind IN ('r','p','v','m','S','f') ORDER BY relname`,
    ),
    columns: await q(
      `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attidentity,
              a.attgenerated, (SELECT collname FROM pg_collation WHERE oid = a.attcollation) AS coll,
              regexp_replace(coalesce(pg_get_expr(d.adbin, d.adrelid), ''), 'nextval\\(''[^'']*''', 'nextval(') AS def
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace = ${ns} AND c.relkind IN ('r','p','v','m','c') AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY 1, 2`,
    ),
    constraints: await q(
      `SELECT conrelid::regclass::text AS t, contypid::regtype::text AS ty, conname, pg_get_constraintdef(oid) AS def,
              condeferrable, condeferred, connoinherit
       FROM pg_constraint WHERE connamespace = ${ns} ORDER BY 1, 2, 3`,
    ),
    indexes: await q(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1`),
    views: await q(
      `SELECT viewname AS name, definition FROM pg_views WHERE schemaname = current_schema()
       UNION ALL SELECT matviewname, definition FROM pg_matviews WHERE schemaname = current_schema() ORDER BY 1`,
    ),
    types: await q(
      `SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull, t.typdefault,
              (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid) AS labels
       FROM pg_type t WHERE t.typnamespace = ${ns} AND t.typtype IN ('e','c','d','r')
         AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c') ORDER BY 1`,
    ),
    sequences: await q(
      `SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle, cache_size
       FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1`,
    ),
    owned: await q(
      `SELECT s.relname, t.relname AS owner, a.attname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
       JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
       WHERE s.relkind = 'S' AND s.relnamespace = ${ns} AND d.deptype IN ('a', 'i') ORDER BY 1`,
    ),
    functions: await q(
      `SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args, pg_get_functiondef(p.oid) AS def
       FROM pg_proc p WHERE p.pronamespace = ${ns} AND p.prokind IN ('f','p') ORDER BY 1, 2`,
    ),
    triggers: await q(
      `SELECT tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE c.relnamespace = ${ns} AND NOT t.tgisinternal ORDER BY 1, 2`,
    ),
    policies: await q(
      `SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check FROM pg_policies
       WHERE schemaname = current_schema() ORDER BY 1, 2`,
    ),
    comments: await q(
      `SELECT pg_describe_object(classoid, objoid, objsubid) AS what, description FROM pg_description
       WHERE pg_describe_object(classoid, objoid, objsubid) IS NOT NULL
         AND (classoid, objoid) NOT IN (SELECT 'pg_namespace'::regclass, oid FROM pg_namespace)
         AND (objoid >= 16384) ORDER BY 1`,
    ),
    extensions: await q(`SELECT extname FROM pg_extension ORDER BY 1`),
  };
}

async function rowsOf(db: string, sql: string): Promise<string[][]> {
  return await withClient(
    db,
    async (x) => ((await x.query(sql)).rows as Rows).map((r) => Object.values(r).map(String)),
  );
}

/** Empties `db` (its public schema and extensions) and builds `sql` in it: cheaper than a new database. */
async function fresh(db: string, sql: string, data?: string): Promise<void> {
  await withClient(db, async (c) => {
    const extensions = (await c.query("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")).rows as Rows;
    for (const e of extensions) await c.query(`DROP EXTENSION IF EXISTS "${e.extname}" CASCADE`);
    await c.query("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; GRANT ALL ON SCHEMA public TO PUBLIC");
    await c.query(sql);
    if (data) await c.query(data);
  });
}

/** One direction: A at `from` (already built) migrated to `to`, compared with B built from `to`. */
async function direction(a: string, b: string, to: string, c: PgCase, before?: string[][]) {
  await migrateDatabase(to, urlOf(a), { allowDestructive: true, lockTimeoutSeconds: 120 });
  const again = await migrateDatabase(to, urlOf(a), { dryRun: true, lockTimeoutSeconds: 120 });
  assert.equal(again.plan.changes.length, 0, `second diff not empty:\n${again.plan.sql}`);
  await fresh(b, to);
  const [snapA, snapB] = [await withClient(a, snapshot), await withClient(b, snapshot)];
  for (const key of Object.keys(snapB)) assert.deepEqual(snapA[key], snapB[key], `${key} differ`);
  if (before && c.check) {
    assert.deepEqual(await rowsOf(a, c.check), before, "rows survive");
  }
}

// Two databases for the whole file, emptied before each case.
const A = `pc_${Deno.pid}_a`;
const B = `pc_${Deno.pid}_b`;

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

Deno.test({
  name: "PostgreSQL corpus: the databases are created",
  ignore: !HAVE_PG,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    admin(async (c) => {
      for (const db of [A, B]) {
        await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${db}`);
      }
    }),
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
      const [a, b] = [A, B];
      await fresh(a, c.from, c.data);
      if (c.refused) {
        const snap = await withClient(a, snapshot);
        await assert.rejects(
          migrateDatabase(c.to, urlOf(a), { allowDestructive: true }),
          (err: Error & { code?: string }) => {
            assert.equal(err.code, "SqlUnsupported", err.message);
            assert.match(err.message, c.refused!);
            return true;
          },
        );
        assert.deepEqual(await withClient(a, snapshot), snap, "a refused migration changed nothing");
        return;
      }
      const all = async () => {
        const before = c.check ? await rowsOf(a, c.check) : undefined;
        await direction(a, b, c.to, c, before);
        if (!c.oneWay) await direction(a, b, c.from, c);
      };
      if (c.knownLimit !== undefined) await assert.rejects(all(), Error, `fixed? ${c.knownLimit}`);
      else await all();
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
  fn: () =>
    admin(async (c) => {
      for (const db of [A, B]) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }),
});
