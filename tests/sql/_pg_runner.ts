/**
 * The runner the PostgreSQL corpora share: each case in two databases on a
 * real server. A is built from `from` and migrated with `sql apply`
 * semantics (migrateDatabase) to `to`; B is built from `to`; the catalogs of
 * A and B must agree in every schema that is not the server's own, a second
 * migration must have nothing to do, and rows must survive. Then the same in
 * reverse.
 *
 * Each failure is classified, so a suite can count them apart:
 * - `refused`: patchops refused before running anything (code
 *   `SqlUnsupported` or `DestructiveWithheld`), the database unchanged;
 * - `failed`: the migration ran and was rolled back, with an error;
 * - `silently wrong`: the migration reported success but the database
 *   differs from one built from the target (or rows were lost);
 * - `not idempotent`: a second diff after a successful migration is not empty.
 */

import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import pg from "pg";
import { migrateDatabase } from "../../src/sql/live/migrate.ts";
import { PG_URL } from "../_env.ts";
import type { PgCase } from "./postgres_corpus.ts";

type Rows = Record<string, unknown>[];

/** The URL of database `db` on the test server. */
export function urlOf(db: string): string {
  const u = new URL(PG_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * One connection per test database, kept for the whole file: a connection
 * costs about 70 ms (SCRAM and a new backend), and a case made a dozen.
 * (The migrations under test open their own, as `sql apply` does.)
 */
const clients = new Map<string, Promise<pg.Client>>();

/** Runs `f` with a client connected to `db` (the server's default database, on a connection of its own, when undefined). */
export async function withClient<T>(db: string | undefined, f: (c: pg.Client) => Promise<T>): Promise<T> {
  if (db === undefined) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      return await f(c);
    } finally {
      await c.end();
    }
  }
  let client = clients.get(db);
  if (client === undefined) {
    client = (async () => {
      const c = new pg.Client({ connectionString: urlOf(db) });
      // A connection the server ends (a dropped database) is made again on next use.
      c.on("error", () => clients.delete(db));
      await c.connect();
      return c;
    })();
    clients.set(db, client);
  }
  const c = await client;
  try {
    return await f(c);
  } finally {
    // What a case's script set for its session (pg_dump's search_path) must not reach the next query.
    await c.query("RESET ALL").catch(() => clients.delete(db));
  }
}

/** Ends the kept connections (before their databases are dropped). */
export async function closeClients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  for (const c of all) await (await c).end().catch(() => {});
}

/** Schemas that belong to the user (not the server's own, not patchops' scratch schemas). */
const USER_NS = `(SELECT oid FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%')`;

/**
 * An ACL as a sorted list of its items, NULL when it grants exactly what the
 * default does (the same privileges written out in another order are equal).
 */
function acl(expr: string, defaults: string): string {
  const sorted = (e: string) => `(SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(${e}) x)`;
  return `CASE WHEN ${expr} IS NULL OR ${sorted(expr)} = ${sorted(defaults)} THEN NULL ELSE ${sorted(expr)} END`;
}

/**
 * An IN list over varchar is stored as `(ARRAY['a'::character varying])::text[]`,
 * and that text read back as `ARRAY[('a'::character varying)::text]`: the
 * same array, written here in the second form.
 */
function sameArray(def: string): string {
  const item = String.raw`'(?:[^']|'')*'::[a-z ]+(?:\(\d+\))?`;
  return def.replace(
    new RegExp(String.raw`\(ARRAY\[(${item}(?:, ${item})*)\]\)::([a-z ]+)\[\]`, "g"),
    (_, items: string, type: string) =>
      `ARRAY[${[...items.matchAll(new RegExp(item, "g"))].map((m) => `(${m[0]})::${type}`).join(", ")}]`,
  );
}

