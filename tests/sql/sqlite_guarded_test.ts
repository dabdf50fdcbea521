/**
 * `sql diff --guarded --dialect sqlite` with node:sqlite and the sqlite3
 * command-line client: for each case, in both directions, the guarded
 * script reaches the target; run again, it succeeds (every statement
 * guarded) or fails changing nothing (the header names the statement); a
 * run stopped after any statement k leaves the source as it was and the
 * whole script then reaches the target; and where every statement is
 * guarded and no table is rebuilt, the first k statements run without a
 * transaction, then the whole script, reach the target too.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { guardChanges } from "../../src/sql/guard/mod.ts";
import { parseSqliteSchema } from "../../src/sql/sqlite/parse.ts";
import { runCli, tempDir } from "../_helpers.ts";
import { have } from "../_env.ts";

const HAVE_SQLITE3 = await have("sqlite3");

interface Case {
  name: string;
  from: string;
  to: string;
  data?: string;
  oneWay?: boolean;
}

const cases: Case[] = [];
const table = (name: string, from: string, to: string, more?: Partial<Case>) =>
  cases.push({ name, from: `CREATE TABLE t (${from});`, to: `CREATE TABLE t (${to});`, ...more });

// Each case runs both ways unless oneWay: every pair covers two change kinds.
table("columns: append and drop", "id INTEGER PRIMARY KEY, a TEXT", "id INTEGER PRIMARY KEY, a TEXT, b INT DEFAULT 3", {
  data: "INSERT INTO t (id, a) VALUES (1, 'x');",
});
table("columns: in the middle", "id INTEGER PRIMARY KEY, b INT", "id INTEGER PRIMARY KEY, a TEXT, b INT", {
  data: "INSERT INTO t VALUES (1, 2);",
});
table("columns: reordered", "id INTEGER PRIMARY KEY, a INT, b INT", "id INTEGER PRIMARY KEY, b INT, a INT");
table("types: affinity changed", "id INTEGER PRIMARY KEY, v TEXT", "id INTEGER PRIMARY KEY, v INTEGER");
table("types: same affinity", "id INTEGER PRIMARY KEY, v VARCHAR(10)", "id INTEGER PRIMARY KEY, v VARCHAR(40)");
table("not null", "id INTEGER PRIMARY KEY, v INT", "id INTEGER PRIMARY KEY, v INT NOT NULL DEFAULT 0");
table("defaults: changed", "id INTEGER PRIMARY KEY, v INT DEFAULT 1", "id INTEGER PRIMARY KEY, v INT DEFAULT 2");
table(
  "defaults: expression",
  "id INTEGER PRIMARY KEY, at TEXT",
  "id INTEGER PRIMARY KEY, at TEXT DEFAULT CURRENT_TIMESTAMP",
);
table("primary key: composite", "a INT NOT NULL, b INT NOT NULL", "a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b)");
table("unique: table constraint", "id INTEGER PRIMARY KEY, v INT", "id INTEGER PRIMARY KEY, v INT, UNIQUE (v)");
table("checks: named", "id INTEGER PRIMARY KEY, n INT", "id INTEGER PRIMARY KEY, n INT, CONSTRAINT pos CHECK (n > 0)");
table(
  "checks: changed",
  "id INTEGER PRIMARY KEY, n INT, CONSTRAINT pos CHECK (n > 0)",
  "id INTEGER PRIMARY KEY, n INT, CONSTRAINT pos CHECK (n > 1)",
);
table("collation", "id INTEGER PRIMARY KEY, s TEXT", "id INTEGER PRIMARY KEY, s TEXT COLLATE NOCASE");
table("generated column", "id INTEGER PRIMARY KEY, a INT", "id INTEGER PRIMARY KEY, a INT, g INT AS (a * 2)");
cases.push(
  {
    name: "tables: STRICT set and removed",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT);",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT) STRICT;",
  },
  {
    name: "tables: create and drop",
    from: "CREATE TABLE a (id INTEGER PRIMARY KEY);",
    to: "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
  },
  {
    name: "tables: rename by annotation",
    from: "CREATE TABLE old_t (id INTEGER PRIMARY KEY, v INT);",
    to: `CREATE TABLE new_t ( -- @renamed from=old_t
      id INTEGER PRIMARY KEY, v INT);`,
    data: "INSERT INTO old_t VALUES (1, 2);",
    oneWay: true,
  },
  {
    name: "tables: rename of a table another table, a view and a trigger name",
    from: `CREATE TABLE old_p (id INTEGER PRIMARY KEY, v INT);
      CREATE TABLE c (id INTEGER PRIMARY KEY, p INT REFERENCES old_p(id));
      CREATE VIEW pv AS SELECT v FROM old_p;
      CREATE TRIGGER tr AFTER INSERT ON c BEGIN UPDATE old_p SET v = v + 1 WHERE id = new.p; END;`,
    to: `CREATE TABLE new_p ( -- @renamed from=old_p
      id INTEGER PRIMARY KEY, v INT);
      CREATE TABLE c (id INTEGER PRIMARY KEY, p INT REFERENCES "new_p"(id));
      CREATE VIEW pv AS SELECT v FROM new_p;
      CREATE TRIGGER tr AFTER INSERT ON c BEGIN UPDATE "new_p" SET v = v + 1 WHERE id = new.p; END;`,
    data: "INSERT INTO old_p VALUES (1, 10); INSERT INTO c VALUES (1, 1);",
    oneWay: true,
  },
  {
    name: "tables: two renames and a column added to one of them",
    from: "CREATE TABLE a1 (id INTEGER PRIMARY KEY, v INT); CREATE TABLE b1 (id INTEGER PRIMARY KEY);",
    to: `CREATE TABLE a2 ( -- @renamed from=a1
      id INTEGER PRIMARY KEY, v INT, w INT DEFAULT 5);
      CREATE TABLE b2 ( -- @renamed from=b1
      id INTEGER PRIMARY KEY);`,
    data: "INSERT INTO a1 VALUES (1, 2); INSERT INTO b1 VALUES (7);",
    oneWay: true,
  },
  {
    name: "columns: rename by annotation",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT);",
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY,
      b INT -- @renamed from=a
    );`,
    oneWay: true,
  },
  {
    name: "columns: rename and retype (rebuild copying from the old name)",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, z INT);",
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY,
      b INTEGER -- @renamed from=a
    );`,
    data: "INSERT INTO t VALUES (1, '5', 0);",
    oneWay: true,
  },
  {
    name: "foreign keys: added and removed",
    from: "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INT);",
    to: `CREATE TABLE p (id INTEGER PRIMARY KEY);
      CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INT REFERENCES p (id) ON DELETE CASCADE);`,
  },
  {
    name: "indexes: create and drop",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT);",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT); CREATE INDEX t_v ON t (v);",
  },
  {
    name: "indexes: changed to unique, descending, partial",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT); CREATE INDEX t_v ON t (v);",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT); CREATE UNIQUE INDEX t_v ON t (v DESC) WHERE v > 0;",
  },
  {
    name: "views: create and drop",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT);",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT); CREATE VIEW tv AS SELECT id FROM t WHERE v > 1;",
  },
  {
    name: "views: changed, and made again when their table is rebuilt",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT); CREATE VIEW tv AS SELECT id FROM t;",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE VIEW tv AS SELECT id, v FROM t;",
  },
  {
    name: "triggers: create, change and drop",
    from: `CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);
      CREATE TRIGGER ta AFTER INSERT ON t BEGIN UPDATE t SET n = 1 WHERE id = NEW.id; END;
      CREATE TRIGGER tgone AFTER UPDATE ON t BEGIN SELECT 1; END;`,
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);
      CREATE TRIGGER ta AFTER INSERT ON t BEGIN UPDATE t SET n = 2 WHERE id = NEW.id; END;
      CREATE TRIGGER tnew BEFORE DELETE ON t BEGIN SELECT 2; END;`,
  },
  {
    name: "triggers: kept across a rebuild of their table",
    from: `CREATE TABLE t (id INTEGER PRIMARY KEY, n INT);
      CREATE TRIGGER ta AFTER INSERT ON t BEGIN UPDATE t SET n = 1 WHERE id = NEW.id; END;`,
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY, n INT NOT NULL DEFAULT 0);
      CREATE TRIGGER ta AFTER INSERT ON t BEGIN UPDATE t SET n = 1 WHERE id = NEW.id; END;`,
  },
);

type Row = Record<string, unknown>;

/** The database's own description: tables by PRAGMA, indexes, views and triggers by their stored SQL. */
function snapshot(db: DatabaseSync): unknown {
  const all = (sql: string) => db.prepare(sql).all().map((r) => ({ ...r }) as Row);
  const tables = all("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .map((r) => String(r.name));
  return {
    tables: tables.map((t) => ({
      t,
      columns: all(`PRAGMA table_xinfo("${t}")`),
      indexes: all(`PRAGMA index_list("${t}")`).map((i) => ({
        name: i.origin === "c" ? i.name : i.origin,
        unique: i.unique,
        partial: i.partial,
        cols: all(`PRAGMA index_xinfo("${i.name}")`),
      })).sort((a, b) => String(a.name) < String(b.name) ? -1 : 1),
      fks: all(`PRAGMA foreign_key_list("${t}")`),
      strict: all(`PRAGMA table_list("${t}")`).map((x) => x.strict),
    })),
    // View and trigger text as written, IF NOT EXISTS and whitespace aside (indexes are compared by PRAGMA above).
    objects: all("SELECT type, name, sql FROM sqlite_schema WHERE type IN ('view', 'trigger') ORDER BY 1, 2")
      .map((r) => ({ ...r, sql: String(r.sql).replace(/ IF NOT EXISTS /i, " ").replace(/\s+/g, " ") })),
  };
}

/** A new database file at `path` built from `sql`. */
function build(path: string, sql: string): DatabaseSync {
  try {
    Deno.removeSync(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const db = new DatabaseSync(path);
  if (sql.trim()) db.exec(sql);
  return db;
}

function check(dir: string, c: Case, from: string, to: string): void {
  const target = build(`${dir}/b.db`, to);
  const want = snapshot(target);
  target.close();
  const diff = generateSchemaDiff(from, to, { dialect: "sqlite", allowDestructive: true, guarded: true });
  const plan = diff.guarded!;
  const statements = plan.statements.map((s) => s.sql);
  const show = `\nguarded script:\n${diff.sql}`;
  const fresh = () => {
    const db = build(`${dir}/a.db`, from);
    if (from === c.from && c.data) db.exec(c.data);
    return db;
  };

  let db = fresh();
  const source = snapshot(db);
  db.exec(diff.sql);
  assert.deepEqual(snapshot(db), want, `one run: target reached${show}`);
  const guarded = plan.statements.every((s) => s.unguarded === undefined);
  if (guarded) {
    db.exec(diff.sql);
    assert.deepEqual(snapshot(db), want, `second run: target kept${show}`);
  } else {
    assert.match(diff.sql, /^-- guarded, except \d+ statements? that may fail if run twice:$/m);
    assert.throws(() => db.exec(diff.sql), Error, `a second run fails${show}`);
    // The client gives up: its connection closes with the transaction open, which rolls it back.
    db.close();
    db = new DatabaseSync(`${dir}/a.db`);
    assert.deepEqual(snapshot(db), want, `a failed second run changed nothing${show}`);
  }
  db.close();

  for (let k = 1; k < statements.length; k++) {
    // Stopped after statement k inside the script's transaction: the connection goes away.
    db = fresh();
    db.exec(`BEGIN;\n${statements.slice(0, k).join(";\n")};`);
    db.close();
    db = new DatabaseSync(`${dir}/a.db`);
    assert.deepEqual(snapshot(db), source, `stopped after ${k}: nothing changed${show}`);
    db.exec(diff.sql);
    assert.deepEqual(snapshot(db), want, `stopped after ${k}, then whole: target reached${show}`);
    db.close();
    if (guarded && !diff.changes.some((x) => ["rebuild_table", "add_column", "rename_column"].includes(x.kind))) {
      // The same without a transaction: the guards alone carry it (a rebuild, which a guarded ADD or RENAME COLUMN
      // is, keeps its rows in a TEMP table and needs the transaction).
      db = fresh();
      db.exec(`${statements.slice(0, k).join(";\n")};`);
      if (statements.slice(0, k).some((st) => st.startsWith("ATTACH DATABASE"))) {
        // A guarded table rename's placeholder database stays attached until after COMMIT: stopped in between,
        // the same connection cannot attach it again, and that run changes nothing; the client's next run is a
        // new connection.
        const other = new DatabaseSync(`${dir}/a.db`);
        const before = snapshot(other); // main's tables, without the attached placeholder
        other.close();
        assert.throws(() => db.exec(diff.sql), /already in use/, `rerun on the same connection${show}`);
        db.close();
        db = new DatabaseSync(`${dir}/a.db`);
        assert.deepEqual(snapshot(db), before, `a failed rerun on the same connection changed nothing${show}`);
      }
      db.exec(diff.sql);
      assert.deepEqual(snapshot(db), want, `first ${k} in autocommit, then whole: target reached${show}`);
      db.close();
    }
  }
}

Deno.test(`sql diff --guarded on SQLite: ${cases.length} cases both ways, rerun and stopped after every statement`, async () => {
  const [dir, done] = await tempDir();
  const failures: string[] = [];
  try {
    for (const c of cases) {
      try {
        check(dir, c, c.from, c.to);
        if (!c.oneWay) check(dir, c, c.to, c.from);
      } catch (err) {
        failures.push(`${c.name}: ${(err as Error).message}`);
      }
    }
  } finally {
    await done();
  }
  assert.deepEqual(failures, []);
});

Deno.test({
  name: "sql diff --guarded --dialect sqlite: the sqlite3 client runs the printed script, stopped or twice",
  ignore: !HAVE_SQLITE3,
}, async () => {
  const [dir, done] = await tempDir();
  try {
    const from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, old INT); CREATE INDEX t_a ON t (a);";
    const to = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT ''); CREATE INDEX t_a ON t (a DESC);";
    await Deno.writeTextFile(`${dir}/from.sql`, from);
    await Deno.writeTextFile(`${dir}/to.sql`, to);
    const r = await runCli([
      "sql",
      "diff",
      `${dir}/from.sql`,
      `${dir}/to.sql`,
      "--dialect",
      "sqlite",
      "--guarded",
      "--allow-destructive",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-- the whole script runs in one transaction$/m);
    const sqlite3 = async (input: string) => {
      const child = new Deno.Command("sqlite3", {
        args: ["-bail", `${dir}/a.db`],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      })
        .spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(input));
      await w.close();
      return await child.output();
    };
    const db = new DatabaseSync(`${dir}/a.db`);
    db.exec(from);
    db.close();
    // A leftover from an earlier run that stopped outside a transaction.
    assert.ok((await sqlite3('CREATE TABLE "patchops_new_t" (x);')).success);
    // The run stops at a failing statement in the middle: sqlite3 -bail exits and the transaction rolls back.
    const broken = r.stdout.replace(/^INSERT INTO /m, "SELECT no_such_function();\nINSERT INTO ");
    assert.equal((await sqlite3(broken)).success, false);
    for (const run of [1, 2]) {
      const out = await sqlite3(r.stdout);
      assert.ok(out.success, `run ${run}: ${new TextDecoder().decode(out.stderr)}`);
    }
    const check = new DatabaseSync(`${dir}/a.db`);
    const cols = check.prepare(`PRAGMA table_info("t")`).all().map((x) => x.name);
    const tables = check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY 1").all().map((x) =>
      x.name
    );
    check.close();
    assert.deepEqual(cols, ["id", "a"]);
    assert.deepEqual(tables, ["t"]);
    assert.match(r.stdout, /^DROP TABLE IF EXISTS "patchops_new_t";$/m);
  } finally {
    await done();
  }
});

