/**
 * The SQLite corpus (sqlite_corpus.ts) through node:sqlite: A is built from
 * `from` and migrated with `sql apply` semantics to `to`, B is built from
 * `to`; SQLite's own description of both (PRAGMA table_list, table_xinfo,
 * index_list, index_xinfo, foreign_key_list, and the stored text of views
 * and triggers) must agree, a second migration must have nothing to do, and
 * rows must survive. Then the same in reverse.
 *
 * Pass rate: `deno test --allow-all tests/sql/sqlite_corpus_test.ts`.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { migrateDatabase } from "../../src/sql/live/migrate.ts";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { lowerOutsideQuotes } from "../../src/sql/_ddl.ts";
import { tempDir } from "../_helpers.ts";
import { SQLITE_CORPUS, type SqliteCase } from "./sqlite_corpus.ts";

type Row = Record<string, unknown>;

function snapshot(path: string): unknown {
  const db = new DatabaseSync(path);
  try {
    const all = (sql: string) => db.prepare(sql).all().map((r) => ({ ...(r as Row) }));
    const tables = (all(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY lower(name)",
    ) as { name: string }[]).map((r) => r.name);
    return {
      tables: tables.map((t) => ({
        t: t.toLowerCase(),
        list: all(`PRAGMA table_list("${t}")`).map((r) => ({ type: r.type, ncol: r.ncol, wr: r.wr, strict: r.strict })),
        columns: all(`PRAGMA table_xinfo("${t}")`),
        indexes:
          (all(`PRAGMA index_list("${t}")`) as { name: string; unique: number; origin: string; partial: number }[])
            .map((i) => ({
              name: i.origin === "c" ? i.name : i.origin,
              unique: i.unique,
              partial: i.partial,
              cols: all(`PRAGMA index_xinfo("${i.name}")`),
            }))
            .sort((a, b) => (a.name < b.name ? -1 : 1)),
        fks: all(`PRAGMA foreign_key_list("${t}")`),
      })),
      // Views and triggers by their meaning: the stored text, spaces collapsed.
      other: (all(
        "SELECT type, lower(name) AS name, sql FROM sqlite_schema WHERE type IN ('view', 'trigger') ORDER BY 1, 2",
      ) as { sql: string }[]).map((r) => ({ ...r, sql: r.sql.replace(/\s+/g, " ") })),
      // CHECKs, which PRAGMAs do not show: the CHECK clauses of the stored text, spaces and standard
      // quotes of plain names ("a" is a) left out.
      checks: (all(
        "SELECT lower(name) AS name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1",
      ) as {
        name: string;
        sql: string;
      }[]).map((r) => ({
        name: r.name,
        checks: (r.sql.match(/CHECK\s*\((?:[^()]|\([^()]*\))*\)/gi) ?? []).map((c) =>
          lowerOutsideQuotes(c.replace(/\s+/g, "").replace(/"(\w+)"/g, "$1"))
        ).sort(),
      })),
    };
  } finally {
    db.close();
  }
}

function build(path: string, sql: string, data?: string): void {
  const db = new DatabaseSync(path);
  try {
    db.exec(sql);
    if (data) db.exec(data);
  } finally {
    db.close();
  }
}

function rows(path: string, sql: string): unknown[] {
  const db = new DatabaseSync(path);
  try {
    return db.prepare(sql).all().map((r) => Object.values(r as Row));
  } finally {
    db.close();
  }
}

async function direction(dir: string, to: string, c: SqliteCase, before?: unknown[]): Promise<void> {
  const a = `${dir}/a.db`;
  const b = `${dir}/b.db`;
  await migrateDatabase(to, `sqlite:${a}`, { allowDestructive: true });
  const again = await migrateDatabase(to, `sqlite:${a}`, { dryRun: true });
  assert.equal(again.plan.changes.length, 0, `second diff not empty:\n${again.plan.sql}`);
  await Deno.remove(b).catch(() => {});
  build(b, to);
  assert.deepEqual(snapshot(a), snapshot(b));
  if (before && c.check) assert.deepEqual(rows(a, c.check), before, "rows survive");
  assert.deepEqual(rows(a, "PRAGMA foreign_key_check"), []);
}

for (const c of SQLITE_CORPUS) {
  const limit = c.knownLimit ? ` (known limit: ${c.knownLimit})` : "";
  Deno.test(`SQLite corpus: ${c.name}${c.refused ? " (refused)" : ""}${limit}`, async () => {
    const [dir, done] = await tempDir();
    try {
      build(`${dir}/a.db`, c.from, c.data);
      if (c.refused) {
        const snap = snapshot(`${dir}/a.db`);
        await assert.rejects(migrateDatabase(c.to, `sqlite:${dir}/a.db`, { allowDestructive: true }), c.refused);
        assert.deepEqual(snapshot(`${dir}/a.db`), snap);
        return;
      }
      const all = async () => {
        const before = c.check ? rows(`${dir}/a.db`, c.check) : undefined;
        await direction(dir, c.to, c, before);
        if (!c.oneWay) await direction(dir, c.from, c);
      };
      if (c.knownLimit !== undefined) await assert.rejects(all(), Error, `fixed? ${c.knownLimit}`);
      else await all();
    } finally {
      await done();
    }
  });
}

Deno.test("regression (issue 15): with a rebuild withheld, the safe part of sql diff runs alone on SQLite", async () => {
  const from = `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, n INTEGER); CREATE TABLE log (m TEXT);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('x'); END;`;
  const to = `CREATE TABLE t (id INTEGER PRIMARY KEY,
      b TEXT, -- @renamed from=a
      n TEXT NOT NULL DEFAULT '');
    CREATE INDEX t_b ON t (b); CREATE INDEX t_n ON t (n); CREATE TABLE log (m TEXT);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('x'); END;
    CREATE TABLE extra (x INTEGER);`;
  const [dir, done] = await tempDir();
  try {
    build(`${dir}/a.db`, from, "INSERT INTO t VALUES (1, 'one', 1);");
    const plan = generateSchemaDiff(from, to, { dialect: "sqlite" });
    assert.equal(plan.withheld.length, 1);
    // The printed script, comments and all, as a user would run it.
    build(`${dir}/a.db`, plan.sql);
    assert.deepEqual(rows(`${dir}/a.db`, "SELECT name FROM sqlite_schema WHERE name = 'extra'"), [["extra"]]);
    build(`${dir}/a.db`, "INSERT INTO t VALUES (2, 'two', 2);");
    assert.deepEqual(rows(`${dir}/a.db`, "SELECT count(*) FROM log"), [[2]], "the trigger still fires");
  } finally {
    await done();
  }
});
