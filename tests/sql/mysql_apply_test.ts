/**
 * `sql apply` against a live MariaDB: migrate, keep rows, lock, report.
 */

import assert from "node:assert/strict";
import { runCli, tempDir } from "../_helpers.ts";
import { connect, HAVE_MYSQL, MYSQL_URL, runIn, showTables, withDatabases } from "./_mariadb.ts";

const opts = { ignore: !HAVE_MYSQL, sanitizeResources: false, sanitizeOps: false };
const dbUrl = (db: string) => `${MYSQL_URL.replace(/\/?$/, "/")}${db}`.replace(/^mysql:/, "mariadb:");

async function withTarget(sql: string, fn: (path: string) => Promise<void>) {
  const [dir, done] = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/target.sql`, sql);
    await fn(`${dir}/target.sql`);
  } finally {
    await done();
  }
}

Deno.test({
  ...opts,
  name: "sql apply migrates a live database, keeps its rows, and a second run does nothing",
  async fn() {
    const conn = await connect();
    try {
      await withDatabases(conn, 1, async ([db]) => {
        await runIn(
          conn,
          db!,
          "CREATE TABLE users (id int PRIMARY KEY, name varchar(20)); INSERT INTO users VALUES (1, 'ann'), (2, 'bob');",
        );
        const target =
          `CREATE TABLE users (id int PRIMARY KEY, name varchar(50) NOT NULL DEFAULT '', email varchar(100), KEY by_name (name));
          CREATE TABLE posts (id int PRIMARY KEY, user_id int, FOREIGN KEY (user_id) REFERENCES users (id));`;
        await withTarget(target, async (path) => {
          const dry = await runCli(["sql", "apply", path, "--db", dbUrl(db!), "--dry-run"]);
          assert.equal(dry.code, 0, dry.stderr);
          assert.match(dry.stdout, /CREATE TABLE `posts`/);
          assert.deepEqual([...(await showTables(conn, db!)).keys()], ["users"], "dry run changed nothing");

          const r = await runCli(["sql", "apply", path, "--db", dbUrl(db!)]);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stderr, /migrated: 2 statement\(s\) ran/);
          await conn.query(`USE \`${db}\``);
          const [rows] = await conn.query("SELECT id, name, email FROM users ORDER BY id");
          assert.deepEqual(rows, [{ id: 1, name: "ann", email: null }, { id: 2, name: "bob", email: null }]);

          const again = await runCli(["sql", "apply", path, "--db", dbUrl(db!)]);
          assert.equal(again.code, 0, again.stderr);
          assert.match(again.stdout, /schemas are equal/);
          assert.match(again.stderr, /migrated: 0 statement/);
        });
      });
    } finally {
      await conn.end();
    }
  },
});

Deno.test({
  ...opts,
  name: "sql apply refuses destructive changes without --allow-destructive and changes nothing",
  async fn() {
    const conn = await connect();
    try {
      await withDatabases(conn, 1, async ([db]) => {
        await runIn(
          conn,
          db!,
          "CREATE TABLE t (id int PRIMARY KEY, legacy text); INSERT INTO t VALUES (1, 'keep me');",
        );
        await withTarget("CREATE TABLE t (id int PRIMARY KEY, added int);", async (path) => {
          const before = await showTables(conn, db!);
          const r = await runCli(["sql", "apply", path, "--db", dbUrl(db!)]);
          assert.equal(r.code, 3, r.stderr);
          assert.match(
            r.stderr,
            /withheld \(drops column `legacy`[^)]*\); nothing was changed; pass --allow-destructive/,
          );
          // The refused plan is shown where a successful one would be: the drop commented out, the add kept.
          assert.match(r.stdout, /^-- .*DROP COLUMN `legacy`/m);
          assert.match(r.stdout, /^ {2}ADD COLUMN `added`/m);
          assert.deepEqual(await showTables(conn, db!), before);
          const ok = await runCli(["sql", "apply", path, "--db", dbUrl(db!), "--allow-destructive"]);
          assert.equal(ok.code, 0, ok.stderr);
          assert.doesNotMatch((await showTables(conn, db!)).get("t")!, /legacy/);
        });
      });
    } finally {
      await conn.end();
    }
  },
});

Deno.test({
  ...opts,
  name: "a second migrator waits for the lock, or fails clearly when it times out",
  async fn() {
    const conn = await connect();
    const holder = await connect();
    try {
      await withDatabases(conn, 1, async ([db]) => {
        await runIn(conn, db!, "CREATE TABLE t (id int PRIMARY KEY);");
        await withTarget("CREATE TABLE t (id int PRIMARY KEY, v int);", async (path) => {
          await holder.query("SELECT GET_LOCK(?, 0)", [`patchops:${db}`]);
          const timedOut = await runCli(["sql", "apply", path, "--db", dbUrl(db!), "--lock-timeout", "1"]);
          assert.equal(timedOut.code, 1);
          assert.match(timedOut.stderr, /another migration holds the lock "patchops:/);
          // Two migrators at once while the lock is released under them: both succeed, one does the work.
          let finished = 0;
          const runs = [0, 1].map(() =>
            runCli(["sql", "apply", path, "--db", dbUrl(db!), "--lock-timeout", "30"]).finally(() => finished++)
          );
          // The server shows both waiting in GET_LOCK on our lock: proof that they wait, no sleep needed.
          // Mutation caught: GET_LOCK(?, 0) instead of the timeout (both fail with "another migration holds").
          for (const until = Date.now() + 30_000;;) {
            const [rows] = await holder.query(
              "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT GET_LOCK(%' AND INFO LIKE ?",
              [`%patchops:${db}%`],
            ) as unknown as [{ n: number }[]];
            if (Number(rows[0]!.n) >= 2 || finished > 0) break;
            assert.ok(Date.now() < until, "the migrators never queued on the lock");
            await new Promise((r) => setTimeout(r, 20));
          }
          assert.equal(finished, 0, "both migrators still wait while the lock is held");
          await holder.query("SELECT RELEASE_LOCK(?)", [`patchops:${db}`]);
          const results = await Promise.all(runs);
          for (const r of results) assert.equal(r.code, 0, r.stderr);
          const ran = results.map((r) => Number(/migrated: (\d+) statement/.exec(r.stderr)![1])).sort();
          assert.deepEqual(ran, [0, 1]);
          assert.match((await showTables(conn, db!)).get("t")!, /`v` int/);
        });
      });
    } finally {
      await holder.end();
      await conn.end();
    }
  },
});

Deno.test({
  ...opts,
  name: "a statement the server refuses stops the migration and reports exactly what ran",
  async fn() {
    const conn = await connect();
    try {
      await withDatabases(conn, 1, async ([db]) => {
        await runIn(conn, db!, "CREATE TABLE t (id int PRIMARY KEY, code int); INSERT INTO t VALUES (1, 7), (2, 7);");
        const target =
          "CREATE TABLE audit (id int PRIMARY KEY); CREATE TABLE t (id int PRIMARY KEY, code int, UNIQUE KEY u (code));";
        await withTarget(target, async (path) => {
          const r = await runCli(["sql", "apply", path, "--db", dbUrl(db!)]);
          assert.equal(r.code, 1);
          assert.match(r.stderr, /^ran: CREATE TABLE `audit` \($/m);
          assert.match(
            r.stderr,
            /^error: cannot migrate .*statement 2 of 2 failed \(Duplicate entry .*statements 1-1 ran and stay applied/m,
          );
          assert.ok((await showTables(conn, db!)).has("audit"));
        });
      });
    } finally {
      await conn.end();
    }
  },
});
