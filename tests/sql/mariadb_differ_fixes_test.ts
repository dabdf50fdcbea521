/**
 * Three MariaDB differ faults the held-out set left open, each shown on the
 * real server (and in the guarded forms, run twice and resumed after every
 * statement, see _guarded_mysql.ts):
 *
 * 1. A composite primary key replacing an AUTO_INCREMENT `id`: the plan
 *    dropped the key while the column was still AUTO_INCREMENT (error 1075).
 *    Mutation caught: the `MODIFY COLUMN ... ` without AUTO_INCREMENT removed
 *    from alterTable (src/sql/mysql/diff.ts): the plain plan fails with 1075.
 * 2. `@renamed from=users` on a table while the target still has `users`
 *    was silently ignored. MySQL/MariaDB now rename and create; PostgreSQL
 *    and SQLite refuse with one line naming the table; an annotation whose
 *    new name the current schema has too is taken as done. Mutations caught:
 *    pairByName back to name-first pairing (the rows stay in `users`); the
 *    guard's RENAME TABLE IF EXISTS kept for a reused name (the second run
 *    fails: the new name is taken); foreign keys compared without the rename
 *    (posts' key, moved to `_users_old` by the server, is not dropped, and
 *    its column's MODIFY fails); the trigger of the renamed table not made
 *    again on the new one; renames left in file order (the chain's plan).
 * 3. `TO_DAYS('...')` in LIST `VALUES IN` was not folded into the number the
 *    server stores, so the server's own schema diffed as changed. Mutation
 *    caught: foldToDays skipped (src/sql/mysql/_text_objects.ts).
 *
 * The last test pins which foreign keys a retyped column remakes (found by
 * mariadb_heldout_frameworks.ts, which runs them on the server). Mutation
 * caught: a table's charset change counted for its int columns.
 */

import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { PatchopsError } from "../../src/errors.ts";
import { type Conn, connect, exportSchema, HAVE_MYSQL, runIn } from "./_mariadb.ts";
import { check, dropDatabase, type GuardCase, reset, type Row, snapshot } from "./_guarded_mysql.ts";

const RUN = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
const server = { ignore: !HAVE_MYSQL, sanitizeResources: false, sanitizeOps: false };

/** Runs `fn` with a connection and two scratch databases. */
async function withServer(tag: string, fn: (conn: Conn, dbs: [string, string]) => Promise<void>): Promise<void> {
  const conn = await connect();
  const dbs: [string, string] = [`pt_fix_${RUN}_${tag}_a`, `pt_fix_${RUN}_${tag}_b`];
  try {
    await fn(conn, dbs);
  } finally {
    for (const db of dbs) await dropDatabase(conn, db);
    await conn.end();
  }
}

const rows = async (conn: Conn, q: string) => ((await conn.query(q))[0] as Row[]).map(Object.values);

/**
 * The plain plan of `c` (destructive changes included, or only the safe
 * ones) on a copy of the source with its rows: every statement runs; with
 * everything, the target is reached and a second diff is empty.
 */
async function plain(conn: Conn, c: GuardCase, [a, b]: [string, string], allowDestructive = true): Promise<void> {
  const diff = generateSchemaDiff(c.from, c.to, { dialect: "mariadb", allowDestructive });
  await reset(conn, a, c.from);
  if (c.data) await runIn(conn, a, c.data);
  const before = c.check ? await rows(conn, c.check) : undefined;
  const statements = allowDestructive ? diff.changes : diff.changes.filter((ch) => ch.destructive === undefined);
  for (const ch of statements) {
    try {
      await conn.query(ch.sql);
    } catch (err) {
      assert.fail(`${(err as Error).message}\nat: ${ch.sql}\nplan:\n${diff.sql}`);
    }
  }
  if (before !== undefined) assert.deepEqual(await rows(conn, c.check!), before, "the rows survive");
  if (!allowDestructive) return;
  await reset(conn, b, c.to);
  assert.ok(isDeepStrictEqual(await snapshot(conn, a, c), await snapshot(conn, b, c)), `target reached:\n${diff.sql}`);
  const again = generateSchemaDiff(await exportSchema(conn, a), c.to, { dialect: "mariadb", allowDestructive: true });
  assert.equal(again.sql.includes("nothing to do"), true, `second diff:\n${again.sql}`);
  await conn.query(`USE \`${a}\``);
}

