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

Deno.test("the parser refuses PARTITION BY, even inside a versioned comment, naming table and line", () => {
  const sql =
    `CREATE TABLE ok (id int);\n\nCREATE TABLE logs (id int, d date)\n/*!50100 PARTITION BY RANGE (year(d))\n(PARTITION p0 VALUES LESS THAN (2020)) */;`;
  assert.throws(() => parseMysqlSchema(sql), /line 4: table "logs": PARTITION BY is not supported/);
  assert.throws(
    () => parseMysqlSchema("CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);"),
    /line 2: .*not a table, view or trigger/,
  );
  assert.throws(() => parseMysqlSchema("CREATE TABLE t (a int, KEY k (zz));"), /unknown column "zz"/);
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
    await Deno.writeTextFile(`${dir}/bad.sql`, "CREATE TABLE t (a int) PARTITION BY HASH (a);");
    r = await runCli(["sql", "diff", `${dir}/a.sql`, `${dir}/bad.sql`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot diff .*PARTITION BY is not supported/m);
    r = await runCli(["sql", "diff", `${dir}/a.sql`]);
    assert.equal(r.code, 2);
  } finally {
    await done();
  }
});
