/**
 * The check behind `sql diff --guarded` on a real MariaDB: for every case
 * of the MariaDB corpus (both directions) and the cases below, the guarded
 * script is run, then run again; and for every statement position k, a
 * fresh copy of the source runs the first k statements, then the whole
 * script. Every run must succeed and end with the tables, views, triggers
 * and routines of a database built from the target. Used by
 * mariadb_guarded_test.ts (MariaDB's own guards) and mysql_guarded_test.ts
 * (the MySQL 8 form, which MariaDB runs too), two files so that they run in
 * parallel.
 */

import assert from "node:assert/strict";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { guardChanges } from "../../src/sql/guard/mod.ts";
import {
  type Conn,
  connect,
  exportSchema,
  keyOrderInsensitive,
  loadScript,
  runIn,
  showObjects,
  showTables,
} from "./_mariadb.ts";
import { CORPUS, type RoundTripCase as Case } from "./mariadb_corpus.ts";

/** Change kinds the corpus covers thinly: renames, changed keys and checks, triggers and routines. */
/** A case, with rows written between the two runs that the second run must keep. */
export interface GuardCase extends Case {
  /** Run after the first run of the script (forward only). */
  between?: string;
  /** A query whose result after the second run must equal its result right after `between`. */
  kept?: string;
}

export const CASES: GuardCase[] = [
  {
    name: "guarded: rename column, index and table together",
    from: "CREATE TABLE old_t (id int PRIMARY KEY, a int, KEY ka (a));",
    to: `CREATE TABLE new_t ( -- @renamed from=old_t
      id int PRIMARY KEY,
      b bigint, -- @renamed from=a
      KEY kb (b) -- @renamed from=ka
    );`,
    data: "INSERT INTO old_t VALUES (1, 5);",
  },
  {
    name: "guarded: changed primary key with AUTO_INCREMENT, changed unique key, changed check",
    from: `CREATE TABLE t (id int NOT NULL AUTO_INCREMENT, n int NOT NULL, u int, PRIMARY KEY (id),
      UNIQUE KEY uu (u), CONSTRAINT cn CHECK (n > 0));`,
    to: `CREATE TABLE t (id int NOT NULL AUTO_INCREMENT, n int NOT NULL, u int, PRIMARY KEY (id, n),
      UNIQUE KEY uu (u, n), CONSTRAINT cn CHECK (n > 1));`,
    data: "INSERT INTO t (n, u) VALUES (2, 1), (3, 2);",
    check: "SELECT id, n, u FROM t ORDER BY id",
  },
  {
    name: "guarded: add an AUTO_INCREMENT primary key column to a keyless table",
    from: "CREATE TABLE t (v int);",
    to: "CREATE TABLE t (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, v int);",
    data: "INSERT INTO t VALUES (7), (8);",
    oneWay: true,
  },
  {
    name: "guarded: a virtual column turned plain is not emptied again by a second run",
    from: "CREATE TABLE t (id int PRIMARY KEY, a int, v int AS (a * 2) VIRTUAL);",
    to: "CREATE TABLE t (id int PRIMARY KEY, a int, v int);",
    data: "INSERT INTO t (id, a) VALUES (1, 3);",
    between: "UPDATE t SET v = 42",
    kept: "SELECT id, v FROM t",
    oneWay: true,
  },
  {
    name: "guarded: triggers and routines added, changed and dropped",
    from: `CREATE TABLE t (id int PRIMARY KEY, n int);
      CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.n = 1;
      CREATE TRIGGER t_gone BEFORE UPDATE ON t FOR EACH ROW SET NEW.n = 2;
      CREATE PROCEDURE p1() SELECT 1;
      CREATE FUNCTION f1(x int) RETURNS int DETERMINISTIC RETURN x + 1;`,
    to: `CREATE TABLE t (id int PRIMARY KEY, n int);
      CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.n = 5;
      CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW SET @seen = NEW.id;
      CREATE PROCEDURE p1() SELECT 2;
      CREATE FUNCTION f2(x int) RETURNS int DETERMINISTIC RETURN x + 2;`,
  },
  {
    name: "guarded: partitioning removed while keys change, then set again",
    from: `CREATE TABLE t (id int NOT NULL, d int NOT NULL, PRIMARY KEY (id, d))
      PARTITION BY RANGE (d) (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE);`,
    to: `CREATE TABLE t (id int NOT NULL, d int NOT NULL, PRIMARY KEY (id)) PARTITION BY HASH (id) PARTITIONS 2;`,
    data: "INSERT INTO t VALUES (1, 5), (2, 20);",
  },
];

export type Row = Record<string, unknown>;

export interface Snapshot {
  tables: Map<string, string>;
  objects: Map<string, string>;
}

export async function snapshot(conn: Conn, db: string, c: Case): Promise<Snapshot> {
  // Where only the case of a name changes, MariaDB sees no change and keeps the old spelling.
  const spelling = (s: string) => c.caseOnly ? s.toLowerCase() : s;
  const tables = new Map(
    [...await showTables(conn, db)].map(([k, v]) => [spelling(k), spelling(keyOrderInsensitive(v))]),
  );
  const objects = new Map([...await showObjects(conn, db)].map(([k, v]) => [spelling(k), spelling(v)]));
  return { tables, objects };
}