/** The case, both guarded forms: twice, and resumed after every statement. */
async function guarded(conn: Conn, c: GuardCase, dbs: [string, string], reverse = true): Promise<void> {
  for (const flavor of ["mariadb", "mysql"] as const) {
    await check(conn, { c, from: c.from, to: c.to, flavor, dbs });
    if (reverse) await check(conn, { c, from: c.to, to: c.from, flavor, dbs });
  }
}

// ---------------------------------------------------------------- 1. AUTO_INCREMENT id giving way to a composite key

const surrogate: GuardCase = {
  name: "a join table's surrogate AUTO_INCREMENT id dropped for a composite primary key",
  from: `CREATE TABLE order_items (id int NOT NULL AUTO_INCREMENT, order_id int NOT NULL, product_id int NOT NULL,
    qty int NOT NULL DEFAULT 1, PRIMARY KEY (id), KEY idx_order (order_id));`,
  to: `CREATE TABLE order_items (order_id int NOT NULL, product_id int NOT NULL,
    qty int NOT NULL DEFAULT 1, PRIMARY KEY (order_id, product_id), KEY idx_order (order_id));`,
  data: "INSERT INTO order_items (order_id, product_id, qty) VALUES (1, 1, 2), (1, 2, 1), (2, 1, 5);",
  check: "SELECT order_id, product_id, qty FROM order_items ORDER BY order_id, product_id",
};

Deno.test({
  name: "mariadb: a composite primary key replacing an AUTO_INCREMENT id runs, plain and guarded (error 1075)",
  ...server,
  async fn() {
    await withServer("ai", async (conn, dbs) => {
      const diff = generateSchemaDiff(surrogate.from, surrogate.to, { dialect: "mariadb", allowDestructive: true });
      assert.match(diff.changes[0]!.sql, /MODIFY COLUMN `id` int NOT NULL,\n {2}DROP PRIMARY KEY/);
      await plain(conn, surrogate, dbs);
      // Without --allow-destructive the key change waits with the drop it needs: taking AUTO_INCREMENT away
      // alone left a NOT NULL column without a default, and an insert that does not name it failed (1364).
      const safe = generateSchemaDiff(surrogate.from, surrogate.to, { dialect: "mariadb" });
      assert.equal(safe.changes.filter((ch) => ch.destructive === undefined).length, 0, safe.sql);
      assert.match(safe.sql, /takes AUTO_INCREMENT from column `id` of `order_items`, which is dropped after it/);
      await plain(conn, surrogate, dbs, false);
      const [cols] = await conn.query(`SHOW COLUMNS FROM \`${dbs[0]}\`.order_items`) as [Row[], unknown];
      assert.deepEqual(cols.map((r) => [r.Field, r.Extra]), [
        ["id", "auto_increment"],
        ["order_id", ""],
        ["product_id", ""],
        ["qty", ""],
      ]);
      await conn.query(`INSERT INTO \`${dbs[0]}\`.order_items (order_id, product_id) VALUES (3, 3)`);
      await guarded(conn, surrogate, dbs);
    });
  },
});

