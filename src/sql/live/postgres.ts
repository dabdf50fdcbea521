/**
 * A live PostgreSQL database: a real server through npm's `pg`, or PGlite
 * (`pglite:<dir>`, `pglite:memory`), PostgreSQL compiled to WebAssembly and
 * run in-process. The schema is read from the catalogs and written out as a
 * script our parser reads; the migration runs in one transaction under an
 * advisory lock.
 *
 * @module
 */

import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PatchopsError } from "../../errors.ts";
import type { LiveDatabase } from "./database.ts";
import { quoteIdent as q, quoteString } from "../postgres/quote.ts";
import type { DbUrl } from "./url.ts";
import { splitStatements } from "../split.ts";

type Row = Record<string, unknown>;

/** The little a PostgreSQL client must do for us. */
interface PgClient {
  query(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

async function connectPg(url: DbUrl): Promise<PgClient> {
  if (url.driverUrl.startsWith("pglite:")) {
    const where = url.driverUrl.slice("pglite:".length);
    const db = where === "memory" || where === "" ? new PGlite() : new PGlite(where);
    await db.waitReady;
    return {
      query: async (sql, params) => (await db.query<Row>(sql, params)).rows,
      exec: async (sql) => {
        await db.exec(sql);
      },
      close: () => db.close(),
    };
  }
  const client = new pg.Client({ connectionString: url.driverUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new PatchopsError("DbFailed", `cannot connect to "${url.display}" (${(err as Error).message})`);
  }
  return {
    query: async (sql, params) => (await client.query(sql, params)).rows as Row[],
    exec: async (sql) => {
      await client.query(sql);
    },
    close: () => client.end(),
  };
}

/**
 * Removes the qualifier of the introspected schema from text the server
 * qualifies whatever the search path (pg_get_indexdef, pg_get_functiondef),
 * so that a live schema and a scratch schema print alike.
 */
function unqualify(text: string, schema: string): string {
  const names = [q(schema), ...(/^[a-z_][a-z0-9_$]*$/.test(schema) ? [schema] : [])];
  let out = text;
  for (const n of names) out = out.replaceAll(`${n}.`, "");
  return out;
}

/**
 * Writes the current schema as a script our parser reads: tables with their
 * columns and keys, then what node-sql-parser cannot read as separate
 * statements whose text is kept as the server prints it (defaults, checks
 * and other constraints, indexes), and the other objects of the schema:
 * types, domains, sequences, functions, triggers, views, materialized views,
 * policies, row-level security, grants and comments.
 */
async function introspect(c: PgClient): Promise<string> {
  const out: string[] = [];
  const late: string[] = [];
  const [{ schema }] = await c.query("SELECT current_schema() AS schema") as [{ schema: string }];
  const ns = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())";
  // Types: enums, composites, ranges, domains (those made for tables and arrays are not the user's).
  const types = await c.query(
    `SELECT t.oid, t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod) AS base, t.typnotnull, t.typdefault,
            (SELECT collname FROM pg_collation WHERE oid = t.typcollation AND t.typcollation <> 100
               AND t.typcollation <> (SELECT typcollation FROM pg_type WHERE oid = t.typbasetype)) AS coll,
            (SELECT json_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid) AS labels,
            (SELECT format_type(rngsubtype, NULL) FROM pg_range WHERE rngtypid = t.oid) AS subtype
     FROM pg_type t WHERE t.typnamespace = ${ns} AND t.typtype IN ('e', 'c', 'd', 'r')
       AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
     ORDER BY t.typtype <> 'e', t.typtype <> 'r', t.typtype <> 'c', t.typname`,
  );
  for (const t of types) {
    const name = q(String(t.typname));
    if (t.typtype === "e") {
      out.push(`CREATE TYPE ${name} AS ENUM (${(t.labels as string[]).map(quoteString).join(", ")});`);
    } else if (t.typtype === "r") {
      out.push(`CREATE TYPE ${name} AS RANGE (SUBTYPE = ${t.subtype});`);
    } else if (t.typtype === "c") {
      const attrs = await c.query(
        `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
         WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE oid = $1) AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attnum`,
        [t.oid],
      );
      out.push(`CREATE TYPE ${name} AS (${attrs.map((a) => `${q(String(a.attname))} ${a.type}`).join(", ")});`);
    } else {
      const checks = await c.query(
        `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contypid = $1 ORDER BY conname`,
        [t.oid],
      );
      let s = `CREATE DOMAIN ${name} AS ${t.base}`;
      if (t.coll) s += ` COLLATE ${q(String(t.coll))}`;
      if (t.typdefault !== null) s += ` DEFAULT ${t.typdefault}`;
      if (t.typnotnull) s += " NOT NULL";
      for (const k of checks) s += ` CONSTRAINT ${q(String(k.conname))} ${k.def}`;
      out.push(`${s};`);
    }
  }
  // Sequences the user made (not those of serial or identity columns).
  const sequences = await c.query(
    `SELECT s.relname, format_type(q.seqtypid, NULL) AS type, q.seqstart, q.seqincrement, q.seqmax, q.seqmin,
            q.seqcache, q.seqcycle,
            (SELECT json_build_array(t.relname, a.attname,
                    coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') = 'nextval(' || quote_literal(quote_ident(s.relname)) || '::regclass)')
               FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
               LEFT JOIN pg_attrdef ad ON ad.adrelid = t.oid AND ad.adnum = a.attnum
               WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'a'
                 AND d.refclassid = 'pg_class'::regclass) AS owner
     FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
     WHERE s.relnamespace = ${ns} AND s.relkind = 'S'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = s.oid AND d.deptype = 'i')
     ORDER BY s.relname`,
  );
  /** The options of a sequence that a column owns, where they are not PostgreSQL's defaults for its type. */
  const ownOptions = (s: Row): string | undefined => {
    const max = { smallint: "32767", integer: "2147483647", bigint: "9223372036854775807" }[String(s.type)];
    const plain = String(s.seqincrement) === "1" && String(s.seqmin) === "1" && String(s.seqmax) === max &&
      String(s.seqstart) === "1" && String(s.seqcache) === "1" && !s.seqcycle;
    return plain
      ? undefined
      : `INCREMENT BY ${s.seqincrement} MINVALUE ${s.seqmin} MAXVALUE ${s.seqmax} START WITH ${s.seqstart} CACHE ${s.seqcache}${
        s.seqcycle ? " CYCLE" : " NO CYCLE"
      }`;
  };
  for (const s of sequences) {
    const owner = s.owner as [string, string, boolean] | null;
    // A serial column's sequence is part of the column (nextval default, owned by it); options of its own, if any,
    // follow the table.
    if (owner?.[2] && String(s.relname) === `${owner[0]}_${owner[1]}_seq`) {
      const options = ownOptions(s);
      if (options !== undefined) late.push(`ALTER SEQUENCE ${q(String(s.relname))} ${options};`);
      continue;
    }
    out.push(
      `CREATE SEQUENCE ${
        q(String(s.relname))
      } AS ${s.type} INCREMENT BY ${s.seqincrement} MINVALUE ${s.seqmin} MAXVALUE ${s.seqmax} START WITH ${s.seqstart} CACHE ${s.seqcache}${
        s.seqcycle ? " CYCLE" : " NO CYCLE"
      };`,
    );
    if (owner) late.push(`ALTER SEQUENCE ${q(String(s.relname))} OWNED BY ${q(owner[0])}.${q(owner[1])};`);
  }
  // An identity column's sequence options, where they are not the defaults.
  const identities = await c.query(
    `SELECT t.relname AS tname, a.attname, format_type(q.seqtypid, NULL) AS type, q.seqstart, q.seqincrement,
            q.seqmax, q.seqmin, q.seqcache, q.seqcycle
     FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
     JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'i'
       AND d.refclassid = 'pg_class'::regclass
     JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     WHERE s.relnamespace = ${ns} AND s.relkind = 'S' AND a.attidentity <> ''
     ORDER BY t.relname, a.attname`,
  );
  for (const s of identities) {
    const options = ownOptions(s);
    if (options === undefined) continue;
    late.push(
      `ALTER TABLE ONLY ${q(String(s.tname))} ALTER COLUMN ${q(String(s.attname))} SET ${
        options.replace(/ (MINVALUE|MAXVALUE|START|CACHE|NO CYCLE|CYCLE)\b/g, " SET $1")
      };`,
    );
  }
  // Functions and procedures, as pg_get_functiondef prints them (not those of extensions or types).
  const functions = await c.query(
    `SELECT p.oid, pg_get_functiondef(p.oid) AS def FROM pg_proc p
     WHERE p.pronamespace = ${ns} AND p.prokind IN ('f', 'p')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                       AND d.deptype IN ('e', 'i'))
     ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)`,
  );
  for (const f of functions) out.push(`${unqualify(String(f.def).trim(), schema)};`);
  const tables = await c.query(
    `SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, pg_get_partkeydef(c.oid) AS partkey,
            (SELECT count(*) FROM pg_inherits WHERE inhrelid = c.oid)::int AS parents, c.relispartition,
            pg_get_expr(c.relpartbound, c.oid) AS bound,
            (SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = c.oid LIMIT 1) AS parent
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  for (const t of tables) {
    const tname = q(String(t.relname));
    const cols = await c.query(
      `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
              pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity, a.attgenerated,
              (SELECT collname FROM pg_collation WHERE oid = a.attcollation AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid)) AS coll
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [t.oid],
    );
    const lines = cols.map((col) => {
      let s = `${q(String(col.attname))} ${col.type}`;
      if (col.coll) s += ` COLLATE ${q(String(col.coll))}`;
      if (col.attgenerated === "s") return `${s} GENERATED ALWAYS AS ${col.def} STORED`;
      if (col.attidentity === "d") s += " GENERATED BY DEFAULT AS IDENTITY";
      if (col.attidentity === "a") s += " GENERATED ALWAYS AS IDENTITY";
      if (col.attnotnull && !col.attidentity) s += " NOT NULL";
      const def = col.def === null || col.def === undefined ? undefined : String(col.def);
      // A serial column's default stays on the column (the parser knows nextval); others as the server prints them.
      if (def !== undefined && /^nextval\(/.test(def)) s += ` DEFAULT ${def}`;
      else if (def !== undefined) {
        late.push(`ALTER TABLE ONLY ${tname} ALTER COLUMN ${q(String(col.attname))} SET DEFAULT ${def};`);
      }
      return s;
    });
    const cons = await c.query(
      `SELECT conname, contype, conislocal, pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE conrelid = $1 AND contype IN ('p', 'u', 'f', 'c', 'x') ORDER BY conname`,
      [t.oid],
    );
    // Constraints go as ALTER TABLE statements: the parser keeps what it cannot model as the server's text.
    const constraintLine = (k: Row) => `ALTER TABLE ONLY ${tname} ADD CONSTRAINT ${q(String(k.conname))} ${k.def};`;
    const plain = `CREATE ${t.relpersistence === "u" ? "UNLOGGED " : ""}TABLE ${tname} (\n  ${lines.join(",\n  ")}\n)`;
    if (t.relispartition && t.relkind === "r") {
      // A partition: its columns, keys and indexes come from its parent; what is its own (a local constraint)
      // is written after it, and the parser refuses it.
      out.push(`CREATE TABLE ${tname} PARTITION OF ${unqualify(String(t.parent), schema)} ${t.bound};`);
      late.push(...cons.filter((k) => k.conislocal).map(constraintLine));
    } else if (t.relkind === "p" && Number(t.parents) === 0) {
      out.push(`${plain} PARTITION BY ${t.partkey};`);
      late.push(...cons.map(constraintLine));
    } else if (t.relkind === "p" || Number(t.parents) > 0) {
      // Refused by the parser with this statement's text (never created plain by mistake).
      out.push(
        `-- partitioned or inherited\nCREATE TABLE ${tname} (${lines.join(", ")})${
          t.partkey ? ` PARTITION BY ${t.partkey}` : ""
        }${Number(t.parents) > 0 ? " INHERITS (?)" : ""};`,
      );
    } else {
      out.push(`${plain};`);
      late.push(...cons.map(constraintLine));
    }
    if (t.relrowsecurity) late.push(`ALTER TABLE ${tname} ENABLE ROW LEVEL SECURITY;`);
    if (t.relforcerowsecurity) late.push(`ALTER TABLE ${tname} FORCE ROW LEVEL SECURITY;`);
  }
  const extensions = await c.query(`SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname`);
  for (const e of extensions) out.unshift(`CREATE EXTENSION IF NOT EXISTS ${q(String(e.extname))};`);
  out.push(...late);
  const views = await c.query(
    `SELECT c.relname, c.relkind, pg_get_viewdef(c.oid) AS definition,
            (SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE option_name = 'check_option') AS check_option,
            (SELECT string_agg(option_name || '=' || option_value, ', ' ORDER BY option_name)
               FROM pg_options_to_table(c.reloptions) WHERE option_name <> 'check_option') AS options
     FROM pg_class c WHERE c.relnamespace = ${ns} AND c.relkind IN ('v', 'm')
     ORDER BY c.relkind, c.relname`,
  );
  for (const v of views) {
    const body = String(v.definition).trim().replace(/;$/, "");
    if (v.relkind === "m") out.push(`CREATE MATERIALIZED VIEW ${q(String(v.relname))} AS ${body};`);
    else {
      out.push(
        `CREATE VIEW ${q(String(v.relname))}${v.options ? ` WITH (${v.options})` : ""} AS ${body}${
          v.check_option ? ` WITH ${String(v.check_option).toUpperCase()} CHECK OPTION` : ""
        };`,
      );
    }
  }
  const indexes = await c.query(
    `SELECT pg_get_indexdef(i.indexrelid) AS indexdef FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     JOIN pg_class t ON t.oid = i.indrelid
     WHERE c.relnamespace = ${ns} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
       AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
     ORDER BY t.relname, c.relname`,
  );
  // An index of a partitioned table prints as ON ONLY; made again it is made ON the table, for every partition.
  for (const i of indexes) {
    out.push(`${unqualify(String(i.indexdef), schema).replace(/^(CREATE .*?) ON ONLY /, "$1 ON ")};`);
  }
  const triggers = await c.query(
    `SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = ${ns} AND NOT t.tgisinternal AND t.tgparentid = 0 ORDER BY c.relname, t.tgname`,
  );
  for (const t of triggers) out.push(`${unqualify(String(t.def), schema)};`);
  const policies = await c.query(
    `SELECT p.polname, c.relname, p.polpermissive, p.polcmd,
            (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ' ORDER BY r)
               FROM unnest(p.polroles) r) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS wc
     FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = ${ns} ORDER BY c.relname, p.polname`,
  );
  const CMD: Record<string, string> = { r: "SELECT", a: "INSERT", w: "UPDATE", d: "DELETE", "*": "ALL" };
  for (const p of policies) {
    let s = `CREATE POLICY ${q(String(p.polname))} ON ${q(String(p.relname))} AS ${
      p.polpermissive ? "PERMISSIVE" : "RESTRICTIVE"
    } FOR ${CMD[String(p.polcmd)] ?? "ALL"} TO ${p.roles}`;
    if (p.qual !== null) s += ` USING (${p.qual})`;
    if (p.wc !== null) s += ` WITH CHECK (${p.wc})`;
    out.push(`${s};`);
  }
  // Privileges granted on tables, views and sequences, owner's own left out.
  const grants = await c.query(
    `SELECT c.relname, c.relkind, a.privilege_type,
            CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee,
            a.is_grantable
     FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.relnamespace = ${ns} AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND a.grantee <> c.relowner
     ORDER BY c.relname, 4, 3`,
  );
  for (const g of grants) {
    out.push(
      `GRANT ${g.privilege_type} ON ${g.relkind === "S" ? "SEQUENCE" : "TABLE"} ${
        q(String(g.relname))
      } TO ${g.grantee}${g.is_grantable ? " WITH GRANT OPTION" : ""};`,
    );
  }
  // Column privileges (an ACL on the column, beside the table's).
  const columnGrants = await c.query(
    `SELECT c.relname, a.attname, x.privilege_type,
            CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END AS grantee,
            x.is_grantable
     FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid, aclexplode(a.attacl) x
     WHERE c.relnamespace = ${ns} AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
       AND x.grantee <> c.relowner
     ORDER BY c.relname, a.attname, 4, 3`,
  );
  for (const g of columnGrants) {
    out.push(
      `GRANT ${g.privilege_type} (${q(String(g.attname))}) ON TABLE ${q(String(g.relname))} TO ${g.grantee}${
        g.is_grantable ? " WITH GRANT OPTION" : ""
      };`,
    );
  }
  // Privileges on functions, procedures, types and domains: those given to others, and the default one PUBLIC
  // has (EXECUTE, USAGE) when it was taken away.
  const routineGrants = await c.query(
    `SELECT o.kind, o.name, o.args, o.acl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(o.acl) x WHERE x.grantee = 0) AS public,
            (SELECT json_agg(json_build_array(quote_ident(pg_get_userbyid(x.grantee)), x.is_grantable) ORDER BY 1)
               FROM aclexplode(o.acl) x WHERE x.grantee NOT IN (0, o.owner)) AS others
     FROM (SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS kind, p.proname AS name,
                  pg_get_function_identity_arguments(p.oid) AS args, p.proacl AS acl, p.proowner AS owner
           FROM pg_proc p WHERE p.pronamespace = ${ns} AND p.prokind IN ('f', 'p') AND p.proacl IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                             AND d.deptype IN ('e', 'i'))
           UNION ALL
           SELECT 'TYPE', t.typname, NULL, t.typacl, t.typowner FROM pg_type t
           WHERE t.typnamespace = ${ns} AND t.typtype IN ('e', 'c', 'd', 'r') AND t.typacl IS NOT NULL
             AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')) o
     ORDER BY 1, 2, 3`,
  );
  for (const g of routineGrants) {
    const what = `${g.kind} ${q(String(g.name))}${g.args === null ? "" : `(${g.args})`}`;
    const privilege = g.kind === "TYPE" ? "USAGE" : "EXECUTE";
    if (!g.public) out.push(`REVOKE ${privilege} ON ${what} FROM PUBLIC;`);
    for (const [grantee, grantable] of (g.others ?? []) as [string, boolean][]) {
      out.push(`GRANT ${privilege} ON ${what} TO ${grantee}${grantable ? " WITH GRANT OPTION" : ""};`);
    }
  }
  // Comments on everything in the schema, as COMMENT ON statements naming the object as the server does.
  const comments = await c.query(
    `SELECT o.type, o.identity, d.description FROM pg_description d,
            pg_identify_object(d.classoid, d.objoid, d.objsubid) o
     WHERE d.objoid >= 16384 AND (o.schema = current_schema() OR (o.type = 'trigger' AND EXISTS (
       SELECT 1 FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
       WHERE d.classoid = 'pg_trigger'::regclass AND t.oid = d.objoid AND r.relnamespace = ${ns})))
     ORDER BY 1, 2`,
  );
  for (const k of comments) {
    const ident = unqualify(String(k.identity), schema);
    const type = String(k.type).toUpperCase();
    if (/ COLUMN$/.test(type)) out.push(`COMMENT ON COLUMN ${ident} IS ${quoteString(String(k.description))};`);
    else if (type === "TABLE") out.push(`COMMENT ON TABLE ${ident} IS ${quoteString(String(k.description))};`);
    else {out.push(
        `COMMENT ON ${type.replace(/^TABLE CONSTRAINT$/, "CONSTRAINT")} ${ident} IS ${
          quoteString(String(k.description))
        };`,
      );}
  }
  return out.join("\n");
}

/**
 * The target schema as the server stores it: loaded into a scratch schema
 * inside a transaction that is always rolled back, and introspected there
 * like the live schema, so that both sides of the diff are printed by the
 * same catalogs (defaults, checks, view text, function bodies). Undefined
 * when the target reaches outside the scratch schema (names qualified with
 * a schema, search_path changes): then the caller diffs the file as
 * written.
 */
async function loadInScratch(c: PgClient, targetSql: string): Promise<string | undefined> {
  const scratch = `patchops_target_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const [{ schema, user }] = await c.query("SELECT current_schema() AS schema, current_user AS user") as [
    { schema: string | null; user: string },
  ];
  if (!schema) return undefined;
  // Statements that leave the transaction or move the search path are not definitions: scratchScript refuses them.
  const script = scratchScript(withoutQualifier(targetSql, schema), user);
  if (script === undefined) return undefined;
  await c.exec("BEGIN");
  try {
    const before = await introspect(c);
    // Only the scratch schema is on the path: the target cannot reach the live tables (an expression index or a
    // materialized view would run its functions over their rows).
    try {
      await c.exec(`CREATE SCHEMA ${q(scratch)}; SET LOCAL search_path TO ${q(scratch)}`);
      await c.exec(script);
    } catch {
      // What does not load alone (it needs an object of the live schema), or a role that may not create a
      // schema: the file is diffed as written.
      return undefined;
    }
    // Anything made outside the scratch schema (CREATE SCHEMA, other qualifiers) would be missed: say so.
    const [{ outside }] = await c.query(
      `SELECT count(*)::int AS outside FROM (
         SELECT relnamespace AS ns, xmin FROM pg_class UNION ALL SELECT typnamespace, xmin FROM pg_type
         UNION ALL SELECT pronamespace, xmin FROM pg_proc UNION ALL SELECT oid, xmin FROM pg_namespace) o
       WHERE o.xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text
         AND o.ns NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ($1, 'pg_toast'))`,
      [scratch],
    ).catch(() => [{ outside: 1 }]) as [{ outside: number }];
    if (outside > 0) return undefined;
    const target = await introspect(c);
    await c.exec(`SET LOCAL search_path TO ${q(schema)}`);
    // Something the target made or changed outside the scratch schema: the file names other schemas.
    // Extensions are the database's, not the schema's: the target may add one.
    const own = (script: string) => script.split("\n").filter((l) => !l.startsWith("CREATE EXTENSION ")).join("\n");
    if (own(await introspect(c)) !== own(before)) return undefined;
    // The catalogs list every extension of the database: the target has those its file creates.
    const named = new Set(
      [...stripLiterals(targetSql).matchAll(/\bCREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w$]+)/gi)]
        .map((m) => m[1]!.toLowerCase()),
    );
    for (const m of targetSql.matchAll(/\bCREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"((?:[^"]|"")+)"/gi)) {
      named.add(m[1]!.replaceAll('""', '"'));
    }
    return target.split("\n").filter((l) => {
      const m = /^CREATE EXTENSION IF NOT EXISTS "((?:[^"]|"")+)";$/.exec(l);
      return !m || named.has(m[1]!.replaceAll('""', '"'));
    }).join("\n");
  } finally {
    await c.exec("ROLLBACK").catch(() => {});
  }
}

/**
 * The session settings pg_dump writes at the top of a schema-only dump (and
 * before tables): they change nothing that is stored.
 */
const PG_DUMP_SESSION =
  /^(SET\s+(statement_timeout|lock_timeout|idle_in_transaction_session_timeout|client_encoding|standard_conforming_strings|check_function_bodies|xmloption|client_min_messages|row_security|default_tablespace|default_table_access_method|default_with_oids)\s*(=|TO)\s*[^;]*|SELECT\s+pg_catalog\.set_config\('search_path',\s*'',\s*false\))$/i;

/** Statements that define schema objects: the only ones run in the scratch schema. */
const DEFINITION =
  /^(CREATE\s+(OR\s+REPLACE\s+)?(TABLE|TYPE|DOMAIN|SEQUENCE|FUNCTION|PROCEDURE|(CONSTRAINT\s+)?TRIGGER|VIEW|MATERIALIZED\s+VIEW|(UNIQUE\s+)?INDEX|POLICY|EXTENSION|UNLOGGED\s+TABLE)\b|ALTER\s+(TABLE|SEQUENCE|TYPE|DOMAIN)\b|COMMENT\s+ON\b|GRANT\b|REVOKE\b)/i;

/**
 * The target as a script for the scratch schema (names qualified with the
 * live schema unqualified, materialized views made WITH NO DATA so that
 * no query runs), or undefined when a statement is not a definition.
 */
function scratchScript(targetSql: string, user: string): string | undefined {
  const out: string[] = [];
  for (const stmt of splitStatements(targetSql, { dialect: "postgres" }).statements) {
    let text = stmt.text.trim();
    // What pg_dump writes around the definitions (a Rails structure.sql): session settings for the restore.
    if (PG_DUMP_SESSION.test(text)) continue;
    // Owners are not modelled: only the role that runs the migration, which owns what it creates, may be named.
    const owner = /\sOWNER\s+TO\s+("(?:[^"]|"")+"|[\w$]+)$/i.exec(text);
    if (/^ALTER\s/i.test(text) && owner) {
      const role = owner[1]!.startsWith('"') ? owner[1]!.slice(1, -1).replaceAll('""', '"') : owner[1]!.toLowerCase();
      if (role !== user && !/^(CURRENT_USER|SESSION_USER|CURRENT_ROLE)$/i.test(owner[1]!)) return undefined;
      continue;
    }
    if (!DEFINITION.test(text)) return undefined;
    // CREATE TABLE ... AS runs its query: not a definition to load.
    const bare = stripLiterals(text);
    // (Only for tables: a view's `WITH (security_barrier) AS SELECT` is a definition.)
    if (
      /^CREATE\s+(UNLOGGED\s+)?TABLE\s+([^(]*?\sAS\s|[\s\S]*\)\s*AS\s+(SELECT|WITH|VALUES|TABLE|EXECUTE)\b)/i.test(bare)
    ) {
      return undefined;
    }
    if (/^CREATE\s+MATERIALIZED\s+VIEW\b/i.test(text)) {
      text = /\bWITH\s+(NO\s+)?DATA$/i.test(text)
        ? text.replace(/\bWITH\s+(NO\s+)?DATA$/i, "WITH NO DATA")
        : `${text} WITH NO DATA`;
    }
    out.push(text);
  }
  return out.join(";\n");
}

/** `schema.` removed before names outside literals, quoted names and bodies. */
function withoutQualifier(sql: string, schema: string): string {
  const simple = /^[a-z_][a-z0-9_$]*$/.test(schema);
  const names = [q(schema).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), ...(simple ? [schema] : [])].join("|");
  const qualifier = new RegExp(`(?<![\\w$."])(?:${names})\\s*\\.\\s*(?=[\\w"$]|$)`, simple ? "gi" : "g");
  const regclassQualifier = new RegExp(`^(?:${names.replaceAll("'", "''")})\\.(?=[\\w"$])`, simple ? "i" : "");
  return sql.replace(
    /(\$([A-Za-z_]\w*)?\$[\s\S]*?\$\2\$|'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"]|"")*"(?:\s*\.\s*)?)|([^'"$/-]+|[\s\S])/g,
    (all, literal: string | undefined, _tag, quoted: string | undefined, _rest, offset: number) => {
      // A name in a regclass literal (pg_dump's `nextval('public.t_id_seq'::regclass)`) names a relation too.
      if (literal !== undefined && /^\s*::\s*regclass\b/i.test(sql.slice(offset + all.length))) {
        return `'${literal.slice(1, -1).replace(regclassQualifier, "")}'`;
      }
      if (literal !== undefined) return all;
      if (quoted !== undefined) return quoted.replace(qualifier, "");
      return all.replace(qualifier, "");
    },
  );
}

/** The text with string literals, quoted names, dollar-quoted bodies and comments blanked. */
function stripLiterals(sql: string): string {
  return sql.replace(/\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$|'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g, " ");
}

/** Opens a PostgreSQL database (server or PGlite). */
export async function openPostgres(url: DbUrl): Promise<LiveDatabase> {
  const c = await connectPg(url);
  const lockKey = `patchops:${url.database}`;
  let locked = false;
  return {
    transactional: true,
    introspect: () => introspect(c),
    canonical: (targetSql) => loadInScratch(c, targetSql),
    async lock(timeoutSeconds) {
      const deadline = Date.now() + timeoutSeconds * 1000;
      for (;;) {
        const [row] = await c.query("SELECT pg_try_advisory_lock(hashtext($1)) AS got", [lockKey]);
        if (row?.got === true) {
          locked = true;
          return;
        }
        if (Date.now() >= deadline) {
          throw new PatchopsError(
            "DbLocked",
            `another migration holds the advisory lock "${lockKey}" (waited ${timeoutSeconds} s)`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async unlock() {
      if (locked) await c.query("SELECT pg_advisory_unlock(hashtext($1))", [lockKey]).catch(() => {});
      locked = false;
    },
    exec: (sql) => c.exec(sql),
    async execAll(statements, verify) {
      await c.exec("BEGIN");
      try {
        for (const s of statements) await c.exec(s);
        await verify();
        await c.exec("COMMIT");
      } catch (err) {
        await c.exec("ROLLBACK").catch(() => {});
        throw err;
      }
    },
    close: () => c.close(),
  };
}
