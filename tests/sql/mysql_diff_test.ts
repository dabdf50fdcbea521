import assert from "node:assert/strict";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { parseMysqlSchema } from "../../src/sql/mysql/parse.ts";
import { runCli, tempDir } from "../_helpers.ts";

const diff = (from: string | undefined, to: string, allowDestructive = false) =>
  generateSchemaDiff(from, to, { dialect: "mariadb", allowDestructive });

Deno.test("equal schemas spelled differently give an empty diff", () => {
  const a = `CREATE TABLE t (
    id int(11) NOT NULL AUTO_INCREMENT, flag bool DEFAULT '0', name varchar(20) CHARACTER SET utf8mb4 DEFAULT NULL,
    ts timestamp(3) NULL DEFAULT CURRENT_TIMESTAMP(3), p_id int, PRIMARY KEY (id), KEY (name),
    FOREIGN KEY (p_id) REFERENCES p (id), CHECK (id > 0)) ENGINE=innodb AUTO_INCREMENT=42;`;
  const b = `CREATE TABLE \`t\` (
    \`id\` int NOT NULL AUTO_INCREMENT, \`flag\` tinyint(1) DEFAULT 0, \`name\` varchar(20) DEFAULT NULL,
    \`ts\` timestamp(3) NULL DEFAULT current_timestamp(3), \`p_id\` int(11) DEFAULT NULL,
    PRIMARY KEY (\`id\`), KEY \`name\` (\`name\`), KEY \`p_id\` (\`p_id\`),
    CONSTRAINT \`t_ibfk_1\` FOREIGN KEY (\`p_id\`) REFERENCES \`p\` (\`id\`), CONSTRAINT \`CONSTRAINT_1\` CHECK (\`id\` > 0)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;`;
  assert.deepEqual(diff(a, b).changes, []);
  assert.deepEqual(diff(b, a).changes, []);
});

Deno.test("destructive changes are withheld as comments with their reason", () => {
  const from =
    "CREATE TABLE t (id int PRIMARY KEY, a varchar(100), b enum('x','y'), c int, d bigint); CREATE TABLE gone (x int);";
  const to = "CREATE TABLE t (id int PRIMARY KEY, a varchar(10), b enum('x'), d int, e int);";
  const r = diff(from, to);
  const reasons = r.withheld.map((c) => c.destructive).sort();
  assert.deepEqual(reasons, [
    "drops column `c` of `t` and its data",
    "drops enum value 'y' of `b`",
    "drops table `gone` and its rows",
    "narrows column `a` from varchar(100) to varchar(10)",
    "narrows column `d` from bigint to int",
  ]);
  // The safe part is there uncommented; no destructive statement is.
  assert.match(r.sql, /^ALTER TABLE `t`\n {2}ADD COLUMN `e` int DEFAULT NULL AFTER `d`;$/m);
  for (const line of r.sql.split("\n")) {
    if (/DROP|MODIFY/.test(line)) assert.match(line, /^-- /, line);
  }
  const all = diff(from, to, true);
  assert.equal(all.withheld.length, 0);
  assert.match(all.sql, /^DROP TABLE `gone`;$/m);
});

Deno.test("the order: drop foreign keys, create referenced tables first, add foreign keys last", () => {
  const from = `CREATE TABLE a (id int PRIMARY KEY, b_id int, CONSTRAINT fk_b FOREIGN KEY (b_id) REFERENCES b (id));
    CREATE TABLE b (id int PRIMARY KEY);`;
  const to = `CREATE TABLE a (id int PRIMARY KEY, b_id int, c_id int, KEY fk_b (b_id),
      CONSTRAINT fk_c FOREIGN KEY (c_id) REFERENCES c (id));
    CREATE TABLE c (id int PRIMARY KEY, d_id int, FOREIGN KEY (d_id) REFERENCES d (id));
    CREATE TABLE d (id int PRIMARY KEY);
    CREATE TABLE b (id int PRIMARY KEY);`;
  const kinds = diff(from, to).changes.map((c) => `${c.kind}:${c.table}`);
  assert.deepEqual(kinds, [
    "drop_foreign_key:a",
    "create_table:d",
    "create_table:c",
    "alter_table:a",
    "add_foreign_key:a",
  ]);
});