/** What the catalogs say of everything in the user's schemas, in an order that does not depend on history. */
export async function snapshot(c: pg.Client): Promise<Record<string, Rows>> {
  const q = async (sql: string) => (await c.query(sql)).rows as Rows;
  const ns = USER_NS;
  return {
    schemas: await q(
      `SELECT nspname, ${acl("nspacl", "acldefault('n', nspowner)")} AS acl
       FROM pg_namespace WHERE oid IN ${ns} AND nspname <> 'public' ORDER BY 1`,
    ),
    relations: await q(
      `SELECT relnamespace::regnamespace::text AS ns, relname, relkind, relpersistence, relrowsecurity,
              relforcerowsecurity, reloptions::text AS options,
              -- The owner's privileges written out equal the default (NULL).
              ${acl("relacl", `acldefault(CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", relowner)`)} AS acl,
              pg_get_partkeydef(oid) AS partkey, pg_get_expr(relpartbound, oid) AS bound,
              (SELECT string_agg(inhparent::regclass::text, ',') FROM pg_inherits WHERE inhrelid = c.oid) AS parents
       FROM pg_class c WHERE relnamespace IN ${ns} AND relkind IN ('r','p','v','m','S','f') ORDER BY 1, 2`,
    ),
    columns: await q(
      `SELECT c.relnamespace::regnamespace::text AS ns, c.relname, a.attname,
              format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, a.attidentity,
              a.attgenerated, (SELECT collname FROM pg_collation WHERE oid = a.attcollation) AS coll,
              ${acl("a.attacl", "'{}'::aclitem[]")} AS acl,
              regexp_replace(coalesce(pg_get_expr(d.adbin, d.adrelid), ''), 'nextval\\(''[^'']*''', 'nextval(') AS def
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relnamespace IN ${ns} AND c.relkind IN ('r','p','v','m','c') AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY 1, 2, 3`,
    ),
    constraints: (await q(
      `SELECT connamespace::regnamespace::text AS ns, conrelid::regclass::text AS t, contypid::regtype::text AS ty,
              conname, pg_get_constraintdef(oid) AS def, condeferrable, condeferred, connoinherit
       FROM pg_constraint WHERE connamespace IN ${ns} ORDER BY 1, 2, 3, 4`,
    )).map((r) => ({ ...r, def: sameArray(String(r.def)) })),
    indexes: await q(
      `SELECT schemaname, indexname, indexdef FROM pg_indexes
       WHERE quote_ident(schemaname)::regnamespace IN ${ns} ORDER BY 1, 2`,
    ),
    views: await q(
      `SELECT schemaname, viewname AS name, definition FROM pg_views WHERE quote_ident(schemaname)::regnamespace IN ${ns}
       UNION ALL SELECT schemaname, matviewname, definition FROM pg_matviews WHERE quote_ident(schemaname)::regnamespace IN ${ns}
       ORDER BY 1, 2`,
    ),
    types: await q(
      `SELECT t.typnamespace::regnamespace::text AS ns, t.typname, t.typtype,
              format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull, t.typdefault,
              ${acl("t.typacl", "acldefault('T', t.typowner)")} AS acl,
              (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid) AS labels
       FROM pg_type t WHERE t.typnamespace IN ${ns} AND t.typtype IN ('e','c','d','r')
         AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e') ORDER BY 1, 2`,
    ),
    sequences: await q(
      `SELECT schemaname, sequencename, data_type::text, start_value, min_value, max_value, increment_by, cycle,
              cache_size
       FROM pg_sequences WHERE quote_ident(schemaname)::regnamespace IN ${ns} ORDER BY 1, 2`,
    ),
    owned: await q(
      `SELECT s.relnamespace::regnamespace::text AS ns, s.relname, t.relname AS owner, a.attname
       FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
       JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
       WHERE s.relkind = 'S' AND s.relnamespace IN ${ns} AND d.deptype IN ('a', 'i') ORDER BY 1, 2`,
    ),
    functions: await q(
      `SELECT p.pronamespace::regnamespace::text AS ns, p.proname,
              pg_get_function_identity_arguments(p.oid) AS args, pg_get_functiondef(p.oid) AS def,
              ${acl("p.proacl", "acldefault('f', p.proowner)")} AS acl
       FROM pg_proc p WHERE p.pronamespace IN ${ns} AND p.prokind IN ('f','p')
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1, 2, 3`,
    ),
    triggers: await q(
      `SELECT c.relnamespace::regnamespace::text AS ns, tgname, pg_get_triggerdef(t.oid) AS def
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
       WHERE c.relnamespace IN ${ns} AND NOT t.tgisinternal ORDER BY 1, 2, 3`,
    ),
    policies: await q(
      `SELECT schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check FROM pg_policies
       WHERE quote_ident(schemaname)::regnamespace IN ${ns} ORDER BY 1, 2, 3`,
    ),
    comments: await q(
      `SELECT pg_describe_object(classoid, objoid, objsubid) AS what, description FROM pg_description
       WHERE pg_describe_object(classoid, objoid, objsubid) IS NOT NULL
         AND (classoid, objoid) NOT IN (SELECT 'pg_namespace'::regclass, oid FROM pg_namespace WHERE nspname = 'public')
         AND (objoid >= 16384) ORDER BY 1`,
    ),
    extensions: await q(`SELECT extname, extnamespace::regnamespace::text AS ns FROM pg_extension ORDER BY 1`),
  };
}

/** The rows a query returns in `db`, as strings. */
export async function rowsOf(db: string, sql: string): Promise<string[][]> {
  return await withClient(
    db,
    async (x) => ((await x.query(sql)).rows as Rows).map((r) => Object.values(r).map(String)),
  );
}

/**
 * Empties `db` (every user schema and extension; public made anew) and builds
 * `sql` in it: cheaper than a new database.
 */
export async function fresh(db: string, sql: string, data?: string): Promise<void> {
  await withClient(db, async (c) => {
    const extensions = (await c.query("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")).rows as Rows;
    for (const e of extensions) await c.query(`DROP EXTENSION IF EXISTS "${e.extname}" CASCADE`);
    const schemas = (await c.query(`SELECT nspname FROM pg_namespace WHERE oid IN ${USER_NS}`)).rows as Rows;
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s.nspname}" CASCADE`);
    // public as initdb makes it in PostgreSQL 15 (so that pg_dump prints nothing of it, as of a real database).
    await c.query(`CREATE SCHEMA public AUTHORIZATION pg_database_owner; GRANT USAGE ON SCHEMA public TO PUBLIC;
      COMMENT ON SCHEMA public IS 'standard public schema'`);
    await c.query(sql);
    if (data) await c.query(data);
  });
}