Deno.test("sql diff --guarded: a name with a newline cannot end a header comment and become a statement", () => {
  // A renamed column whose old name the target reuses keeps its table's ALTERs unguarded, named in the header.
  const from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);";
  const to = `CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT, -- @renamed from=a
    a TEXT, "x\nDROP TABLE t; --" INT);`;
  const diff = generateSchemaDiff(from, to, { dialect: "sqlite", guarded: true });
  const db = new DatabaseSync(":memory:");
  db.exec(from);
  db.exec(diff.sql);
  const cols = db.prepare(`PRAGMA table_info("t")`).all().map((x) => x.name);
  db.close();
  assert.deepEqual(cols, ["id", "b", "a", "x\nDROP TABLE t; --"]);
  assert.match(diff.sql, /^-- {3}statement 3 \(add column x\\x0aDROP TABLE t; -- to t\): /m);
});

/** Every row of every table (rowids included where the table has them, sqlite_sequence too) and the schema. */
function dump(db: DatabaseSync): unknown {
  const all = (sql: string) => db.prepare(sql).all().map((r) => ({ ...r }) as Row);
  const tables = all(
    "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name <> 'sqlite_schema' ORDER BY name",
  );
  return {
    schema: snapshot(db),
    rows: tables.map((t) => {
      const name = `"${String(t.name).replaceAll('"', '""')}"`;
      return [t.name, all(`SELECT ${t.wr ? "" : "rowid AS patchops_test_rowid, "}* FROM ${name} ORDER BY 1`)];
    }),
  };
}