Deno.test("parseMysqlSchema() names the line and column of a syntax error and shows the text there", () => {
  const sql = "CREATE TABLE ok (id int);\n\nCREATE TABLE t (\n  id int,\n  v int NOT NUL,\n  w int\n);";
  assert.throws(() => parseMysqlSchema(sql), /^PatchopsError: line 5, column 9: cannot parse table "t" at "NOT NUL,"/);
  // Past a rewritten item (`status` is quoted, BINARY taken out), columns still count in the file as written.
  assert.throws(
    () => parseMysqlSchema("CREATE TABLE t (\n  status varchar(10) BINARY DEFAULT 'x' BOGUS\n);"),
    /line 2, column 41: cannot parse table "t" at "BOGUS"/,
  );
  assert.throws(
    () => parseMysqlSchema("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);"),
    /line 2: .*not a table, view, trigger, procedure, function or event/,
  );
  assert.throws(() => parseMysqlSchema("CREATE TABLE t (a int, KEY k (zz));"), /unknown column "zz"/);
});

Deno.test("diff() reads partitioning as the server prints it and re-partitions after the keys change", () => {
  const written = `CREATE TABLE logs (id int NOT NULL, d date NOT NULL, PRIMARY KEY (id))
    /*!50100 PARTITION BY RANGE (year(d)) (PARTITION p0 VALUES LESS THAN (2020), PARTITION p1 VALUES LESS THAN (MAXVALUE)) */;`;
  const server = "CREATE TABLE `logs` (`id` int(11) NOT NULL, `d` date NOT NULL, PRIMARY KEY (`id`))\n" +
    " PARTITION BY RANGE (year(`d`))\n(PARTITION `p0` VALUES LESS THAN (2020) ENGINE = InnoDB,\n" +
    " PARTITION `p1` VALUES LESS THAN MAXVALUE ENGINE = InnoDB);";
  assert.deepEqual(diff(written, server).changes, []);
  const list = `CREATE TABLE logs (id int NOT NULL, d date NOT NULL, PRIMARY KEY (id, d))
    PARTITION BY LIST (year(d)) (PARTITION a VALUES IN (2024, 2023));`;
  const r = diff(server, list);
  assert.deepEqual(r.changes.map((c) => c.kind), ["partition_table", "alter_table", "partition_table"]);
  assert.equal(r.changes[0]!.sql, "ALTER TABLE `logs` REMOVE PARTITIONING");
  assert.match(r.changes[2]!.sql, /^ALTER TABLE `logs` PARTITION BY LIST/);
  assert.equal(r.withheld.length, 0);
  // LIST values are a set; the server sorts them.
  assert.deepEqual(diff(list, list.replace("(2024, 2023)", "(2023,2024)")).changes, []);
});

Deno.test("renames come from annotations and never drop data", () => {
  const r = diff(
    "CREATE TABLE t (id int, old_c int, KEY old_k (id));",
    "CREATE TABLE t (id int,\n  new_c int, -- @renamed from=old_c\n  KEY new_k (id) -- @renamed from=old_k\n);",
  );
  assert.equal(r.withheld.length, 0);
  assert.match(r.sql, /RENAME INDEX `old_k` TO `new_k`/);
  assert.match(r.sql, /CHANGE COLUMN `old_c` `new_c` int DEFAULT NULL/);
  assert.doesNotMatch(r.sql, /DROP/);
});