/**
 * Drops `db`, again after a pause when the server finds files left in its
 * directory (InnoDB removes a rebuilt table's old files in the background).
 */
export async function dropDatabase(conn: Conn, db: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
      return;
    } catch (err) {
      if (attempt >= 5 || !/Directory not empty/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export async function reset(conn: Conn, db: string, from: string): Promise<void> {
  await dropDatabase(conn, db);
  await conn.query(`CREATE DATABASE \`${db}\``);
  if (!from.trim()) return;
  // The client is slower to start than a query; only DELIMITER needs it.
  if (/^\s*DELIMITER\b/im.test(from)) await loadScript(db, from);
  else await runIn(conn, db, from);
}

export async function runStatements(conn: Conn, db: string, statements: string[], what: string): Promise<void> {
  await conn.query(`USE \`${db}\``);
  for (const [i, sql] of statements.entries()) {
    try {
      await conn.query(sql);
    } catch (err) {
      throw new Error(`${what}: statement ${i + 1} failed: ${sql}\n(${(err as Error).message})`);
    }
  }
}

/** One run of {@linkcode check}: a case in one direction, in one form, on two scratch databases. */
export interface CheckRun {
  c: GuardCase;
  from: string;
  to: string;
  flavor: "mariadb" | "mysql";
  /** Where the source is migrated, and where the target is built. */
  dbs: [string, string];
}

/** The guarded script of a case, checked on `dbs[0]` against the target built in `dbs[1]`. */
export async function check(conn: Conn, run: CheckRun): Promise<void> {
  const { c, from, to, flavor, dbs: [a, b] } = run;
  await reset(conn, b, to);
  const target = await snapshot(conn, b, c);
  const diff = generateSchemaDiff(from, to, { dialect: "mariadb", allowDestructive: true });
  const plan = guardChanges(diff.changes, flavor);
  const unguarded = plan.statements.filter((s) => s.unguarded !== undefined);
  assert.deepEqual(unguarded.map((s) => `${s.sql}: ${s.unguarded}`), [], "every statement is guarded");
  const statements = plan.statements.map((s) => s.sql);
  const show = `\nguarded script:\n${statements.join(";\n")}`;

  // Twice in a row, with rows in the tables: the rows the check reads survive both runs.
  await reset(conn, a, from);
  const forward = from === c.from;
  if (forward && c.data) await runIn(conn, a, c.data);
  const values = async (q: string) => ((await conn.query(q))[0] as Row[]).map(Object.values);
  await conn.query(`USE \`${a}\``);
  const before = forward && c.check ? await values(c.check) : undefined;
  await runStatements(conn, a, statements, `first run${show}`);
  if (forward && c.between) await runIn(conn, a, c.between);
  const written = forward && c.kept ? await values(c.kept) : undefined;
  await runStatements(conn, a, statements, `second run${show}`);
  if (written !== undefined) assert.deepEqual(await values(c.kept!), written, `a second run keeps the rows${show}`);
  assert.deepEqual(await snapshot(conn, a, c), target, `twice: target reached${show}`);
  if (before !== undefined) assert.deepEqual(await values(c.check!), before, `rows survive two runs${show}`);
  const again = generateSchemaDiff(await exportSchema(conn, a), to, { dialect: "mariadb", allowDestructive: true });
  assert.equal(again.changes.length, 0, `re-diff after two runs is empty:\n${again.sql}${show}`);

  // Stopped after statement k, then run whole.
  for (let k = 1; k < statements.length; k++) {
    await reset(conn, a, from);
    await runStatements(conn, a, statements.slice(0, k), `first ${k}${show}`);
    await runStatements(conn, a, statements, `whole script after the first ${k}${show}`);
    assert.deepEqual(await snapshot(conn, a, c), target, `resumed after ${k}: target reached${show}`);
  }
}

const RUN = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);

/** Every case but the corpus's known limits, which fail unguarded too. */
export const GUARD_CASES: GuardCase[] = [...CASES, ...CORPUS].filter((c) => c.knownLimit === undefined);

/**
 * Checks every case in `flavor`, both directions, `workers` at a time (each
 * with its own connection and databases: the server waits on disk, not CPU).
 * Returns the failures, one line each.
 */
export async function checkAll(flavor: "mariadb" | "mysql", workers = 3): Promise<string[]> {
  const failures: string[] = [];
  const queue = [...GUARD_CASES];
  const worker = async (n: number) => {
    const conn = await connect();
    const dbs: [string, string] = [`pt_guard_${RUN}_${flavor}_${n}a`, `pt_guard_${RUN}_${flavor}_${n}b`];
    try {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        try {
          await check(conn, { c, from: c.from, to: c.to, flavor, dbs });
          if (!c.oneWay) await check(conn, { c, from: c.to, to: c.from, flavor, dbs });
        } catch (err) {
          failures.push(`${c.name}: ${(err as Error).message}`);
        }
      }
    } finally {
      for (const db of dbs) await dropDatabase(conn, db);
      await conn.end();
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  return failures;
}
