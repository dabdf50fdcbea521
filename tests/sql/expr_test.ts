/**
 * printExpr(): spellings that mean the same print the same, and spellings
 * that differ in meaning never do. Trees come from node-sql-parser, as in
 * the dialect parsers.
 */

import assert from "node:assert/strict";
import NodeSqlParser from "node-sql-parser";
import { type Expr, printExpr, type PrintExprOptions } from "../../src/sql/expr.ts";
import { quoteIdent, quoteString } from "../../src/sql/mysql/quote.ts";
import { quoteString as quoteStandardString } from "../../src/sql/postgres/quote.ts";

const parser = new NodeSqlParser.Parser();
function expr(sql: string): Expr {
  const ast = parser.astify(`SELECT ${sql}`, { database: "MariaDB" }) as unknown as { columns: { expr: Expr }[] };
  return ast.columns[0]!.expr;
}
// MySQL's printing, as its parser calls it (without MariaDB's function renames).
const MYSQL: PrintExprOptions = { quoteIdent, quoteString, backslashes: true };
const print = (sql: string) => printExpr(expr(sql), MYSQL);

Deno.test("printExpr() prints one canonical text for spellings of the same expression", () => {
  for (
    const [a, b] of ([
      ["(a + b) * c", "( `a`+`b` )*`c`"],
      ["a + (b * c)", "a + b * c"],
      ["(a - b) - c", "a - b - c"],
      ["a OR (b AND c)", "a or b and c"],
      ["UPPER(a) LIKE 'X%'", "upper( `a` )  like  'X%'"],
      ["CASE WHEN a > 1 THEN 'x' ELSE NULL END", "case when (a>1) then 'x' else null end"],
    ] as const)
  ) {
    assert.equal(print(a), print(b), `${a} vs ${b}`);
  }
  assert.equal(print("(a + b) * c"), "(`a` + `b`) * `c`");
  assert.equal(print("a BETWEEN 1 AND 2"), "`a` between 1 and 2");
  assert.equal(print("a IN (1, 2)"), "`a` in (1,2)");
  assert.equal(print("CAST(a AS DECIMAL(10,2))"), "cast(`a` as decimal(10,2))");
  assert.equal(print("COUNT(DISTINCT a)"), "count(distinct `a`)");
  assert.equal(print("t.a = -b"), "`t`.`a` = -`b`");
});

// Mutation caught: print(node.right, p + 1) weakened to print(node.right, p) (a - (b - c) loses its parentheses).
Deno.test("printExpr() keeps the parentheses that change the meaning", () => {
  for (
    const [a, b] of ([
      ["a - (b - c)", "a - b - c"],
      ["(a + b) * c", "a + b * c"],
      ["(a OR b) AND c", "a OR b AND c"],
      ["a / (b * c)", "a / b * c"],
    ] as const)
  ) {
    assert.notEqual(print(a), print(b), `${a} vs ${b}`);
  }
  assert.equal(print("a - (b - c)"), "`a` - (`b` - `c`)");
});

Deno.test("printExpr() quotes strings as MySQL does, or the standard way on request", () => {
  assert.equal(print("CONCAT('it''s', 'a\\\\b')"), "concat('it\\'s','a\\\\b')");
  const node = expr("'it''s'");
  assert.equal(printExpr(node, { ...MYSQL, quoteString: quoteStandardString }), "'it''s'");
  assert.equal(quoteString("a'b\\c"), "'a\\'b\\\\c'");
  assert.equal(quoteStandardString("a'b\\c"), "'a''b\\c'");
  assert.equal(quoteIdent("we`ird"), "`we``ird`");
});

Deno.test("printExpr() hands unknown node types to the fallback, or refuses them by name", () => {
  const odd = { type: "something_new", value: 1 };
  assert.equal(printExpr(odd, { ...MYSQL, fallback: () => "FALLBACK" }), "FALLBACK");
  assert.throws(() => printExpr(odd, MYSQL), /unsupported expression node "something_new"/);
});