interface RowCase {
  name: string;
  from: string;
  to: string;
  data: string;
  /** Changes the new columns' values after the first run, so that a second run must keep them. */
  update: string;
  /** A row inserted after the runs (default: `INSERT INTO t DEFAULT VALUES`). */
  insert?: string;
  /** Run with foreign keys on (node:sqlite's default) rather than off (the sqlite3 client's). */
  foreignKeys?: boolean;
}

const rowCases: RowCase[] = [
  {
    name: "added columns: literal defaults, NOT NULL with a default, a generated column; index, view, trigger on t",
    from: `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX t_a ON t (a);
      CREATE VIEW tv AS SELECT id, a FROM t;
      CREATE TABLE log (n INT); CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.id); END;`,
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL DEFAULT 'it''s', n REAL DEFAULT 7,
        s TEXT DEFAULT 12, g TEXT AS (a || '!')); CREATE INDEX t_a ON t (a);
      CREATE VIEW tv AS SELECT id, a FROM t;
      CREATE TABLE log (n INT); CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.id); END;`,
    data: "INSERT INTO t VALUES (1, 'x'), (2, NULL), (5, 'y');",
    update: "UPDATE t SET b = 'kept ' || id, n = id * 1.5, s = NULL;",
  },
  {
    name: "renamed column and an added one",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, z INT);",
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY,
      b TEXT, -- @renamed from=a
      z INT, c INT DEFAULT 3);`,
    data: "INSERT INTO t VALUES (1, 'one', 10), (2, NULL, 20);",
    update: "UPDATE t SET b = b || '+', c = id + 100;",
  },
  {
    name: "rowid table without INTEGER PRIMARY KEY keeps its rowids; a column named c:1",
    from: 'CREATE TABLE t (a TEXT, "c:1" INT);',
    to: 'CREATE TABLE t (a TEXT, "c:1" INT, c INT DEFAULT 0);',
    data: `INSERT INTO t (rowid, a, "c:1") VALUES (5, 'p', 1), (9, 'q', 2);`,
    update: 'UPDATE t SET c = "c:1" * 7;',
  },
  {
    name: "WITHOUT ROWID",
    from: "CREATE TABLE t (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;",
    to: "CREATE TABLE t (k TEXT PRIMARY KEY, v INT, e INT DEFAULT -1) WITHOUT ROWID;",
    data: "INSERT INTO t VALUES ('a', 1), ('b', 2);",
    update: "UPDATE t SET e = v * 2;",
    insert: "INSERT INTO t (k) VALUES ('c')",
  },
  {
    name: "STRICT with an ANY column keeps a text '1' as text",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY, x ANY) STRICT;",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY, x ANY, y TEXT DEFAULT 'd') STRICT;",
    data: "INSERT INTO t VALUES (1, '1'), (2, 1), (3, x'00');",
    update: "UPDATE t SET y = 'v' || id;",
  },
  {
    name: "AUTOINCREMENT keeps its sequence past a deleted top row",
    from: "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);",
    to: "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, b INT DEFAULT 1);",
    data: "INSERT INTO t (a) VALUES ('x'), ('y'), ('z'); DELETE FROM t WHERE id = 3;",
    update: "UPDATE t SET b = id * 5;",
  },
  {
    name: "a table other tables reference (no action), foreign keys on",
    from: `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
      CREATE TABLE k (id INTEGER PRIMARY KEY, t_id INT NOT NULL REFERENCES t (id));`,
    to: `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT);
      CREATE TABLE k (id INTEGER PRIMARY KEY, t_id INT NOT NULL REFERENCES t (id));`,
    data: "INSERT INTO t VALUES (1, 'x'); INSERT INTO k VALUES (1, 1);",
    update: "UPDATE t SET b = 42;",
    foreignKeys: true,
  },
];

