/**
 * What a guarded plan is: the statements of a diff rewritten so that the
 * script can run again, or resume after it stopped at any statement, and
 * still reach the target. Shared by the per-dialect guards.
 *
 * @module
 */

import type { Change } from "../model.ts";

/** One statement of a guarded script, without its terminator. */
export interface GuardedStatement {
  /** The statement, without a terminating semicolon. */
  sql: string;
  /** The change it comes from (several statements may share one). */
  change: Change;
  /** Why it is not guarded, when it is not: running it twice may fail or lose data. */
  unguarded?: string | undefined;
  /**
   * A statement with semicolons inside (trigger or routine body, DO block):
   * the MySQL client needs the DELIMITER dance around it.
   */
  body?: boolean | undefined;
  /** Must run outside a transaction block (PostgreSQL). */
  noTransaction?: string | undefined;
}

/** A guarded script: statements in order, and whether to wrap them in one transaction. */
export interface GuardedPlan {
  statements: GuardedStatement[];
  /** Opening and closing statements of one transaction around the whole script, when the dialect allows it. */
  transaction: { begin: string; commit: string } | undefined;
  /** Statements that run after the transaction's COMMIT (or after the others, without one). */
  after?: GuardedStatement[] | undefined;
  /** What the dialect's guards rest on, for the header (one line each). */
  notes?: string[] | undefined;
}