Deno.test({
  name: "mariadb: an AUTO_INCREMENT column that keeps a key until its own drop is left alone",
  ...server,
  async fn() {
    // The unique key on legacy_id goes with the column: no MODIFY is needed, and none is printed.
    const c: GuardCase = {
      name: "legacy AUTO_INCREMENT column with its own unique key dropped, uuid primary key kept",
      from: `CREATE TABLE docs (uuid char(36) NOT NULL, legacy_id int NOT NULL AUTO_INCREMENT, title varchar(50),
        PRIMARY KEY (uuid), UNIQUE KEY uq_legacy (legacy_id));`,
      to: "CREATE TABLE docs (uuid char(36) NOT NULL, title varchar(50), PRIMARY KEY (uuid));",
      data: "INSERT INTO docs (uuid, title) VALUES ('a', 'x'), ('b', 'y');",
      check: "SELECT uuid, title FROM docs ORDER BY uuid",
      oneWay: true,
    };
    const diff = generateSchemaDiff(c.from, c.to, { dialect: "mariadb", allowDestructive: true });
    assert.deepEqual(diff.changes.map((ch) => ch.sql), ["ALTER TABLE `docs` DROP COLUMN `legacy_id`"]);
    await withServer("ai2", async (conn, dbs) => {
      await plain(conn, c, dbs);
      await guarded(conn, c, dbs, false);
    });
  },
});

// ---------------------------------------------------------------- 2. @renamed whose old name the target still has

const cutOver: GuardCase = {
  name: "gh-ost cut-over: users renamed to _users_old, a new users made, posts and the trigger on the new one",
  from: `CREATE TABLE users (id int NOT NULL PRIMARY KEY, email varchar(100) NOT NULL);
CREATE TABLE posts (id int NOT NULL PRIMARY KEY, user_id int,
  CONSTRAINT fk_posts_user FOREIGN KEY (user_id) REFERENCES users (id));
CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.email = LOWER(NEW.email);`,
  to: `CREATE TABLE _users_old ( -- @renamed from=users
  id int NOT NULL PRIMARY KEY, email varchar(100) NOT NULL);
CREATE TABLE users (id bigint NOT NULL PRIMARY KEY, email varchar(255) NOT NULL, UNIQUE KEY uq_email (email));
CREATE TABLE posts (id int NOT NULL PRIMARY KEY, user_id bigint,
  CONSTRAINT fk_posts_user FOREIGN KEY (user_id) REFERENCES users (id));
CREATE TRIGGER users_bi BEFORE INSERT ON users FOR EACH ROW SET NEW.email = LOWER(NEW.email);`,
  data: "INSERT INTO users VALUES (1, 'a@x.org'), (2, 'b@x.org');",
  oneWay: true,
};

Deno.test({
  name: "mariadb: @renamed from=users while the target still has users renames the old table and makes the new one",
  ...server,
  async fn() {
    const diff = generateSchemaDiff(cutOver.from, cutOver.to, { dialect: "mariadb", allowDestructive: true });
    assert.ok(diff.changes.some((ch) => ch.sql === "RENAME TABLE `users` TO `_users_old`"), diff.sql);
    await withServer("ren", async (conn, dbs) => {
      await plain(conn, cutOver, dbs);
      // The rows went with the renamed table; the new users is empty; posts points at the new users.
      assert.deepEqual(await rows(conn, "SELECT id, email FROM _users_old ORDER BY id"), [[1, "a@x.org"], [
        2,
        "b@x.org",
      ]]);
      assert.deepEqual(await rows(conn, "SELECT COUNT(*) FROM users"), [[0]]);
      const [fk] = await conn.query(
        `SELECT REFERENCED_TABLE_NAME AS t FROM information_schema.REFERENTIAL_CONSTRAINTS
         WHERE CONSTRAINT_SCHEMA = ? AND CONSTRAINT_NAME = 'fk_posts_user'`,
        [dbs[0]],
      ) as [Row[], unknown];
      assert.deepEqual(fk.map((r) => r.t), ["users"]);
      // The trigger went with the renamed table and is made again on the new users (the target's).
      const [trig] = await conn.query(`SHOW TRIGGERS FROM \`${dbs[0]}\``) as [Row[], unknown];
      assert.deepEqual(trig.map((r) => [r.Trigger, r.Table]), [["users_bi", "users"]]);
      await guarded(conn, cutOver, dbs, false);
    });
  },
});

