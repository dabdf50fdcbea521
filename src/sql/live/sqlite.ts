/**
 * A live SQLite database through `node:sqlite`: the whole migration runs in
 * one IMMEDIATE transaction (which is also the lock against a second
 * migrator), with foreign keys off for the rebuilds and checked before the
 * commit.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { PatchopsError } from "../../errors.ts";
import type { LiveDatabase, OpenOptions } from "./database.ts";
import type { DbUrl } from "./url.ts";

/**
 * What a read-only connection opens. A dry run must create no file, but on a
 * WAL database whose last connection has closed (no `-wal` file), a
 * read-only connection creates `-wal` and `-shm` and cannot remove them. The
 * file alone then holds everything, so it is opened `immutable` (SQLite's
 * URI parameter: no locks, no side files). With a `-wal` present, another
 * connection is open and the side files exist already.
 */
function readOnlyTarget(path: string): string | URL {
  try {
    Deno.statSync(`${path}-wal`);
    return path;
  } catch {
    // No -wal: read the header below.
  }
  const header = new Uint8Array(100);
  try {
    using file = Deno.openSync(path, { read: true });
    if (file.readSync(header) !== 100) return path;
  } catch {
    return path;
  }
  // Bytes 18 and 19 of the header are the read and write format versions: 2 is WAL.
  if (header[18] !== 2 && header[19] !== 2) return path;
  const target = new URL("file://");
  // A "%" in the name is a "%", not the start of an escape.
  target.pathname = (path.startsWith("/") ? path : `${Deno.cwd()}/${path}`).replaceAll("%", "%25");
  target.searchParams.set("immutable", "1");
  return target;
}

/** Opens a SQLite database file (created if missing, unless `readOnly`). */
export function openSqlite(url: DbUrl, options?: OpenOptions): LiveDatabase {
  const readOnly = options?.readOnly ?? false;
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(readOnly ? readOnlyTarget(url.database) : url.database, { readOnly });
  } catch (err) {
    throw new PatchopsError("DbFailed", `cannot open "${url.display}" (${(err as Error).message})`);
  }
  let inTransaction = false;
  let foreignKeys = 1;
  return {
    transactional: true,
    introspect() {
      const rows = db.prepare(
        `SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
         ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid`,
      ).all() as { sql: string }[];
      return Promise.resolve(rows.map((r) => `${r.sql};`).join("\n"));
    },
    lock(timeoutSeconds) {
      foreignKeys = Number((db.prepare("PRAGMA foreign_keys").get() as { foreign_keys: number }).foreign_keys);
      // foreign_keys cannot change inside a transaction: switch it off first.
      db.exec("PRAGMA foreign_keys=OFF");
      db.exec(`PRAGMA busy_timeout=${Math.max(0, timeoutSeconds) * 1000}`);
      try {
        // A read-only connection cannot take the write lock; a dry run reads one consistent snapshot.
        db.exec(readOnly ? "BEGIN" : "BEGIN IMMEDIATE");
      } catch (err) {
        db.exec(`PRAGMA foreign_keys=${foreignKeys ? "ON" : "OFF"}`);
        throw new PatchopsError(
          "DbLocked",
          `another writer holds "${url.display}" (waited ${timeoutSeconds} s: ${(err as Error).message})`,
        );
      }
      inTransaction = true;
      return Promise.resolve();
    },
    unlock() {
      if (inTransaction) db.exec("ROLLBACK");
      inTransaction = false;
      db.exec(`PRAGMA foreign_keys=${foreignKeys ? "ON" : "OFF"}`);
      return Promise.resolve();
    },
    exec(sql) {
      db.exec(sql);
      return Promise.resolve();
    },
    async execAll(statements, verify) {
      try {
        for (const sql of statements) db.exec(sql);
        const broken = db.prepare("PRAGMA foreign_key_check").all() as { table: string; parent: string }[];
        if (broken.length > 0) {
          const first = broken[0]!;
          throw new Error(
            `${broken.length} row(s) break foreign keys after the migration (first: table "${first.table}" referencing "${first.parent}")`,
          );
        }
        await verify();
        db.exec("COMMIT");
        inTransaction = false;
      } catch (err) {
        if (inTransaction) db.exec("ROLLBACK");
        inTransaction = false;
        throw err;
      }
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}
