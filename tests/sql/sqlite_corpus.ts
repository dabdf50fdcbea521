/**
 * A corpus of schema changes written from the SQLite manual (CREATE TABLE,
 * ALTER TABLE, CREATE INDEX, CREATE VIEW, CREATE TRIGGER, datatypes, STRICT
 * and WITHOUT ROWID tables, generated columns, foreign keys), one small
 * change each. sqlite_corpus_test.ts runs each in both directions.
 */

/** One schema change. */
export interface SqliteCase {
  name: string;
  /**
   * A limit patchops knows of and does not refuse yet: the case runs and
   * must still fail (the day it converges, the test says so).
   */
  knownLimit?: string;
  from: string;
  to: string;
  data?: string;
  check?: string;
  oneWay?: boolean;
  /** A limit patchops knows of: refused with a matching message. */
  refused?: RegExp;
}

const cases: SqliteCase[] = [];
const add = (name: string, from: string, to: string, more?: Partial<SqliteCase>) =>
  cases.push({ name, from, to, ...more });
const table = (name: string, from: string, to: string, more?: Partial<SqliteCase>) =>
  add(
    name,
    `CREATE TABLE t (id INTEGER PRIMARY KEY, ${from});`,
    `CREATE TABLE t (id INTEGER PRIMARY KEY, ${to});`,
    more,
  );
const rows = { data: "INSERT INTO t (id) VALUES (1), (2);", check: "SELECT id FROM t ORDER BY id" };

