/**
 * A patch that carries a database migration: stage and verify the files,
 * migrate the database, then commit the files; all or nothing.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runCli, snapshot, tempDir, writeTree } from "../_helpers.ts";
import { connect, HAVE_MYSQL, MYSQL_URL, runIn, withDatabases } from "../sql/_mariadb.ts";

async function makeRelease(dir: string, schema: string, dialect: string) {
  await writeTree(`${dir}/v1`, { "app.txt": "v1", "conf/a.yml": "a: 1" });
  await writeTree(`${dir}/v2`, { "app.txt": "v2", "conf/a.yml": "a: 2" });
  await Deno.writeTextFile(`${dir}/schema.sql`, schema);
  let r = await runCli(["keygen", "--out", `${dir}/k`, "--unencrypted"]);
  assert.equal(r.code, 0, r.stderr);
  r = await runCli([
    "create",
    "--from",
    `${dir}/v1`,
    "--to",
    `${dir}/v2`,
    "--out",
    `${dir}/out`,
    "--secret-key",
    `${dir}/k.key`,
    "--version",
    "2.0",
    "--schema",
    `${dir}/schema.sql`,
    "--schema-dialect",
    dialect,
  ]);
  assert.equal(r.code, 0, r.stderr);
  await new Deno.Command("cp", { args: ["-a", `${dir}/v1`, `${dir}/app`] }).output();
  return (...extra: string[]) =>
    runCli(["apply", `${dir}/out/manifest.json`, "--dir", `${dir}/app`, "--public-key", `${dir}/k.pub`, ...extra]);
}

Deno.test("a patch with a SQLite migration: refused without --db, files only with --skip-db, both with --db", async () => {
  const [dir, done] = await tempDir();
  try {
    const apply = await makeRelease(
      dir,
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT DEFAULT '');",
      "sqlite",
    );
    const db = new DatabaseSync(`${dir}/app.db`);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'ann');");
    db.close();
    const before = await snapshot(`${dir}/app`, { exclude: [] });

    let r = await apply();
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /carries a sqlite schema migration, and no database to migrate was given; pass --db <url>, or --skip-db/,
    );
    assert.deepEqual(await snapshot(`${dir}/app`, { exclude: [] }), before);

    r = await apply("--db", `sqlite:${dir}/app.db`, "--dry-run");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ALTER TABLE "users" ADD COLUMN email TEXT DEFAULT ''/);

    r = await apply("--db", `sqlite:${dir}/app.db`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /database: 1 statement\(s\) ran/);
    assert.equal(await Deno.readTextFile(`${dir}/app/app.txt`), "v2");
    const after = new DatabaseSync(`${dir}/app.db`);
    assert.deepEqual(after.prepare("SELECT * FROM users").all().map((x) => ({ ...x })), [{
      id: 1,
      name: "ann",
      email: "",
    }]);
    after.close();
  } finally {
    await done();
  }
});

Deno.test("a failing SQLite migration leaves both the files and the database as they were", async () => {
  const [dir, done] = await tempDir();
  try {
    // name becomes NOT NULL, but a row has NULL: the rebuild's copy fails inside the transaction.
    const apply = await makeRelease(dir, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);", "sqlite");
    const db = new DatabaseSync(`${dir}/app.db`);
    db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, NULL);");
    const schemaBefore = db.prepare("SELECT sql FROM sqlite_schema").all().map((x) => ({ ...x }));
    db.close();
    const before = await snapshot(`${dir}/app`, { exclude: [] });
    const r = await apply("--db", `sqlite:${dir}/app.db`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /migration failed and was rolled back/);
    assert.deepEqual(await snapshot(`${dir}/app`, { exclude: [] }), before);
    const again = new DatabaseSync(`${dir}/app.db`);
    assert.deepEqual(again.prepare("SELECT sql FROM sqlite_schema").all().map((x) => ({ ...x })), schemaBefore);
    again.close();
    // --skip-db applies the files alone, with a warning.
    const skip = await apply("--skip-db");
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stderr, /skipping the database: the package.s migration is not applied/);
  } finally {
    await done();
  }
});

Deno.test({
  name: "a failing MariaDB migration keeps the files, reports what ran and records it in .patchops/migrations",
  ignore: !HAVE_MYSQL,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const [dir, done] = await tempDir();
    const conn = await connect();
    try {
      await withDatabases(conn, 1, async ([name]) => {
        await runIn(conn, name!, "CREATE TABLE t (id int PRIMARY KEY, code int); INSERT INTO t VALUES (1, 7), (2, 7);");
        const apply = await makeRelease(
          dir,
          "CREATE TABLE audit (id int PRIMARY KEY); CREATE TABLE t (id int PRIMARY KEY, code int, UNIQUE KEY u (code));",
          "mariadb",
        );
        const before = await snapshot(`${dir}/app`);
        const url = `${MYSQL_URL.replace(/\/?$/, "/")}${name}`;
        const r = await apply("--db", url);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /statement 2 of 2 failed .*statements 1-1 ran and stay applied/);
        assert.deepEqual(await snapshot(`${dir}/app`), before, "files not committed");
        const records = await Array.fromAsync(Deno.readDir(`${dir}/app/.patchops/migrations`));
        assert.equal(records.length, 1);
        const record = JSON.parse(await Deno.readTextFile(`${dir}/app/.patchops/migrations/${records[0]!.name}`));
        assert.equal(record.executed.length, 1);
        assert.match(record.executed[0], /^CREATE TABLE `audit`/);
      });
    } finally {
      await conn.end();
      await done();
    }
  },
});

Deno.test({
  name: "a patch with a PostgreSQL migration (PGlite): migrated with the files, or rolled back with nothing committed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const [dir, done] = await tempDir();
    try {
      const apply = await makeRelease(
        dir,
        "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE);",
        "postgres",
      );
      const { PGlite } = await import("@electric-sql/pglite");
      const setup = new PGlite(`${dir}/pg`);
      await setup.exec(
        "CREATE TABLE users (id serial PRIMARY KEY, name text); INSERT INTO users (name) VALUES (NULL);",
      );
      await setup.close();
      const before = await snapshot(`${dir}/app`, { exclude: [] });
      // A NULL name cannot become NOT NULL: the transaction rolls back and no file moves.
      let r = await apply("--db", `pglite:${dir}/pg`);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /migration failed and was rolled back/);
      assert.deepEqual(await snapshot(`${dir}/app`, { exclude: [] }), before);
      const fix = new PGlite(`${dir}/pg`);
      await fix.exec("UPDATE users SET name = 'ann'");
      const cols =
        (await fix.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1"))
          .rows;
      assert.deepEqual(cols.map((c) => (c as { column_name: string }).column_name), ["id", "name"], "nothing migrated");
      await fix.close();
      r = await apply("--db", `pglite:${dir}/pg`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await Deno.readTextFile(`${dir}/app/app.txt`), "v2");
      const after = new PGlite(`${dir}/pg`);
      assert.deepEqual((await after.query("SELECT name, email FROM users")).rows, [{ name: "ann", email: null }]);
      await after.close();
    } finally {
      await done();
    }
  },
});
