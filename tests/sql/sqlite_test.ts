/**
 * SQLite through node:sqlite: every change kind migrates with rows intact,
 * the server's own view of the result (PRAGMA table_info, index_list,
 * foreign_key_list) equals a database built from the target, and a second
 * run has nothing to do.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { migrateDatabase } from "../../src/sql/live/migrate.ts";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { ROOT, runCli, tempDir } from "../_helpers.ts";

/** Whether process `pid` has `path` open (Linux /proc). */
function opened(pid: number, path: string): boolean {
  try {
    for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`) === path) return true;
    }
  } catch {
    // The process is gone, or a descriptor closed while we looked.
  }
  return false;
}

/** Polls `done` every 20 ms; throws after `ms`. */
async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((res) => setTimeout(res, 20));
  }
}

interface Case {
  name: string;
  from: string;
  to: string;
  data?: string;
  /** Query whose rows must be the same before and after. */
  check?: string;
}

const CASES: Case[] = [
  {
    name: "STRICT table with an ANY column, indexed under a name in another case",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT) STRICT;",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, v ANY) STRICT; CREATE INDEX iv ON T (v);",
    data: "INSERT INTO t VALUES (1, 'x');",
    check: "SELECT id, a FROM t",
  },
  {
    name: "append columns with ALTER TABLE ADD COLUMN",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER NOT NULL DEFAULT 5, c TEXT COLLATE NOCASE);",
    data: "INSERT INTO t VALUES (1, 'x'), (2, 'y');",
    check: "SELECT id, a FROM t ORDER BY id",
  },
  {
    name: "insert a column in the middle, change a type and nullability (rebuild)",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, n INTEGER);",
    to:
      "CREATE TABLE t (id INTEGER PRIMARY KEY, mid REAL DEFAULT 0.5, a TEXT NOT NULL DEFAULT '', n BIGINT CHECK (n >= 0));",
    data: "INSERT INTO t VALUES (1, 'x', 3), (2, 'y', 4);",
    check: "SELECT id, a, n FROM t ORDER BY id",
  },
  {
    name: "rename a column and a table by annotation",
    from: "CREATE TABLE old_t (id INTEGER PRIMARY KEY, old_c TEXT);",
    to: `CREATE TABLE new_t ( -- @renamed from=old_t
      id INTEGER PRIMARY KEY,
      new_c TEXT -- @renamed from=old_c
    );`,
    data: "INSERT INTO old_t VALUES (1, 'kept');",
    check: "SELECT * FROM new_t",
  },
  {
    // The parser reads a rewritten text (declared types): the annotation was once found by offsets of that
    // text and given to the column before, "x", so "w" was dropped and "y" added empty.
    name: "rename a column by an annotation on the last line, after declared types rewritten for the parser",
    from: "CREATE TABLE u (id int PRIMARY KEY, x int, w int);",
    to: `CREATE TABLE u (
      id int PRIMARY KEY,
      x int,
      y int -- @renamed from=w
    );`,
    data: "INSERT INTO u VALUES (1, 10, 20);",
    check: "SELECT * FROM u ORDER BY id",
  },
  {
    name: "drop a column (destructive) and keep the others",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, keep TEXT, legacy BLOB);",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, keep TEXT);",
    data: "INSERT INTO t VALUES (1, 'k', x'00');",
    check: "SELECT id, keep FROM t",
  },
  {
    name: "indexes: add, drop, change, unique, partial; constraints: unique and composite key",
    from: "CREATE TABLE t (a INTEGER, b TEXT, c TEXT); CREATE INDEX ia ON t (a); CREATE INDEX ib ON t (b);",
    to: `CREATE TABLE t (a INTEGER NOT NULL, b TEXT, c TEXT, PRIMARY KEY (a, b), UNIQUE (c));
      CREATE UNIQUE INDEX ia ON t (a DESC, c COLLATE NOCASE); CREATE INDEX ic ON t (c) WHERE c IS NOT NULL;`,
    data: "INSERT INTO t VALUES (1, 'x', 'p'), (2, 'y', 'q');",
    check: "SELECT a, b, c FROM t ORDER BY a",
  },
  {
    name: "foreign keys added to a referencing table keep rows and are checked",
    from: "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER);",
    to: `CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
      CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);`,
    data: "INSERT INTO p VALUES (1); INSERT INTO c VALUES (10, 1);",
    check: "SELECT c.id, p.id FROM c JOIN p ON p.id = c.p_id",
  },
  {
    name: "views and triggers survive a rebuild of their table",
    from: `CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, log INTEGER DEFAULT 0);
      CREATE VIEW big AS SELECT id FROM t WHERE v > 10;
      CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN UPDATE t SET log = 1 WHERE id = NEW.id; END;`,
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT, v INTEGER, log INTEGER DEFAULT 0);
      CREATE VIEW big AS SELECT id, label FROM t WHERE v > 10;
      CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN UPDATE t SET log = 2 WHERE id = NEW.id; END;`,
    data: "INSERT INTO t (id, v) VALUES (1, 20);",
    check: "SELECT id, v FROM t",
  },
  {
    name: "new and dropped tables, autoincrement, generated columns, STRICT",
    from: "CREATE TABLE gone (x INTEGER); CREATE TABLE t (id INTEGER PRIMARY KEY);",
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY);
      CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER, twice INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL) STRICT;`,
  },
];

function open(path: string, sql?: string): DatabaseSync {
  const db = new DatabaseSync(path);
  if (sql) db.exec(sql);
  return db;
}

/** The database's own description of each table: columns, keys, foreign keys. */
function describe(db: DatabaseSync): unknown {
  const tables =
    (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as { name: string }[]).map((r) => r.name);
  return tables.map((t) => ({
    t,
    columns: db.prepare(`PRAGMA table_xinfo("${t}")`).all().map((c) => ({ ...c })),
    indexes: (db.prepare(`PRAGMA index_list("${t}")`).all() as {
      name: string;
      unique: number;
      origin: string;
      partial: number;
    }[])
      .map((i) => ({
        name: i.origin === "c" ? i.name : i.origin,
        unique: i.unique,
        partial: i.partial,
        cols: db.prepare(`PRAGMA index_xinfo("${i.name}")`).all().map((x) => ({ ...x })),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    fks: db.prepare(`PRAGMA foreign_key_list("${t}")`).all().map((f) => ({ ...f })),
  }));
}

for (const c of CASES) {
  Deno.test(`sql apply on SQLite: ${c.name}`, async () => {
    const [dir, done] = await tempDir();
    try {
      const a = open(`${dir}/a.db`, c.from);
      if (c.data) a.exec(c.data);
      const before = c.check ? a.prepare(c.check.replace(/new_t/g, "old_t")).all().map(Object.values) : undefined;
      a.close();
      const r = await migrateDatabase(c.to, `sqlite:${dir}/a.db`, { allowDestructive: true });
      assert.ok(r.executed.length > 0);
      const b = open(`${dir}/b.db`, c.to);
      const migrated = open(`${dir}/a.db`);
      try {
        assert.deepEqual(describe(migrated), describe(b));
        if (c.check) assert.deepEqual(migrated.prepare(c.check).all().map(Object.values), before, "rows survive");
        assert.deepEqual(migrated.prepare("PRAGMA foreign_key_check").all(), []);
      } finally {
        migrated.close();
        b.close();
      }
      const again = await migrateDatabase(c.to, `sqlite:${dir}/a.db`);
      assert.equal(again.plan.changes.length, 0, again.plan.sql);
    } finally {
      await done();
    }
  });
}

Deno.test("sql apply on SQLite rolls back the whole migration when a statement fails", async () => {
  const [dir, done] = await tempDir();
  try {
    const db = open(`${dir}/a.db`, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, NULL);");
    db.close();
    // v becomes NOT NULL without a default: the copy into the rebuilt table fails on the NULL row.
    await assert.rejects(
      migrateDatabase(
        "CREATE TABLE extra (x INTEGER); CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);",
        `sqlite:${dir}/a.db`,
      ),
      { code: "MigrationFailed", message: /rolled back.*NOT NULL/ },
    );
    const after = open(`${dir}/a.db`);
    const names = after.prepare("SELECT name FROM sqlite_schema ORDER BY name").all().map((r) =>
      (r as { name: string }).name
    );
    assert.deepEqual(names, ["t"], "nothing of the migration remains");
    after.close();
  } finally {
    await done();
  }
});

Deno.test("a second SQLite migrator waits for the first, or fails clearly when it times out", async () => {
  const [dir, done] = await tempDir();
  try {
    const holder = open(`${dir}/a.db`, "CREATE TABLE t (id INTEGER PRIMARY KEY);");
    await Deno.writeTextFile(`${dir}/target.sql`, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);");
    holder.exec("BEGIN IMMEDIATE");
    const r = await runCli(["sql", "apply", `${dir}/target.sql`, "--db", `sqlite:${dir}/a.db`, "--lock-timeout", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /another writer holds/);
    // Mutation caught: busy_timeout left at 0 in src/sql/live/sqlite.ts (the waiter fails at once
    // with "another writer holds" while the lock is still held).
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "-A",
        `${ROOT}/main.ts`,
        "sql",
        "apply",
        `${dir}/target.sql`,
        "--db",
        `sqlite:${dir}/a.db`,
        "--lock-timeout",
        "30",
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let finished = false;
    const waiting = child.output().then((o) => {
      finished = true;
      return { code: o.code, stderr: new TextDecoder().decode(o.stderr) };
    });
    // Release only once the waiter has the database open: it then meets the held lock, not a free one.
    await waitFor(() => opened(child.pid, `${dir}/a.db`) || finished, 30_000);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(finished, false, "the second migrator is still waiting while the lock is held");
    holder.exec("COMMIT");
    holder.close();
    const ok = await waiting;
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /migrated: 1 statement/);
  } finally {
    await done();
  }
});

Deno.test("sql diff --dialect sqlite works offline and withholds destructive rebuilds", () => {
  const r = generateSchemaDiff(
    "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);",
    "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
    { dialect: "sqlite" },
  );
  assert.equal(r.withheld.length, 1);
  assert.match(r.withheld[0]!.destructive!, /drops column "b"/);
  assert.match(r.sql, /^-- DROP TABLE "t";$/m);
});

Deno.test("sql apply --dry-run on a SQLite path that does not exist creates no file", async () => {
  const [dir, done] = await tempDir();
  try {
    const path = `${dir}/mistyped.db`;
    await assert.rejects(migrateDatabase("CREATE TABLE t (a int);", `sqlite:${path}`, { dryRun: true }), {
      code: "DbFailed",
    });
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    // Without --dry-run a new database is what the user asked for.
    await migrateDatabase("CREATE TABLE t (a int);", `sqlite:${path}`);
    assert.ok((await Deno.stat(path)).isFile);
  } finally {
    await done();
  }
});

Deno.test("sql diff --dialect sqlite matches table names without case, as SQLite does", () => {
  const d = (from: string, to: string) => generateSchemaDiff(from, to, { dialect: "sqlite" });
  assert.deepEqual(d("CREATE TABLE users (id integer);", "CREATE TABLE USERS (id integer);").changes, []);
  const r = d("CREATE TABLE users (id integer);", "CREATE TABLE Users (id integer, n text);");
  // The column as the schema wrote it.
  assert.deepEqual(r.changes.map((c) => c.sql), ['ALTER TABLE "Users" ADD COLUMN n text']);
});

Deno.test("regression (issue 15): sql apply --dry-run on a WAL database leaves no -wal or -shm file behind", async () => {
  const [dir, done] = await tempDir();
  try {
    // A name with a space, "%41" and a "?", which the URI form must keep as they are.
    const path = `${dir}/app 100%41?.db`;
    const db = new DatabaseSync(path);
    db.exec("PRAGMA journal_mode=WAL; CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);");
    db.close();
    const names = () => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    const bytes = await Deno.readFile(path);
    assert.deepEqual(names(), ["app 100%41?.db"]);
    const r = await migrateDatabase("CREATE TABLE t (a INTEGER, b TEXT);", `sqlite:${path}`, { dryRun: true });
    assert.equal(r.plan.changes.length, 1);
    assert.deepEqual(names(), ["app 100%41?.db"]);
    assert.deepEqual(await Deno.readFile(path), bytes);
  } finally {
    await done();
  }
});

Deno.test("a printed SQLite plan that rebuilds a referenced table keeps the rows an ON DELETE CASCADE would take", () => {
  const from = `CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);`;
  const to = `CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);`;
  const plan = generateSchemaDiff(from, to, { dialect: "sqlite" }).sql;
  assert.match(plan, /DROP TABLE "p"/);
  // node:sqlite opens with foreign keys on, as Android and many ORMs do.
  const db = new DatabaseSync(":memory:");
  try {
    assert.equal((db.prepare("PRAGMA foreign_keys").get() as { foreign_keys: number }).foreign_keys, 1);
    db.exec(from);
    db.exec("INSERT INTO p VALUES (1, 'a'); INSERT INTO c VALUES (10, 1), (11, 1);");
    db.exec(plan);
    assert.deepEqual(db.prepare("SELECT id, p_id FROM c ORDER BY id").all().map((r) => ({ ...r })), [
      { id: 10, p_id: 1 },
      { id: 11, p_id: 1 },
    ]);
    assert.deepEqual(db.prepare("SELECT id, name FROM p").all().map((r) => ({ ...r })), [{ id: 1, name: "a" }]);
  } finally {
    db.close();
  }
});

Deno.test("a column @renamed while a new column takes its old name moves the data on every dialect, whichever is written first", () => {
  // Paired by name first, "a" kept its data and "b" was added empty: the annotation was dropped without a word.
  const from = "CREATE TABLE t (\n  id int PRIMARY KEY,\n  a int\n);\n";
  const forms = [
    "CREATE TABLE t (\n  id int PRIMARY KEY,\n  a int,\n  b int -- @renamed from=a\n);\n",
    "CREATE TABLE t (\n  id int PRIMARY KEY,\n  b int, -- @renamed from=a\n  a int\n);\n",
  ];
  for (const to of forms) {
    const db = new DatabaseSync(":memory:");
    db.exec(from);
    db.exec("INSERT INTO t VALUES (1, 5);");
    db.exec(generateSchemaDiff(from, to, { dialect: "sqlite" }).sql);
    assert.deepEqual(db.prepare("SELECT id, a, b FROM t").all().map((r) => ({ ...r })), [{ id: 1, a: null, b: 5 }]);
    db.close();
    // MariaDB runs this in tests/sql/mariadb_differ_fixes_test.ts; PostgreSQL's plan renames before it adds.
    const pg = generateSchemaDiff(from, to, { dialect: "postgres" }).sql;
    assert.match(pg, /RENAME COLUMN "a" TO "b";\nALTER TABLE "t" ADD COLUMN "a" integer;/, to);
    // Once renamed (the current table has "b" too), the annotation is taken as done.
    const done = to.replace(" -- @renamed from=a", "");
    for (const dialect of ["mariadb", "postgres", "sqlite"] as const) {
      assert.equal(generateSchemaDiff(done, to, { dialect }).changes.length, 0, dialect);
    }
  }
  // Two annotations naming one old column: refused, not one of them dropped.
  const two = "CREATE TABLE t (\n  id int PRIMARY KEY,\n  b int, -- @renamed from=a\n  c int -- @renamed from=a\n);\n";
  for (const dialect of ["mariadb", "postgres", "sqlite"] as const) {
    assert.throws(
      () => generateSchemaDiff(from, two, { dialect }),
      /column "t\.a" is named by two @renamed annotations/,
    );
  }
});
