import assert from "node:assert/strict";
import { splitStatements } from "../../src/sql/split.ts";

const texts = (sql: string, dialect: "mysql" | "postgres" | "sqlite") =>
  splitStatements(sql, { dialect }).statements.map((s) => s.text);

Deno.test("splitStatements() reads backslashes as escapes in MySQL strings only", () => {
  const sql = "CREATE TABLE t (p text DEFAULT 'C:\\');\nCREATE TABLE u (a int);";
  assert.deepEqual(texts(sql, "postgres"), ["CREATE TABLE t (p text DEFAULT 'C:\\')", "CREATE TABLE u (a int)"]);
  assert.deepEqual(texts(sql, "sqlite"), ["CREATE TABLE t (p text DEFAULT 'C:\\')", "CREATE TABLE u (a int)"]);
  assert.throws(() => texts(sql, "mysql"), /unterminated string/);
  // PostgreSQL's E'' strings do take escapes.
  assert.deepEqual(texts("SELECT E'it\\'s; fine'; SELECT 2;", "postgres"), ["SELECT E'it\\'s; fine'", "SELECT 2"]);
});

Deno.test("splitStatements() takes # as a comment in MySQL only", () => {
  const sql = "CREATE TABLE u (a int CHECK ((a # 1) > 0));";
  assert.deepEqual(texts(sql, "postgres"), ["CREATE TABLE u (a int CHECK ((a # 1) > 0))"]);
  assert.deepEqual(texts("CREATE TABLE u (a int); # note\nCREATE TABLE v (b int);", "mysql"), [
    "CREATE TABLE u (a int)",
    "CREATE TABLE v (b int)",
  ]);
});

Deno.test("splitStatements() keeps PostgreSQL dollar-quoted bodies and nested comments whole", () => {
  const fn = "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN NEW.a := 1; RETURN NEW; END; $body$ LANGUAGE plpgsql";
  assert.deepEqual(texts(`${fn};\nCREATE TABLE t (a int);`, "postgres"), [fn, "CREATE TABLE t (a int)"]);
  assert.deepEqual(
    texts("CREATE TABLE a (x int); /* outer /* inner */ ; still */ CREATE TABLE b (y int);", "postgres"),
    [
      "CREATE TABLE a (x int)",
      "CREATE TABLE b (y int)",
    ],
  );
});

Deno.test("splitStatements() reports the line and column of every character", () => {
  const { statements } = splitStatements("-- header\n  CREATE TABLE t (\n    a int NOT NUL\n  );", {
    dialect: "mysql",
  });
  const s = statements[0]!;
  const at = s.text.indexOf("NUL");
  assert.equal(s.lines[at], 3);
  assert.equal(s.columns[at], 15);
});