for (const c of rowCases) {
  Deno.test(`sql diff --guarded on SQLite keeps rows across runs: ${c.name}`, () => {
    const diff = generateSchemaDiff(c.from, c.to, { dialect: "sqlite", guarded: true });
    const plain = generateSchemaDiff(c.from, c.to, { dialect: "sqlite" });
    const show = `\nguarded script:\n${diff.sql}`;
    assert.ok(diff.guarded!.statements.every((s) => s.unguarded === undefined), show);
    assert.ok(plain.changes.every((x) => x.kind !== "rebuild_table"), "the plain script alters in place");
    const open = () => {
      const db = new DatabaseSync(":memory:", { enableForeignKeyConstraints: c.foreignKeys ?? false });
      db.exec(c.from);
      db.exec(c.data);
      return db;
    };
    // What the plain script's ALTER TABLE gives is what a first guarded run must give.
    const ref = open();
    ref.exec(plain.sql);
    const db = open();
    db.exec(diff.sql);
    assert.deepEqual(dump(db), dump(ref), `first run: as ALTER TABLE does${show}`);
    for (const x of [db, ref]) x.exec(c.update);
    db.exec(diff.sql);
    assert.deepEqual(dump(db), dump(ref), `second run keeps the new columns' values${show}`);
    const second = dump(db);
    db.exec(diff.sql);
    assert.deepEqual(dump(db), second, `third run changes nothing${show}`);
    assert.deepEqual(db.prepare("PRAGMA foreign_key_check").all(), []);
    // What the guarded script made still works: the trigger fires, the index answers, new ids go on from the top.
    for (const x of [db, ref]) x.exec(c.insert ?? "INSERT INTO t DEFAULT VALUES");
    assert.deepEqual(dump(db), dump(ref), `an insert afterwards${show}`);
    db.close();
    ref.close();
  });
}

