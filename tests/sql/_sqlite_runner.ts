/**
 * The SQLite case runner shared by the corpus and the held-out suite: builds
 * databases with node:sqlite, migrates with `sql apply` semantics, and sorts
 * each case into an outcome so that refusals, loud failures and silent
 * wrong results are counted apart.
 */

import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { DestructiveWithheldError, migrateDatabase } from "../../src/sql/live/migrate.ts";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { lowerOutsideQuotes } from "../../src/sql/_ddl.ts";
import { PatchopsError } from "../../src/errors.ts";
import type { SqliteCase } from "./sqlite_corpus.ts";

type Row = Record<string, unknown>;

/** The text inside the parenthesis that opens at `open`, or undefined when it never closes. */
function balanced(text: string, open: number): string | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      i = text.indexOf("'", i + 1);
      while (i !== -1 && text[i + 1] === "'") i = text.indexOf("'", i + 2);
      if (i === -1) return undefined;
    } else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}

/** Expression text compared by meaning: no spaces, plain names unquoted, lower case outside literals. */
const norm = (s: string) => lowerOutsideQuotes(s.replace(/\s+/g, "").replace(/["`[](\w+)["`\]]/g, "$1"));

/**
 * What the PRAGMAs do not show, read from the stored CREATE TABLE text:
 * CHECKs, generated-column expressions, collations, AUTOINCREMENT,
 * DEFERRABLE and ON CONFLICT clauses.
 */
function clauses(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(/\b(CHECK|AS)\s*\(/gi)) {
    const inner = balanced(sql, m.index + m[0].length - 1);
    if (inner !== undefined) out.push(`${m[1]!.toLowerCase()}(${norm(inner)})`);
  }
  const words = sql.replace(/'(?:[^']|'')*'/g, "''");
  for (
    const m of words.matchAll(
      /\b(COLLATE\s+\w+|AUTOINCREMENT|(?:NOT\s+)?DEFERRABLE(?:\s+INITIALLY\s+(?:DEFERRED|IMMEDIATE))?|ON\s+CONFLICT\s+\w+)/gi,
    )
  ) out.push(m[1]!.replace(/\s+/g, " ").toUpperCase());
  return out.sort();
}

/** SQLite's own description of a database file, names of tables compared without case. */
export function snapshot(path: string): unknown {
  const db = new DatabaseSync(path);
  try {
    const all = (sql: string) => db.prepare(sql).all().map((r) => ({ ...(r as Row) }));
    const tables = all(
      "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY lower(name)",
    ) as { name: string; sql: string }[];
    return {
      tables: tables.map(({ name: t, sql }) => ({
        t: t.toLowerCase(),
        list: all(`PRAGMA table_list("${t.replaceAll('"', '""')}")`).map((r) => ({
          type: r.type,
          ncol: r.ncol,
          wr: r.wr,
          strict: r.strict,
        })),
        columns: all(`PRAGMA table_xinfo("${t.replaceAll('"', '""')}")`),
        indexes: (all(`PRAGMA index_list("${t.replaceAll('"', '""')}")`) as {
          name: string;
          unique: number;
          origin: string;
          partial: number;
        }[])
          .map((i) => ({
            name: i.origin === "c" ? i.name : i.origin,
            unique: i.unique,
            partial: i.partial,
            cols: all(`PRAGMA index_xinfo("${i.name.replaceAll('"', '""')}")`),
          }))
          .sort((a, b) => (a.name < b.name ? -1 : 1)),
        fks: all(`PRAGMA foreign_key_list("${t.replaceAll('"', '""')}")`),
        clauses: clauses(sql),
      })),
      // Views, triggers and indexes by their meaning: the stored text, spaces collapsed.
      other: (all(
        "SELECT type, lower(name) AS name, sql FROM sqlite_schema WHERE type IN ('view', 'trigger', 'index') AND sql IS NOT NULL ORDER BY 1, 2",
      ) as { sql: string }[]).map((r) => ({ ...r, sql: norm(r.sql) })),
    };
  } finally {
    db.close();
  }
}

