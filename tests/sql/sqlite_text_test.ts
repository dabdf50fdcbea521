/**
 * SQLite tables, columns and indexes kept as the schema wrote them
 * (src/sql/sqlite/lex.ts): what node-sql-parser's model does not carry is
 * neither lost on a rebuild nor ignored by the comparison. Each case runs
 * on node:sqlite.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { migrateDatabase } from "../../src/sql/live/migrate.ts";
import { forParser, lexSqlite, printTokens } from "../../src/sql/sqlite/lex.ts";
import { tempDir } from "../_helpers.ts";

const diff = (from: string, to: string) => generateSchemaDiff(from, to, { dialect: "sqlite" });

function stored(path: string, name: string): string {
  const db = new DatabaseSync(path);
  try {
    return String((db.prepare("SELECT sql FROM sqlite_schema WHERE name = ?").get(name) as { sql: string }).sql);
  } finally {
    db.close();
  }
}

async function migrated(from: string, to: string, name: string): Promise<string> {
  const [dir, done] = await tempDir();
  try {
    const db = new DatabaseSync(`${dir}/a.db`);
    db.exec(from);
    db.close();
    await migrateDatabase(to, `sqlite:${dir}/a.db`);
    const again = await migrateDatabase(to, `sqlite:${dir}/a.db`, { dryRun: true });
    assert.equal(again.plan.changes.length, 0, again.plan.sql);
    return stored(`${dir}/a.db`, name);
  } finally {
    await done();
  }
}

Deno.test("regression (issue 15): a change SQLite's model does not carry (DEFERRABLE added) is migrated, not ignored", async () => {
  const parent = "CREATE TABLE p (id INTEGER PRIMARY KEY);";
  const from = `${parent} CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER, FOREIGN KEY (pid) REFERENCES p (id));`;
  const to = `${parent} CREATE TABLE c (id INTEGER PRIMARY KEY, pid INTEGER,
    FOREIGN KEY (pid) REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);`;
  assert.equal(diff(from, to).changes.length, 1);
  assert.match(await migrated(from, to, "c"), /REFERENCES p \(id\) DEFERRABLE INITIALLY DEFERRED\n\)$/);
});

Deno.test("regression (issue 15): a rebuild keeps declared types, defaults and ON CONFLICT as written", async () => {
  const from = `CREATE TABLE "t" ("id" integer PRIMARY KEY, "n" integer unsigned, "ok" BOOLEAN NOT NULL DEFAULT false,
    "k" TEXT UNIQUE ON CONFLICT REPLACE);`;
  const to = `CREATE TABLE "t" ("id" integer PRIMARY KEY, "n" integer unsigned NOT NULL DEFAULT 0,
    "ok" BOOLEAN NOT NULL DEFAULT false, "k" TEXT UNIQUE ON CONFLICT REPLACE);`;
  const sql = await migrated(from, to, "t");
  assert.match(sql, /"n" integer unsigned NOT NULL DEFAULT 0/);
  assert.match(sql, /DEFAULT false/);
  assert.match(sql, /UNIQUE ON CONFLICT REPLACE/);
});

Deno.test("regression (issue 15): ADD COLUMN takes the column as written, its comments dropped", () => {
  const r = diff(
    "CREATE TABLE [t] ([a] INTEGER);",
    "CREATE TABLE [t] ([a] INTEGER, -- first\n [b] NVARCHAR(20) /* note */ DEFAULT 'x -- y' -- last\n);",
  );
  assert.deepEqual(r.changes.map((c) => c.sql), [`ALTER TABLE "t" ADD COLUMN [b] NVARCHAR(20) DEFAULT 'x -- y'`]);
});

Deno.test("regression (issue 15): an expression index that changes is made again", async () => {
  const table = "CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT);";
  const from = `${table} CREATE INDEX u_e ON u (lower(email));`;
  const to = `${table} CREATE INDEX u_e ON u (upper(email));`;
  assert.deepEqual(diff(from, to).changes.map((c) => c.kind), ["drop_index", "create_index"]);
  assert.match(await migrated(from, to, "u_e"), /ON "u" \(upper\(email\)\)$/);
});

Deno.test("forParser() keeps lengths and lines, and never touches literals", () => {
  const text = "CREATE TABLE [a b] (x TEXT DEFAULT '[DEFERRABLE]' REFERENCES p DEFERRABLE\n INITIALLY DEFERRED, " +
    "y UNIQUE ON CONFLICT IGNORE)";
  const out = forParser(text);
  assert.equal(out.length, text.length);
  assert.equal(out.split("\n").length, 2);
  assert.equal(
    out,
    `CREATE TABLE "a b" (x TEXT DEFAULT '[DEFERRABLE]' REFERENCES p ${" ".repeat(10)}\n${" ".repeat(19)}, ` +
      `y UNIQUE${" ".repeat(19)})`,
  );
  assert.equal(printTokens(lexSqlite("a /* x */ 'it''s'  -- z\n b")), "a 'it''s' b");
});

Deno.test("SQLite virtual tables: a dump's shadow tables are not diffed, a change is destructive, the guarded script runs twice", async () => {
  const notes = "CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT);";
  const fts = "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes', content_rowid='id');";
  const [dir, done] = await tempDir();
  try {
    const db = new DatabaseSync(`${dir}/a.db`);
    db.exec(notes + fts);
    db.close();
    // What the sqlite3 client's .schema prints: the FTS5 shadow tables too, as CREATE TABLE 'notes_fts_data'(...).
    const out = await new Deno.Command("sqlite3", { args: [`${dir}/a.db`, ".schema"] }).output();
    const dump = new TextDecoder().decode(out.stdout);
    assert.match(dump, /notes_fts_data/);
    assert.deepEqual(diff(notes + fts, dump).changes, []);
    assert.deepEqual((await migrateDatabase(dump, `sqlite:${dir}/a.db`, { dryRun: true })).plan.changes, []);
    const changed = diff(dump, notes + fts.replace("title, body", "title"));
    assert.deepEqual(changed.changes.map((c) => [c.kind, Boolean(c.destructive)]), [
      ["drop_table", true],
      ["create_table", false],
    ]);
    // Made from nothing by a guarded script, which may run twice.
    const guarded = generateSchemaDiff(notes, notes + fts, { dialect: "sqlite", guarded: true }).sql;
    const b = new DatabaseSync(`${dir}/b.db`);
    b.exec(notes);
    b.exec(guarded);
    b.exec(guarded);
    b.close();
    assert.deepEqual((await migrateDatabase(notes + fts, `sqlite:${dir}/b.db`, { dryRun: true })).plan.changes, []);
  } finally {
    await done();
  }
});

Deno.test("regression (issue 15): the schema of a live database as .schema prints it (sqlite_sequence too) is a valid target", async () => {
  const schema = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);";
  const [dir, done] = await tempDir();
  try {
    const db = new DatabaseSync(`${dir}/a.db`);
    db.exec(schema);
    db.close();
    const out = await new Deno.Command("sqlite3", { args: [`${dir}/a.db`, ".schema"] }).output();
    const dump = new TextDecoder().decode(out.stdout);
    assert.match(dump, /CREATE TABLE sqlite_sequence/);
    assert.deepEqual(diff(schema, dump).changes, []);
    await migrateDatabase(dump.replace("a TEXT", "a TEXT, b TEXT"), `sqlite:${dir}/a.db`);
    assert.match(stored(`${dir}/a.db`, "t"), /b TEXT\)$/);
  } finally {
    await done();
  }
});