Deno.test("sql diff --guarded on SQLite: a rebuild that copies from a renamed column keeps its data on a second run", () => {
  const from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, z INT); CREATE VIEW tv AS SELECT id FROM t;";
  const to = `CREATE TABLE t (id INTEGER PRIMARY KEY,
    b INTEGER -- @renamed from=a
  ); CREATE VIEW tv AS SELECT id FROM t;`;
  const diff = generateSchemaDiff(from, to, { dialect: "sqlite", guarded: true, allowDestructive: true });
  assert.ok(diff.changes.some((x) => x.kind === "rebuild_table"));
  assert.ok(diff.guarded!.statements.every((s) => s.unguarded === undefined), diff.sql);
  const db = new DatabaseSync(":memory:");
  db.exec(from);
  db.exec("INSERT INTO t VALUES (1, '5', 0), (2, 'x', 1), (3, NULL, 2);");
  const read = () => db.prepare("SELECT id, b, typeof(b) AS ty FROM t ORDER BY id").all().map((r) => ({ ...r }));
  db.exec(diff.sql);
  const first = [{ id: 1, b: 5, ty: "integer" }, { id: 2, b: "x", ty: "text" }, { id: 3, b: null, ty: "null" }];
  assert.deepEqual(read(), first);
  db.exec("UPDATE t SET b = id * 10;");
  db.exec(diff.sql);
  const second = [1, 2, 3].map((id) => ({ id, b: id * 10, ty: "integer" }));
  assert.deepEqual(read(), second, `second run keeps b\n${diff.sql}`);
  db.exec(diff.sql);
  assert.deepEqual(read(), second, "third run changes nothing");
  db.close();
});