Deno.test("without a from schema the diff is the full create script, referenced tables first, the same in every process", async () => {
  const tables = [
    "CREATE TABLE b (id int PRIMARY KEY, a_id int, FOREIGN KEY (a_id) REFERENCES a (id));",
    "CREATE TABLE a (id int PRIMARY KEY);",
    "CREATE TABLE c (id int PRIMARY KEY);",
    "CREATE TABLE d (id int, b_id int, FOREIGN KEY (b_id) REFERENCES b (id));",
  ];
  const permutations = (xs: string[]): string[][] =>
    xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations(xs.filter((_, j) => j !== i)).map((p) => [x, ...p]));
  for (const order of permutations(tables)) {
    const created = [...diff(undefined, order.join("\n")).sql.matchAll(/CREATE TABLE `(\w+)`/g)].map((m) => m[1]!);
    assert.deepEqual([...created].sort(), ["a", "b", "c", "d"], order.join(" "));
    const at = (t: string) => created.indexOf(t);
    assert.ok(at("a") < at("b") && at("b") < at("d"), `${created} for ${order.join(" ")}`);
  }
  // Another process gives the same bytes: no order from hashing, timing or the environment.
  const [dir, done] = await tempDir();
  try {
    const to = tables.join("\n");
    await Deno.writeTextFile(`${dir}/empty.sql`, "");
    await Deno.writeTextFile(`${dir}/to.sql`, to);
    const runs = await Promise.all(
      [1, 2].map(() => runCli(["sql", "diff", `${dir}/empty.sql`, `${dir}/to.sql`, "--dialect", "mariadb"])),
    );
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), diff(undefined, to).sql.trim());
    }
  } finally {
    await done();
  }
});

Deno.test("sql diff CLI prints SQL on stdout and exits 3 when destructive changes were withheld", async () => {
  const [dir, done] = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.sql`, "CREATE TABLE t (a int, b int);");
    await Deno.writeTextFile(`${dir}/b.sql`, "CREATE TABLE t (a int);");
    let r = await runCli(["sql", "diff", `${dir}/a.sql`, `${dir}/b.sql`, "--dialect", "mariadb"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^-- ALTER TABLE `t` DROP COLUMN `b`;$/m);
    r = await runCli(["sql", "diff", `${dir}/a.sql`, `${dir}/b.sql`, "--allow-destructive"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ALTER TABLE `t` DROP COLUMN `b`;$/m);
    r = await runCli(["sql", "diff", `${dir}/a.sql`, `${dir}/a.sql`]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /schemas are equal/);
    await Deno.writeTextFile(`${dir}/bad.sql`, "CREATE TABLE t (a int NOT NUL);");
    r = await runCli(["sql", "diff", `${dir}/a.sql`, `${dir}/bad.sql`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot diff .*line 1, column 23: cannot parse table "t"/m);
    r = await runCli(["sql", "diff", `${dir}/a.sql`]);
    assert.equal(r.code, 2);
  } finally {
    await done();
  }
});

Deno.test("diff() keeps the case of string literals in triggers, routines and views", () => {
  const t = "CREATE TABLE t (a int, b varchar(5));";
  const trig = (v: string) => `${t} CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.b = '${v}';`;
  assert.deepEqual(diff(trig("Ann"), trig("ann")).changes.map((c) => c.kind), ["drop_trigger", "create_trigger"]);
  assert.deepEqual(diff(trig("Ann"), trig("Ann").replace("SET NEW.b", "set new.B")).changes, []);
  const proc = (v: string) => `${t} CREATE PROCEDURE p() SELECT '${v}';`;
  assert.deepEqual(diff(proc("Ann"), proc("ann")).changes.map((c) => c.kind), ["drop_routine", "create_routine"]);
  const view = (v: string) => `${t} CREATE VIEW v AS SELECT a FROM t WHERE b = '${v}';`;
  assert.deepEqual(diff(view("Ann"), view("ann")).changes.map((c) => c.kind), ["create_view"]);
});

Deno.test("diff() compares routines, events and views as MariaDB prints them back", () => {
  const t = "CREATE TABLE t (a int, b int);";
  const pairs: [string, string][] = [
    [
      "CREATE FUNCTION f(x int) RETURNS int NO SQL DETERMINISTIC RETURN x + 1;",
      "CREATE DEFINER=`root`@`localhost` FUNCTION `f`(x int) RETURNS int(11)\n    DETERMINISTIC\n    NO SQL\nRETURN x + 1;",
    ],
    [
      "CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO DELETE FROM t;",
      "CREATE DEFINER=`root`@`localhost` EVENT `ev` ON SCHEDULE EVERY 1 DAY STARTS '2026-12-01 14:50:27' " +
      "ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM t;",
    ],
    [
      "CREATE VIEW v AS SELECT a, b y, count(*) FROM t AS x WHERE a != 1 GROUP BY a, b;",
      "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v` AS select `x`.`a` AS `a`," +
      "`x`.`b` AS `y`,count(0) AS `count(*)` from `t` `x` where (`x`.`a` <> 1) group by `x`.`a`,`x`.`b`;",
    ],
  ];
  for (const [written, stored] of pairs) assert.deepEqual(diff(t + written, t + stored).changes, [], stored);
  // A real change is still one.
  assert.equal(diff(t + pairs[1]![0], t + pairs[1]![0].replace("1 DAY", "2 DAY")).changes.length, 2);
});

