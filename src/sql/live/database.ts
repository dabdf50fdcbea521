/**
 * What every live database driver gives `sql apply`, whatever its dialect.
 *
 * @module
 */

/** Options of a driver's `open`. */
export interface OpenOptions {
  /** Only read: a dry run. A SQLite file that does not exist is an error, not a new database. @default false */
  readOnly?: boolean | undefined;
}

/** The operations `sql apply` needs from a live database. */
export interface LiveDatabase {
  /** The current schema as a script our parser reads. */
  introspect(): Promise<string>;
  /**
   * The target schema as this server would store it, as a script like
   * `introspect`'s, or undefined when it cannot say (then the file is diffed
   * as written). Changes nothing.
   */
  canonical?(targetSql: string): Promise<string | undefined>;
  /** Takes the migration lock, waiting up to `timeoutSeconds`. */
  lock(timeoutSeconds: number): Promise<void>;
  unlock(): Promise<void>;
  /** Runs one statement. */
  exec(sql: string): Promise<void>;
  /** Whether the database runs a whole migration in one transaction (then `execAll` is set). */
  readonly transactional: boolean;
  /**
   * Runs all statements in one transaction, then `verify` inside it (it sees
   * the uncommitted schema), and commits only when both succeed; any failure
   * rolls everything back.
   */
  execAll?(statements: string[], verify: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}