// Datatypes (3.1 affinity).
for (
  const [a, b] of [
    ["INTEGER", "TEXT"],
    ["TEXT", "BLOB"],
    ["REAL", "NUMERIC"],
    ["VARCHAR(10)", "VARCHAR(200)"],
    ["INT", "BIGINT"],
    ["DOUBLE", "FLOAT"],
    ["BOOLEAN", "INTEGER"],
    ["DATETIME", "TEXT"],
  ]
) table(`datatype: ${a} to ${b}`, `v ${a}`, `v ${b}`, rows);
// Column constraints.
table("column: add at the end", "a TEXT", "a TEXT, b INTEGER", rows);
table("column: add in the middle", "a TEXT", "x REAL, a TEXT", rows);
table("column: NOT NULL with a default", "a TEXT", "a TEXT NOT NULL DEFAULT ''");
table("column: NOT NULL dropped", "a TEXT NOT NULL DEFAULT 'x'", "a TEXT", rows);
table("column: a numeric default", "a INTEGER", "a INTEGER DEFAULT 5", rows);
table("column: a negative default", "a INTEGER", "a INTEGER DEFAULT -1", rows);
table("column: a string default keeps its case", "a TEXT DEFAULT 'ann'", "a TEXT DEFAULT 'Ann'", rows);
table("column: CURRENT_TIMESTAMP default", "a TEXT", "a TEXT DEFAULT CURRENT_TIMESTAMP", rows);
table("column: an expression default", "a INTEGER", "a INTEGER DEFAULT (1 + 2)", rows);
table("column: a blob default", "a BLOB", "a BLOB DEFAULT x'00ff'", rows);
table("column: COLLATE NOCASE", "a TEXT", "a TEXT COLLATE NOCASE", rows);
table("column: UNIQUE", "a TEXT", "a TEXT UNIQUE", rows);
table("column: CHECK", "a INTEGER", "a INTEGER CHECK (a > 0)", {
  ...rows,
});
table("column: CHECK with IN", "s TEXT", "s TEXT CHECK (s IN ('new', 'paid'))", {
  ...rows,
});
table("column: CHECK changed", "a INTEGER CHECK (a > 0)", "a INTEGER CHECK (a > 1)", {
  ...rows,
});
table("column: dropped", "a TEXT, b TEXT", "a TEXT", { ...rows, oneWay: true });
add(
  "column: renamed by annotation",
  "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
  "CREATE TABLE t (id INTEGER PRIMARY KEY,\n  b TEXT -- @renamed from=a\n);",
  { data: "INSERT INTO t VALUES (1, 'x');", check: "SELECT * FROM t", oneWay: true },
);
table("generated: VIRTUAL", "a INTEGER", "a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL", rows);
table("generated: STORED", "a INTEGER", "a INTEGER, b INTEGER AS (a + 1) STORED", rows);
// Table constraints.
add(
  "table: a composite primary key",
  "CREATE TABLE t (a INTEGER, b INTEGER);",
  "CREATE TABLE t (a INTEGER, b INTEGER, PRIMARY KEY (a, b));",
);
add(
  "table: UNIQUE over two columns",
  "CREATE TABLE t (a INTEGER, b INTEGER);",
  "CREATE TABLE t (a INTEGER, b INTEGER, UNIQUE (a, b));",
);
add(
  "table: a named CHECK",
  "CREATE TABLE t (a INTEGER);",
  "CREATE TABLE t (a INTEGER, CONSTRAINT pos CHECK (a >= 0));",
);
add(
  "table: AUTOINCREMENT",
  "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
  "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);",
);
add(
  "table: STRICT",
  "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
  "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT) STRICT;",
);
add(
  "table: STRICT with ANY",
  "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT) STRICT;",
  "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, v ANY) STRICT;",
);
add(
  "table: WITHOUT ROWID",
  "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT);",
  "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;",
);
add("table: created", "CREATE TABLE a (x INTEGER);", "CREATE TABLE a (x INTEGER); CREATE TABLE b (y TEXT);");
add("table: dropped", "CREATE TABLE a (x INTEGER); CREATE TABLE b (y TEXT);", "CREATE TABLE a (x INTEGER);");
add(
  "table: renamed by annotation",
  "CREATE TABLE a (x INTEGER);",
  "CREATE TABLE b ( -- @renamed from=a\n  x INTEGER);",
  { data: "INSERT INTO a VALUES (7);", oneWay: true },
);
// Regression (issue 15): a rename and a rebuild together copied the rows from the old name after the rename.
add(
  "table: renamed by annotation and rebuilt",
  "CREATE TABLE a (x INTEGER, y TEXT);",
  "CREATE TABLE b ( -- @renamed from=a\n  x INTEGER, y TEXT NOT NULL DEFAULT '', z INTEGER);",
  { data: "INSERT INTO a VALUES (7, 'q');", oneWay: true },
);
add("table: names differ in case only", "CREATE TABLE users (x INTEGER);", "CREATE TABLE USERS (x INTEGER, y TEXT);");
add(
  "table: a quoted name",
  'CREATE TABLE "my table" (x INTEGER);',
  'CREATE TABLE "my table" (x INTEGER, "my col" TEXT);',
);
add("table: bracket-quoted names", "CREATE TABLE [t] ([a] INTEGER);", "CREATE TABLE [t] ([a] INTEGER, [b] TEXT);");
// Foreign keys.
const parent = "CREATE TABLE p (id INTEGER PRIMARY KEY);";
add(
  "fk: added",
  `${parent} CREATE TABLE c (id INTEGER, pid INTEGER);`,
  `${parent} CREATE TABLE c (id INTEGER, pid INTEGER REFERENCES p (id));`,
);
for (const action of ["ON DELETE CASCADE", "ON DELETE SET NULL", "ON UPDATE CASCADE", "ON DELETE RESTRICT"]) {
  add(
    `fk: ${action}`,
    `${parent} CREATE TABLE c (id INTEGER, pid INTEGER REFERENCES p (id));`,
    `${parent} CREATE TABLE c (id INTEGER, pid INTEGER REFERENCES p (id) ${action});`,
  );
}
add(
  "fk: a table constraint",
  `${parent} CREATE TABLE c (id INTEGER, pid INTEGER);`,
  `${parent} CREATE TABLE c (id INTEGER, pid INTEGER, FOREIGN KEY (pid) REFERENCES p (id));`,
);
add(
  "fk: DEFERRABLE INITIALLY DEFERRED",
  `${parent} CREATE TABLE c (id INTEGER, pid INTEGER REFERENCES p (id));`,
  `${parent} CREATE TABLE c (id INTEGER, pid INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);`,
);
// Indexes.
const base = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);";
add("index: created", base, `${base} CREATE INDEX t_a ON t (a);`);
add("index: unique", base, `${base} CREATE UNIQUE INDEX t_a ON t (a);`);
add("index: two columns", base, `${base} CREATE INDEX t_ab ON t (a, b);`);
add("index: DESC", base, `${base} CREATE INDEX t_b ON t (b DESC);`);
add("index: COLLATE", base, `${base} CREATE INDEX t_a ON t (a COLLATE NOCASE);`);
add("index: partial", base, `${base} CREATE INDEX t_b ON t (b) WHERE b > 0;`);
add("index: an expression", base, `${base} CREATE INDEX t_la ON t (lower(a));`);
add("index: changed", `${base} CREATE INDEX t_i ON t (a);`, `${base} CREATE INDEX t_i ON t (a, b);`);
add("index: dropped", `${base} CREATE INDEX t_i ON t (a);`, base);
// Views and triggers.
add("view: created", base, `${base} CREATE VIEW v AS SELECT id, a FROM t;`);
add(
  "view: changed",
  `${base} CREATE VIEW v AS SELECT id FROM t;`,
  `${base} CREATE VIEW v AS SELECT id, b FROM t WHERE b > 1;`,
);
add(
  "view: a literal keeps its case",
  `${base} CREATE VIEW v AS SELECT id FROM t WHERE a = 'ann';`,
  `${base} CREATE VIEW v AS SELECT id FROM t WHERE a = 'Ann';`,
);
add("view: dropped", `${base} CREATE VIEW v AS SELECT id FROM t;`, base);
const log = "CREATE TABLE log (msg TEXT);";
add(
  "trigger: created",
  `${base} ${log}`,
  `${base} ${log} CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('ins'); END;`,
);
add(
  "trigger: changed",
  `${base} ${log} CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('ins'); END;`,
  `${base} ${log} CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('inserted'); END;`,
);
add(
  "trigger: dropped",
  `${base} ${log} CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('ins'); END;`,
  `${base} ${log}`,
);
add(
  "trigger: survives a rebuild of its table",
  `${base} ${log} CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('ins'); END;`,
  `CREATE TABLE t (id INTEGER PRIMARY KEY, z REAL, a TEXT, b INTEGER); ${log}
   CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('ins'); END;`,
);
add(
  "view: survives a rebuild of its table",
  `${base} CREATE VIEW v AS SELECT id, a FROM t;`,
  "CREATE TABLE t (id INTEGER PRIMARY KEY, z REAL, a TEXT, b INTEGER); CREATE VIEW v AS SELECT id, a FROM t;",
);

/** Every case, in the order written. */
export const SQLITE_CORPUS: readonly SqliteCase[] = cases;