Deno.test("diff() keeps the values of a STORED generated column made plain and withholds a VIRTUAL one", () => {
  const stored = diff("CREATE TABLE t (a int, b int AS (a + 1) STORED);", "CREATE TABLE t (a int, b int);");
  assert.equal(stored.withheld.length, 0);
  assert.match(stored.sql, /^ {2}MODIFY COLUMN `b` int DEFAULT NULL;$/m);
  assert.doesNotMatch(stored.sql, /DROP COLUMN/);
  const virtual = diff("CREATE TABLE t (a int, b int AS (a + 1) VIRTUAL);", "CREATE TABLE t (a int, b int);");
  assert.deepEqual(virtual.withheld.map((c) => c.destructive), [
    "the values of virtual column `b` are not stored: the plain column starts empty",
  ]);
  const made = diff("CREATE TABLE t (a int, b int);", "CREATE TABLE t (a int, b int AS (a + 1) STORED);");
  assert.deepEqual(made.withheld.map((c) => c.destructive), ["turns `b` into a generated column"]);
});

Deno.test("diff() matches unnamed foreign keys by content and names without case", () => {
  const p = "CREATE TABLE p (id int PRIMARY KEY, code int UNIQUE);";
  const from =
    `${p} CREATE TABLE c (a int, b int, FOREIGN KEY (a) REFERENCES p (id), FOREIGN KEY (b) REFERENCES p (code));`;
  const to = `${p} CREATE TABLE c (a int, b int, FOREIGN KEY (b) REFERENCES p (code));`;
  const r = diff(from, to);
  assert.deepEqual(r.changes.filter((c) => /FOREIGN KEY/.test(c.sql)).map((c) => c.sql), [
    "ALTER TABLE `c` DROP FOREIGN KEY `c_ibfk_1`",
  ]);
  assert.deepEqual(
    diff(
      "CREATE TABLE t (v int, KEY Idx (v), CONSTRAINT Pos CHECK (v > 0));",
      "CREATE TABLE t (v int, KEY idx (V), CONSTRAINT pos CHECK (v > 0));",
    )
      .changes,
    [],
  );
});

Deno.test("diff() reads what node-sql-parser rejects and the server accepts", () => {
  const server =
    "CREATE TABLE `t` (\n  `status` varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,\n" +
    "  `d` date DEFAULT '2024-01-01',\n  `n` inet6 DEFAULT NULL,\n  `m` int(11) INVISIBLE DEFAULT NULL,\n" +
    "  `l` text /*M!100301 COMPRESSED*/ DEFAULT NULL,\n  KEY `k` (`m`) IGNORED\n) ENGINE=InnoDB `PAGE_COMPRESSED`='1';";
  const written =
    "CREATE TABLE t (status varchar(10) BINARY, d date DEFAULT DATE '2024-01-01', n inet6, m int INVISIBLE, " +
    "l text COMPRESSED, KEY k (m) IGNORED) PAGE_COMPRESSED=1;";
  assert.deepEqual(diff(written, server).changes, []);
  assert.match(diff(written, written.replace(" IGNORED", "")).sql, /ALTER INDEX `k` NOT IGNORED/);
});