/** How a case ended. */
export type Outcome = "converged" | "refused" | "failed" | "silently wrong" | "not idempotent";

/** A failed case, with how it failed. */
export class CaseFailure extends Error {
  constructor(readonly outcome: Exclude<Outcome, "converged">, message: string, options?: ErrorOptions) {
    super(`[${outcome}] ${message}`, options);
  }
}

/** One direction: A at `from` (already built) migrated to `to`, compared with B built from `to`. */
async function direction(a: string, b: string, to: string, c: PgCase, before?: string[][]): Promise<void> {
  // B first: a target the server itself rejects is a broken case, not a failure of patchops.
  try {
    await fresh(b, to);
  } catch (err) {
    throw new Error(`the case's target does not build: ${(err as Error).message}`, { cause: err });
  }
  const snapBefore = await withClient(a, snapshot);
  try {
    const { plan } = await migrateDatabase(to, urlOf(a), { allowDestructive: true, lockTimeoutSeconds: 120 });
    // Without --allow-destructive, a statement that drops rows must be withheld: it must be marked.
    const unmarked = plan.changes.filter((x) => /\bDROP\s+(TABLE|COLUMN)\b/i.test(x.sql) && !x.destructive);
    if (unmarked.length) {
      throw new CaseFailure("silently wrong", `not marked destructive: ${unmarked.map((x) => x.sql).join("; ")}`);
    }
  } catch (err) {
    if (err instanceof CaseFailure) throw err;
    const code = (err as { code?: string }).code;
    let unchanged = false;
    try {
      unchanged = isDeepStrictEqual(await withClient(a, snapshot), snapBefore);
    } catch {
      // The database cannot even be read back: counted as changed.
    }
    if (!unchanged) {
      throw new CaseFailure("silently wrong", `a failed migration left changes: ${(err as Error).message}`);
    }
    if (code === "SqlUnsupported" || code === "DestructiveWithheld") {
      throw new CaseFailure("refused", (err as Error).message, { cause: err });
    }
    throw new CaseFailure("failed", (err as Error).message, { cause: err });
  }
  const [snapA, snapB] = [await withClient(a, snapshot), await withClient(b, snapshot)];
  for (const key of Object.keys(snapB)) {
    try {
      assert.deepEqual(snapA[key], snapB[key], `${key} differ`);
    } catch (err) {
      throw new CaseFailure("silently wrong", (err as Error).message);
    }
  }
  if (before && c.check) {
    try {
      assert.deepEqual(await rowsOf(a, c.check), before, "rows survive");
    } catch (err) {
      throw new CaseFailure("silently wrong", (err as Error).message);
    }
  }
  const again = await migrateDatabase(to, urlOf(a), { dryRun: true, lockTimeoutSeconds: 120 });
  if (again.plan.changes.length > 0) {
    throw new CaseFailure("not idempotent", `second diff not empty:\n${again.plan.sql}`);
  }
}