Deno.test("sql diff --guarded on SQLite: a renamed column whose old name the target reuses stays in the header", () => {
  const from = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);";
  const to = `CREATE TABLE t (id INTEGER PRIMARY KEY,
    b TEXT, -- @renamed from=a
    a TEXT
  );`;
  const diff = generateSchemaDiff(from, to, { dialect: "sqlite", guarded: true, allowDestructive: true });
  // Run twice, "a" would be read as the renamed column again: the statement is named instead.
  assert.match(diff.sql, /^-- guarded, except \d+ statements? that may fail if run twice:$/m);
  const db = new DatabaseSync(":memory:");
  db.exec(from);
  db.exec("INSERT INTO t VALUES (1, 'A');");
  db.exec(diff.sql);
  assert.deepEqual(db.prepare("SELECT b, a FROM t").all().map((r) => ({ ...r })), [{ b: "A", a: null }]);
  db.close();
});

Deno.test("sql diff --guarded on SQLite: a renamed table keeps its rows on a second run, and a reused old name stays in the header", () => {
  const from = "CREATE TABLE old_t (id INTEGER PRIMARY KEY, v TEXT);";
  const renamed = `CREATE TABLE new_t ( -- @renamed from=old_t
    id INTEGER PRIMARY KEY, v TEXT);`;
  const diff = generateSchemaDiff(from, renamed, { dialect: "sqlite", guarded: true });
  assert.ok(diff.guarded!.statements.every((s) => s.unguarded === undefined), diff.sql);
  const db = new DatabaseSync(":memory:");
  db.exec(from);
  db.exec("INSERT INTO old_t VALUES (1, 'a');");
  db.exec(diff.sql);
  db.exec("INSERT INTO new_t VALUES (2, 'b');");
  db.exec(diff.sql);
  assert.deepEqual(db.prepare("SELECT id, v FROM new_t ORDER BY id").all().map((r) => [r.id, r.v]), [[1, "a"], [
    2,
    "b",
  ]]);
  assert.deepEqual(
    db.prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'").all()
      .map((r) => r.name),
    ["new_t"],
  );
  assert.deepEqual(
    db.prepare("PRAGMA database_list").all().map((r) => r.name).filter((n) => n !== "temp"),
    ["main"],
    "the guard is detached",
  );
  db.close();

  // Were the target to have a table of the old name (the differ pairs such a table with the old one instead of
  // renaming, so this is the guard alone), a second run would rename that table: the rename is named instead.
  const rename = {
    kind: "rename_table" as const,
    table: "new_t",
    sql: 'ALTER TABLE "old_t" RENAME TO "new_t"',
    description: "rename table old_t to new_t",
  };
  const plan = guardChanges([rename], "sqlite", {
    from: parseSqliteSchema(from),
    to: parseSqliteSchema(`${renamed} CREATE TABLE old_t (x INT);`),
  });
  assert.deepEqual(plan.statements.map((s) => s.sql), [rename.sql]);
  assert.match(plan.statements[0]!.unguarded ?? "", /the target has a table or view of the old name/);
  assert.deepEqual(plan.after, []);
});

