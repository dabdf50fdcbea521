/**
 * splitStatements(), the first step of every dialect's parser, on the
 * constructs each dialect's schema files use.
 */

import assert from "node:assert/strict";
import { splitStatements } from "../../src/sql/split.ts";

const split = (sql: string) => splitStatements(sql).statements.map((s) => [s.line, s.text]);

Deno.test("splitStatements() MySQL: quoted semicolons, comments, versioned comments and DELIMITER", () => {
  assert.deepEqual(
    split("/*!40101 SET NAMES utf8 */;\nCREATE TABLE `a;b` (c varchar(10) DEFAULT 'x;\\'y', -- c;\n d int # e;\n);"),
    [[1, "SET NAMES utf8"], [2, "CREATE TABLE `a;b` (c varchar(10) DEFAULT 'x;\\'y', \n d int \n)"]],
  );
  assert.deepEqual(
    split("DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END//\nDELIMITER ;\nCREATE TABLE t (a int);"),
    [[2, "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END"], [4, "CREATE TABLE t (a int)"]],
  );
  // What a versioned comment hides is parsed, not dropped: PARTITION BY inside one is still seen.
  assert.match(
    split("CREATE TABLE t (a int) /*!50100 PARTITION BY HASH (a) */;")[0]![1] as string,
    /PARTITION BY HASH/,
  );
});

Deno.test("splitStatements() PostgreSQL and SQLite: doubled quotes, block comments, trigger bodies", () => {
  assert.deepEqual(
    split(
      "CREATE TABLE t (a text DEFAULT 'it''s; fine', \"we;ird\" int);\n/* block ; comment */ CREATE TABLE u (b int);",
    ),
    [[1, "CREATE TABLE t (a text DEFAULT 'it''s; fine', \"we;ird\" int)"], [2, "CREATE TABLE u (b int)"]],
  );
  assert.deepEqual(
    split(
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; UPDATE t SET b = 2; END;\nCREATE TABLE u (a int);",
    ),
    [[1, "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; UPDATE t SET b = 2; END"], [
      2,
      "CREATE TABLE u (a int)",
    ]],
  );
});

Deno.test("splitStatements() keeps the line of every character and the @renamed annotations", () => {
  const { statements, annotations } = splitStatements(
    "-- @renamed from=old_t\nCREATE TABLE new_t (\n  a int\n);\nCREATE TABLE x (/* @renamed from=`o c` */ c int);",
  );
  const first = statements[0]!;
  assert.equal(first.line, 2);
  assert.equal(first.lines.length, first.text.length);
  assert.equal(first.lines[first.text.indexOf("a int")], 3);
  assert.deepEqual(annotations, [{ line: 1, from: "old_t" }, { line: 5, from: "o c" }]);
});

Deno.test("splitStatements() refuses unterminated strings, identifiers and comments, naming the line", () => {
  assert.throws(() => splitStatements("CREATE TABLE t (a int);\nCREATE TABLE u (a text DEFAULT 'open"), {
    code: "SqlInvalid",
    message: /line 2: unterminated string/,
  });
  assert.throws(() => splitStatements("CREATE TABLE `t (a int)"), { message: /unterminated identifier/ });
  assert.throws(() => splitStatements("CREATE TABLE t (a int) /* open"), { message: /line 1: unterminated comment/ });
});