Deno.test({
  name: "mariadb: a rename chain (users to users_v1, users_new to users) runs in the order that frees each name",
  ...server,
  async fn() {
    const c: GuardCase = {
      name: "rename chain",
      from: `CREATE TABLE users (id int NOT NULL PRIMARY KEY, v int);
CREATE TABLE users_new (id int NOT NULL PRIMARY KEY, v int, w int);`,
      // users_new is written first: the plan must still rename users away before users_new takes its name.
      to: `CREATE TABLE users ( -- @renamed from=users_new
  id int NOT NULL PRIMARY KEY, v int, w int);
CREATE TABLE users_v1 ( -- @renamed from=users
  id int NOT NULL PRIMARY KEY, v int);`,
      data: "INSERT INTO users VALUES (1, 10); INSERT INTO users_new VALUES (2, 20, 30);",
      oneWay: true,
    };
    const diff = generateSchemaDiff(c.from, c.to, { dialect: "mariadb", allowDestructive: true });
    assert.deepEqual(diff.changes.map((ch) => ch.sql), [
      "RENAME TABLE `users` TO `users_v1`",
      "RENAME TABLE `users_new` TO `users`",
    ]);
    await withServer("chain", async (conn, dbs) => {
      await plain(conn, c, dbs);
      assert.deepEqual(await rows(conn, "SELECT id, v FROM users_v1"), [[1, 10]]);
      assert.deepEqual(await rows(conn, "SELECT id, v, w FROM users"), [[2, 20, 30]]);
      await guarded(conn, c, dbs, false);
    });
  },
});

