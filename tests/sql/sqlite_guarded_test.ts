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
    if (guarded && !diff.changes.some((x) => x.kind === "rebuild_table")) {
      // The same without a transaction: the guards alone carry it.
      db = fresh();
      db.exec(`${statements.slice(0, k).join(";\n")};`);
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
  const from = "CREATE TABLE t (id INTEGER PRIMARY KEY);";
  const to = 'CREATE TABLE t (id INTEGER PRIMARY KEY, "x\nDROP TABLE t; --" INT);';
  const diff = generateSchemaDiff(from, to, { dialect: "sqlite", guarded: true });
  const db = new DatabaseSync(":memory:");
  db.exec(from);
  db.exec(diff.sql);
  const cols = db.prepare(`PRAGMA table_info("t")`).all().map((x) => x.name);
  db.close();
  assert.deepEqual(cols, ["id", "x\nDROP TABLE t; --"]);
  assert.match(diff.sql, /^-- {3}statement 1 \(add column x\\x0aDROP TABLE t; -- to t\): /m);
});