Deno.test("sql diff --guarded on SQLite: the snapshot tables are TEMP; a user's table of their name is kept", () => {
  const mine = `CREATE TABLE patchops_snapshot_t (x TEXT); CREATE TABLE patchops_flags_t (y TEXT);`;
  const from = `CREATE TABLE t (id INTEGER PRIMARY KEY); ${mine}`;
  const to = `CREATE TABLE t (id INTEGER PRIMARY KEY, c INT DEFAULT 1); ${mine}`;
  const diff = generateSchemaDiff(from, to, { dialect: "sqlite", guarded: true });
  const db = new DatabaseSync(":memory:");
  db.exec(from);
  db.exec(
    "INSERT INTO t VALUES (1); INSERT INTO patchops_snapshot_t VALUES ('keep'); INSERT INTO patchops_flags_t VALUES ('me');",
  );
  db.exec(diff.sql);
  db.exec(diff.sql);
  assert.deepEqual(db.prepare("SELECT x FROM patchops_snapshot_t").all().map((r) => r.x), ["keep"]);
  assert.deepEqual(db.prepare("SELECT y FROM patchops_flags_t").all().map((r) => r.y), ["me"]);
  assert.deepEqual(db.prepare("SELECT id, c FROM t").all().map((r) => [r.id, r.c]), [[1, 1]]);
  assert.deepEqual(db.prepare("SELECT name FROM temp.sqlite_schema").all(), [], "no TEMP table is left");
  db.close();
});