Deno.test("a @renamed annotation that cannot be honoured is refused with one line naming the table", () => {
  const refused = (dialect: "postgres" | "sqlite" | "mariadb", from: string, to: string, pattern: RegExp) => {
    assert.throws(() => generateSchemaDiff(from, to, { dialect }), (err: unknown) => {
      assert.ok(err instanceof PatchopsError);
      assert.equal(err.code, "SqlInvalid");
      assert.match(err.message, pattern);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  };
  const from = "CREATE TABLE users (id int PRIMARY KEY, email text);";
  const to = `CREATE TABLE accounts ( -- @renamed from=users
    id int PRIMARY KEY, email text);
  CREATE TABLE users (id int PRIMARY KEY);`;
  // PostgreSQL's and SQLite's plans and guards are not built for a rename whose old name is made again.
  for (const dialect of ["postgres", "sqlite"] as const) {
    refused(dialect, from, to, /^table "accounts" is annotated @renamed from=users, but the new schema still has/);
  }
  // Two tables both claiming to be the old users.
  refused(
    "mariadb",
    from,
    `CREATE TABLE accounts ( -- @renamed from=users
      id int PRIMARY KEY, email text);
    CREATE TABLE members ( -- @renamed from=users
      id int PRIMARY KEY, email text);
    CREATE TABLE users (id int PRIMARY KEY);`,
    /^table "users" is named by two @renamed annotations$/,
  );
});

Deno.test("a @renamed annotation whose new name the current schema has too is taken as done", () => {
  // The migrated database still diffs against the annotated file as equal, whatever the old name became.
  const migrated = "CREATE TABLE _users_old (id int PRIMARY KEY); CREATE TABLE users (id bigint PRIMARY KEY);";
  const file = `CREATE TABLE _users_old ( -- @renamed from=users
    id int PRIMARY KEY);
  CREATE TABLE users (id bigint PRIMARY KEY);`;
  for (const dialect of ["mariadb", "postgres", "sqlite"] as const) {
    assert.deepEqual(generateSchemaDiff(migrated, file, { dialect }).changes, [], dialect);
  }
});

// ---------------------------------------------------------------- 3. TO_DAYS in LIST partitions

const holidays = `CREATE TABLE holidays (id int NOT NULL, d date NOT NULL, PRIMARY KEY (id, d))
  PARTITION BY LIST (TO_DAYS(d)) (PARTITION p_xmas VALUES IN (TO_DAYS('2024-12-25'), TO_DAYS('2025-12-25')),
  PARTITION p_ny VALUES IN (TO_DAYS('2025-01-01'), TO_DAYS('20240101')));`;

Deno.test({
  name: "mariadb: TO_DAYS values of LIST partitions compare as the numbers the server stores",
  ...server,
  async fn() {
    await withServer("list", async (conn, [a]) => {
      await reset(conn, a, holidays);
      const exported = await exportSchema(conn, a);
      assert.match(exported, /VALUES IN \(739610,739975\)/);
      assert.equal(generateSchemaDiff(exported, holidays, { dialect: "mariadb" }).changes.length, 0);
      assert.equal(generateSchemaDiff(holidays, exported, { dialect: "mariadb" }).changes.length, 0);
      // A value really changed is still seen.
      const moved = holidays.replace("TO_DAYS('2025-12-25')", "TO_DAYS('2025-12-26')");
      assert.equal(generateSchemaDiff(exported, moved, { dialect: "mariadb" }).changes.length, 1);
    });
  },
});

Deno.test("a foreign key is made again only when a column it uses changes type or charset", () => {
  const parent = (idType: string, cs: string) =>
    `CREATE TABLE accounts (id ${idType} NOT NULL PRIMARY KEY, name varchar(50)) DEFAULT CHARSET=${cs};`;
  const child = (cs: string) =>
    `CREATE TABLE projects (id int NOT NULL PRIMARY KEY, account_id int NOT NULL, KEY ix (account_id),
      CONSTRAINT fk_acc FOREIGN KEY (account_id) REFERENCES accounts (id)) DEFAULT CHARSET=${cs};`;
  const kinds = (from: string, to: string) =>
    generateSchemaDiff(from, to, { dialect: "mariadb", allowDestructive: true }).changes.map((c) => c.kind);
  // A table charset change reaches name (a MODIFY of its own), not the int columns the key uses: the key stays.
  assert.deepEqual(
    kinds(parent("int", "utf8mb3") + child("utf8mb3"), parent("int", "utf8mb4") + child("utf8mb4")),
    ["alter_table", "alter_table", "modify_column"],
  );
  // int to bigint on both sides: dropped first, made again last.
  assert.deepEqual(
    kinds(
      parent("int", "utf8mb4") + child("utf8mb4"),
      parent("bigint", "utf8mb4") + child("utf8mb4").replace("account_id int", "account_id bigint"),
    ),
    ["drop_foreign_key", "alter_table", "alter_table", "add_foreign_key"],
  );
});

// ---------------------------------------------------------------- a column renamed while a new one takes its old name

Deno.test({
  name: "mariadb: a column @renamed while a new column takes its old name moves the data, whichever is written first",
  ...server,
  async fn() {
    await withServer("colreuse", async (conn, dbs) => {
      const from = "CREATE TABLE t (id int PRIMARY KEY, a int);";
      for (
        const to of [
          "CREATE TABLE t (\n  id int PRIMARY KEY,\n  a int,\n  b int -- @renamed from=a\n);",
          "CREATE TABLE t (\n  id int PRIMARY KEY,\n  b int, -- @renamed from=a\n  a int\n);",
        ]
      ) {
        // Paired by name first (the first form), "a" kept its data and "b" was added empty.
        await plain(conn, { name: "reuse", from, to, data: "INSERT INTO t VALUES (1, 5);" }, dbs);
        assert.deepEqual(await rows(conn, `SELECT id, a, b FROM \`${dbs[0]}\`.t`), [[1, null, 5]], to);
      }
    });
  },
});
