/**
 * Database URLs for `sql apply`: `mysql://`, `mariadb://`, `postgres://`,
 * `sqlite:<path>`.
 *
 * @module
 */

import { UsageError } from "../../errors.ts";
import type { Dialect } from "../mod.ts";

/** A parsed database URL. */
export interface DbUrl {
  dialect: Dialect;
  /** The URL to hand to the driver (mysql2 wants `mysql://`). */
  driverUrl: string;
  /** Database (schema) name, or the file path for SQLite. */
  database: string;
  /** The URL without its password, for messages. */
  display: string;
}

/** Parses a database URL; a malformed one is a usage error. */
export function parseDbUrl(url: string): DbUrl {
  if (/^sqlite:/i.test(url)) {
    const path = url.replace(/^sqlite:(\/\/)?/i, "");
    if (!path) throw new UsageError(`the database URL "${url}" names no SQLite file`);
    return { dialect: "sqlite", driverUrl: path, database: path, display: url };
  }
  if (/^pglite:/i.test(url)) {
    // PGlite: PostgreSQL in-process, on a data directory or in memory (tests, demos, embedded use).
    return { dialect: "postgres", driverUrl: url, database: url.slice(7) || "memory", display: url };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`the database URL "${url}" is not a URL (mysql://, mariadb://, postgres:// or sqlite:<path>)`);
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  const display = u.password ? url.replace(`:${u.password}@`, ":***@") : url;
  if (scheme === "mysql" || scheme === "mariadb") {
    if (!database) throw new UsageError(`the database URL "${display}" names no database`);
    return { dialect: scheme, driverUrl: url.replace(/^mariadb:/i, "mysql:"), database, display };
  }
  if (scheme === "postgres" || scheme === "postgresql") {
    return { dialect: "postgres", driverUrl: url, database: database || "postgres", display };
  }
  throw new UsageError(`the database URL "${display}" has an unsupported scheme "${scheme}"`);
}
