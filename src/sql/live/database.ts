/**
 * What every live database driver gives `sql apply`, whatever its dialect.
 *
 * @module
 */

/** The operations `sql apply` needs from a live database. */
export interface LiveDatabase {
  /** The current schema as a script our parser reads. */
  introspect(): Promise<string>;
  /** Takes the migration lock, waiting up to `timeoutSeconds`. */
  lock(timeoutSeconds: number): Promise<void>;
  unlock(): Promise<void>;
  /** Runs one statement. */
  exec(sql: string): Promise<void>;
  /** Whether the database runs a whole migration in one transaction (then `execAll` is set). */
  readonly transactional: boolean;
  /** Runs all statements in one transaction, rolling back on any failure. */
  execAll?(statements: string[]): Promise<void>;
  close(): Promise<void>;
}