Deno.test("sql diff --guarded on SQLite: a table referenced with ON DELETE CASCADE is rebuilt only with foreign keys off", async () => {
  const [dir, done] = await tempDir();
  try {
    const kids = "CREATE TABLE k (id INTEGER PRIMARY KEY, t_id INT REFERENCES t (id) ON DELETE CASCADE);";
    const from = `CREATE TABLE t (id INTEGER PRIMARY KEY); ${kids}`;
    const to = `CREATE TABLE t (id INTEGER PRIMARY KEY, c INT DEFAULT 1); ${kids}`;
    const diff = generateSchemaDiff(from, to, { dialect: "sqlite", guarded: true });
    assert.ok(diff.guarded!.statements.every((s) => s.unguarded === undefined), diff.sql);
    assert.match(diff.sql, /^-- this script rebuilds a table that others reference with ON DELETE actions: /m);
    // A referencing table the target drops still exists when the rebuild runs: the check is there too.
    const dropped = generateSchemaDiff(from, to.replace(kids, ""), { dialect: "sqlite", guarded: true });
    assert.match(dropped.sql, /^-- this script rebuilds a table that others reference with ON DELETE actions: /m);
    const path = `${dir}/a.db`;
    const setup = new DatabaseSync(path);
    setup.exec(`${from} INSERT INTO t VALUES (1), (2); INSERT INTO k VALUES (10, 1), (20, 2);`);
    setup.close();
    const state = (db: DatabaseSync) => ({
      t: db.prepare("SELECT * FROM t ORDER BY id").all().map((r) => ({ ...r })),
      k: db.prepare("SELECT * FROM k ORDER BY id").all().map((r) => ({ ...r })),
    });
    // Foreign keys on: the run stops with the one-line error and, its connection gone, changes nothing.
    let db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
    const before = state(db);
    assert.throws(() => db.exec(diff.sql), /CHECK constraint failed: this script rebuilds a table that others/);
    db.close();
    db = new DatabaseSync(path, { enableForeignKeyConstraints: false });
    assert.deepEqual(state(db), before);
    // Foreign keys off (the sqlite3 client's default): twice, and the children keep their rows.
    db.exec(diff.sql);
    db.exec("UPDATE t SET c = id + 5;");
    db.exec(diff.sql);
    assert.deepEqual(state(db), { t: [{ id: 1, c: 6 }, { id: 2, c: 7 }], k: before.k });
    assert.deepEqual(db.prepare("PRAGMA foreign_key_check").all(), []);
    db.close();
  } finally {
    await done();
  }
});

Deno.test("sql diff --guarded on SQLite: a rebuilt table referenced with ON DELETE CASCADE keeps the children's rows", () => {
  const kids = "CREATE TABLE k (id INTEGER PRIMARY KEY, p_id INT REFERENCES p (id) ON DELETE CASCADE);";
  const from = `CREATE TABLE p (id INTEGER PRIMARY KEY, v INT); ${kids}`;
  const to = `CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT); ${kids}`;
  const diff = generateSchemaDiff(from, to, { dialect: "sqlite", guarded: true, allowDestructive: true });
  assert.ok(diff.changes.some((x) => x.kind === "rebuild_table"));
  const children = (db: DatabaseSync) => db.prepare("SELECT * FROM k ORDER BY id").all().map((r) => ({ ...r }));
  for (const foreignKeys of [true, false]) {
    const db = new DatabaseSync(":memory:", { enableForeignKeyConstraints: foreignKeys });
    db.exec(`${from} INSERT INTO p VALUES (1, 5); INSERT INTO k VALUES (10, 1);`);
    if (foreignKeys) {
      assert.throws(() => db.exec(diff.sql), /CHECK constraint failed: this script rebuilds a table that others/);
      db.exec("ROLLBACK");
    } else {
      db.exec(diff.sql);
      db.exec(diff.sql);
    }
    assert.deepEqual(children(db), [{ id: 10, p_id: 1 }], `foreign keys ${foreignKeys ? "on" : "off"}\n${diff.sql}`);
    db.close();
  }
});