Deno.test("diff() keeps AND binding tighter than OR in every dialect", () => {
  const check = (sql: string) => `CREATE TABLE t (a int, b int, c int, d int, CONSTRAINT k CHECK (${sql}));`;
  for (const dialect of ["mariadb", "postgres", "sqlite"] as const) {
    const d = (from: string, to: string) => generateSchemaDiff(check(from), check(to), { dialect });
    assert.deepEqual(
      d("a > 0 AND b > 0 OR c > 0 AND d > 0", "(a > 0 AND b > 0) OR (c > 0 AND d > 0)").changes,
      [],
      dialect,
    );
    const changed = d("a > 0 AND b > 0 OR c > 0 AND d > 0", "a > 0 AND (b > 0 OR c > 0) AND d > 0");
    assert.ok(changed.changes.length > 0, dialect);
    // SQLite prints the CHECK as written, the others in their canonical form.
    assert.match(changed.sql, /and \(["`]?b["`]? > 0 or ["`]?c["`]? > 0\) and/i, dialect);
  }
});

Deno.test("a RANGE bound written TO_DAYS('...') equals the number the server stores", () => {
  const written = `CREATE TABLE ev (id int NOT NULL, created date NOT NULL, PRIMARY KEY (id, created))
    PARTITION BY RANGE (TO_DAYS(created)) (PARTITION p1 VALUES LESS THAN (TO_DAYS('2024-02-01')),
    PARTITION p2 VALUES LESS THAN (to_days('2024-03-01 00:00:00')), PARTITION p3 VALUES LESS THAN (TO_DAYS('20240401')),
    PARTITION p4 VALUES LESS THAN (TO_DAYS('2024-5-1')), PARTITION pmax VALUES LESS THAN MAXVALUE);`;
  // As MariaDB 10.11's SHOW CREATE TABLE gives it back.
  const stored = `CREATE TABLE ev (id int NOT NULL, created date NOT NULL, PRIMARY KEY (id, created))
    PARTITION BY RANGE (to_days(\`created\`)) (PARTITION p1 VALUES LESS THAN (739282) ENGINE = InnoDB,
    PARTITION p2 VALUES LESS THAN (739311) ENGINE = InnoDB, PARTITION p3 VALUES LESS THAN (739342) ENGINE = InnoDB,
    PARTITION p4 VALUES LESS THAN (739372) ENGINE = InnoDB, PARTITION pmax VALUES LESS THAN MAXVALUE ENGINE = InnoDB);`;
  assert.deepEqual(diff(written, stored).changes, []);
  assert.deepEqual(diff(stored, written).changes, []);
  // Another day is another bound; an impossible date is left as written (and so differs).
  assert.notDeepEqual(diff(written, stored.replace("739311", "739310")).changes, []);
  assert.notDeepEqual(diff(written.replace("2024-02-01", "2024-02-30"), stored).changes, []);
});

Deno.test("a renamed table's triggers are made again on it (MariaDB keeps their text naming the old table)", () => {
  const from = `CREATE TABLE comments (id int PRIMARY KEY, edited_at datetime);
    CREATE TRIGGER comments_bu BEFORE UPDATE ON comments FOR EACH ROW SET NEW.edited_at = NOW();`;
  const to = `CREATE TABLE remarks ( -- @renamed from=comments
    id int PRIMARY KEY, edited_at datetime);
    CREATE TRIGGER comments_bu BEFORE UPDATE ON remarks FOR EACH ROW SET NEW.edited_at = NOW();`;
  const kinds = diff(from, to).changes.map((c) => c.kind);
  assert.deepEqual(kinds, ["drop_trigger", "rename_table", "create_trigger"]);
});