/** Builds a database from DDL (and rows). */
export function build(path: string, sql: string, data?: string, foreignKeys = true): void {
  const db = new DatabaseSync(path, { enableForeignKeyConstraints: foreignKeys });
  try {
    db.exec(sql);
    if (data) db.exec(data);
  } finally {
    db.close();
  }
}

/** The rows a query returns, as arrays. */
export function rows(path: string, sql: string): unknown[] {
  const db = new DatabaseSync(path);
  try {
    return db.prepare(sql).all().map((r) => Object.values(r as Row));
  } finally {
    db.close();
  }
}

async function fileHash(path: string): Promise<string> {
  try {
    return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "missing";
    throw err;
  }
}

/** How a case ended, worst direction first. */
export type Outcome =
  | { kind: "converged" }
  | { kind: "invalid"; message: string }
  | { kind: "refused"; message: string }
  | { kind: "failed"; message: string }
  | { kind: "wrong"; message: string };

const RANK = { converged: 0, invalid: 1, refused: 2, failed: 3, wrong: 4 } as const;

class Finding extends Error {
  constructor(readonly kind: "refused" | "failed" | "wrong", message: string) {
    super(message);
  }
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** An error patchops raised on purpose (a refusal), rather than one SQLite raised while running a plan. */
function refusal(err: unknown): boolean {
  return err instanceof PatchopsError && ["SqlUnsupported", "SqlInvalid"].includes(err.code);
}

async function direction(dir: string, src: string, dest: string, c: SqliteCase, first: boolean): Promise<void> {
  const a = `${dir}/a.db`;
  const b = `${dir}/b.db`;
  const before = c.check ? rows(a, c.check) : undefined;
  // A dry run changes no byte of the file.
  const hash = await fileHash(a);
  try {
    await migrateDatabase(dest, `sqlite:${a}`, { dryRun: true });
  } catch (err) {
    if (await fileHash(a) !== hash) throw new Finding("wrong", "a failed dry run changed the file");
    throw new Finding(refusal(err) ? "refused" : "failed", `dry run: ${(err as Error).message}`);
  }
  if (await fileHash(a) !== hash) throw new Finding("wrong", "the dry run changed the file");
  // Without --allow-destructive: either it runs and drops nothing, or it changes nothing.
  let plain;
  try {
    plain = await migrateDatabase(dest, `sqlite:${a}`);
  } catch (err) {
    if (!(err instanceof DestructiveWithheldError)) {
      const unchanged = await fileHash(a) === hash;
      throw new Finding(
        unchanged ? (refusal(err) ? "refused" : "failed") : "wrong",
        `${unchanged ? "" : "(file changed) "}${(err as Error).message}`,
      );
    }
    if (await fileHash(a) !== hash) throw new Finding("wrong", "withheld destructive changes, yet the file changed");
  }
  if (plain?.plan.changes.some((ch) => ch.destructive)) {
    throw new Finding("wrong", "a destructive statement ran without allowDestructive");
  }
  if (!plain) {
    try {
      await migrateDatabase(dest, `sqlite:${a}`, { allowDestructive: true });
    } catch (err) {
      throw new Finding(refusal(err) ? "refused" : "failed", (err as Error).message);
    }
  }
  const again = await migrateDatabase(dest, `sqlite:${a}`, { dryRun: true });
  if (again.plan.changes.length > 0) throw new Finding("failed", `second diff not empty: ${again.plan.description}`);
  await Deno.remove(b).catch(() => {});
  build(b, dest);
  if (!equal(snapshot(a), snapshot(b))) {
    throw new Finding("wrong", `migrated database differs from the target (${JSON.stringify(snapshot(a)).length})`);
  }
  if (c.check && !equal(rows(a, c.check), before)) throw new Finding("wrong", "rows were lost or changed");
  if (rows(a, "PRAGMA foreign_key_check").length) throw new Finding("wrong", "foreign keys broken");
  // The printed plan runs as printed, as the sqlite3 client would run it (foreign keys off): in full, and
  // with destructive statements withheld, its safe part alone.
  for (const allowDestructive of [true, false]) {
    const p = `${dir}/p.db`;
    await Deno.remove(p).catch(() => {});
    build(p, src, first ? c.data : undefined);
    const script = generateSchemaDiff(src, dest, { dialect: "sqlite", allowDestructive });
    try {
      build(p, script.sql, undefined, false);
    } catch (err) {
      throw new Finding("failed", `printed plan (allowDestructive ${allowDestructive}): ${(err as Error).message}`);
    }
    if (allowDestructive && !equal(snapshot(p), snapshot(b))) {
      throw new Finding("wrong", "the printed plan does not reach the target");
    }
  }
  // The guarded script (issue 20) reaches the target; runs a second time to the target (or, where its header names
  // an unguarded statement, may fail there); and, stopped after any statement k (the connection goes away inside
  // its transaction), then run whole, reaches the target.
  const g = `${dir}/g.db`;
  const guarded = generateSchemaDiff(src, dest, { dialect: "sqlite", allowDestructive: true, guarded: true });
  const statements = guarded.guarded?.statements ?? [];
  const allGuarded = statements.every((st) => !st.unguarded);
  const fresh = async () => {
    await Deno.remove(g).catch(() => {});
    build(g, src, first ? c.data : undefined);
  };
  await fresh();
  const want = c.check ? rows(g, c.check) : undefined;
  for (let run = 1; run <= 2; run++) {
    try {
      build(g, guarded.sql, undefined, false);
    } catch (err) {
      if (run === 2 && !allGuarded) {
        guardedStats.unguarded.push(`${c.name} (${first ? "forward" : "reverse"})`);
        break;
      }
      throw new Finding("failed", `guarded script, run ${run}: ${(err as Error).message}`);
    }
    if (!equal(snapshot(g), snapshot(b))) throw new Finding("wrong", `guarded script, run ${run}: not the target`);
    if (c.check && !equal(rows(g, c.check), want)) {
      throw new Finding("wrong", `guarded script, run ${run}: rows changed`);
    }
    if (run === 2) guardedStats.rerun++;
  }
  guardedStats.directions++;
  for (let k = 1; k < statements.length; k++) {
    await fresh();
    const db = new DatabaseSync(g, { enableForeignKeyConstraints: false });
    try {
      db.exec(`BEGIN;\n${statements.slice(0, k).map((st) => st.sql).join(";\n")};`);
    } finally {
      db.close();
    }
    try {
      build(g, guarded.sql, undefined, false);
    } catch (err) {
      throw new Finding("failed", `guarded script stopped after ${k}, then whole: ${(err as Error).message}`);
    }
    if (!equal(snapshot(g), snapshot(b))) {
      throw new Finding("wrong", `guarded script stopped after ${k}: not the target`);
    }
  }
}

/**
 * Guarded scripts over the directions run so far: how many ran a second time to the target, and which could
 * not (their header names the statement).
 */
export const guardedStats = { directions: 0, rerun: 0, unguarded: [] as string[] };

/** Runs one case in both directions (unless `oneWay`) in `dir`, which it fills. */
export async function runCase(dir: string, c: SqliteCase): Promise<Outcome> {
  for (const [i, sql] of [c.from, c.to].entries()) {
    try {
      build(`${dir}/v${i}.db`, sql, i === 0 ? c.data : undefined);
    } catch (err) {
      return { kind: "invalid", message: `SQLite rejects the ${i ? "target" : "source"}: ${(err as Error).message}` };
    }
  }
  build(`${dir}/a.db`, c.from, c.data);
  let worst: Outcome = { kind: "converged" };
  for (const [src, dest, first] of [[c.from, c.to, true], [c.to, c.from, false]] as const) {
    if (!first && c.oneWay) break;
    try {
      await direction(dir, src, dest, c, first);
    } catch (err) {
      const found: Outcome = err instanceof Finding
        ? { kind: err.kind, message: `${first ? "forward" : "reverse"}: ${err.message}` }
        : { kind: "failed", message: `${first ? "forward" : "reverse"}: ${(err as Error).message}` };
      if (RANK[found.kind] > RANK[worst.kind]) worst = found;
      // The reverse direction starts from where the forward one left the database; a failed forward stops.
      break;
    }
  }
  return worst;
}
