/**
 * Progress events that the library emits and the CLI draws.
 *
 * @module
 */

/** Phases of an apply, in order. */
export type Phase =
  | "download"
  | "verify"
  | "sync"
  | "commit"
  | "done";

/** One progress observation. */
export interface ProgressEvent {
  phase: Phase;
  /** Bytes received so far (download). */
  bytes?: number;
  /** Total bytes expected, when known. */
  total?: number;
  /**
   * Size of a partial download kept from an earlier run: up to this many of
   * the first bytes are read back from it rather than fetched (fewer if the
   * server does not resume).
   */
  resumable?: number;
  /** Members staged so far (download) or staged in all (sync). */
  files?: number;
  /** Commit steps done and planned. */
  steps?: number;
  totalSteps?: number;
  /** Milliseconds since the operation started. */
  elapsedMs: number;
}

/** Receives progress events. */
export type ProgressCallback = (event: ProgressEvent) => void;