/**
 * Runs case `c` forward (and, unless `oneWay`, in reverse) in databases `a`
 * and `b`; throws a {@linkcode CaseFailure} that says how it failed.
 */
export async function runCase(a: string, b: string, c: PgCase): Promise<void> {
  try {
    await fresh(a, c.from, c.data);
  } catch (err) {
    throw new Error(`the case's own "from" does not build: ${(err as Error).message}`, { cause: err });
  }
  const before = c.check ? await rowsOf(a, c.check) : undefined;
  await direction(a, b, c.to, c, before).catch((err) => {
    if (err instanceof CaseFailure) err.message = `forward: ${err.message}`;
    throw err;
  });
  if (c.oneWay) return;
  await direction(a, b, c.from, c).catch((err) => {
    if (err instanceof CaseFailure) err.message = `reverse: ${err.message}`;
    throw err;
  });
}

/** Creates (anew) the databases a test file uses. */
export async function createDatabases(names: string[]): Promise<void> {
  await withClient(undefined, async (c) => {
    for (const db of names) {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${db}`);
      // Test databases need no durability: a commit need not wait for the WAL to reach the disk (the migrations,
      // the catalogs and what is compared are the same; only the fsync at each of the many commits is saved).
      await c.query(`ALTER DATABASE ${db} SET synchronous_commit = off`);
    }
  });
}

/** Drops the databases a test file used. */
export async function dropDatabases(names: string[]): Promise<void> {
  await closeClients();
  await withClient(undefined, async (c) => {
    for (const db of names) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });
}

/** What `pg_dump --schema-only` prints of a database built from `sql` in `db` (psql meta-commands removed). */
export async function viaPgDump(db: string, sql: string): Promise<string> {
  await fresh(db, sql);
  const out = await new Deno.Command("pg_dump", {
    args: ["--schema-only", urlOf(db)],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) throw new Error(`pg_dump failed: ${new TextDecoder().decode(out.stderr)}`);
  // pg_dump 15.14 and later wrap the script in \restrict / \unrestrict, which only psql understands; tools that
  // keep a structure.sql (Rails) remove them.
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => !l.startsWith("\\")).join("\n");
}
