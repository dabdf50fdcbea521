/**
 * Draws progress events on stderr: a live line on a terminal, plain lines
 * otherwise, NDJSON on stdout with `--json`. The text comes from a pure
 * render function so it can be tested without a terminal.
 *
 * @module
 */

import type { ProgressCallback, ProgressEvent } from "../progress.ts";
import { formatBytes } from "./_common.ts";

/** Renders one event as a single line of text. */
export function renderProgress(e: ProgressEvent): string {
  const secs = e.elapsedMs / 1000;
  switch (e.phase) {
    case "download": {
      const rate = secs > 0 && e.bytes ? e.bytes / secs : 0;
      const total = e.total !== undefined ? ` of ${formatBytes(e.total)}` : "";
      const pct = e.total ? ` ${Math.floor((100 * (e.bytes ?? 0)) / e.total)}%` : "";
      const eta = e.total && rate > 0 ? `, ETA ${Math.ceil((e.total - (e.bytes ?? 0)) / rate)} s` : "";
      return `download${pct} ${formatBytes(e.bytes ?? 0)}${total} at ${formatBytes(rate)}/s${eta}, ${
        e.files ?? 0
      } files staged`;
    }
    case "verify":
      return `verify ${formatBytes(e.bytes ?? 0)}: hash and signature`;
    case "stage":
      return `stage ${e.files ?? 0} files`;
    case "sync":
      return `sync ${e.files ?? 0} staged files to disk`;
    case "commit":
      return `commit ${e.steps ?? 0}/${e.totalSteps ?? 0} steps`;
    case "done":
      return `done in ${secs.toFixed(1)} s`;
  }
}

/** Options of {@linkcode createProgressReporter}. */
export interface ReporterOptions {
  /** Emit NDJSON events on stdout instead of drawing. */
  json?: boolean;
  /** Force the plain (non-terminal) style. */
  plain?: boolean;
}

/** A reporter and a function that ends its live line. */
export interface Reporter {
  onProgress: ProgressCallback;
  /** Ends any live line so that following output starts on a fresh line. */
  finish(): void;
}

const encoder = new TextEncoder();

/** Creates the progress reporter the CLI uses. */
export function createProgressReporter(options?: ReporterOptions): Reporter {
  if (options?.json) {
    return {
      onProgress: (e) => console.log(JSON.stringify({ event: "progress", ...e })),
      finish: () => {},
    };
  }
  const live = !options?.plain && Deno.stderr.isTerminal() && !Deno.noColor;
  let lastPhase = "";
  let lastAt = 0;
  let drawn = false;
  return {
    onProgress(e) {
      const now = Date.now();
      const changed = e.phase !== lastPhase;
      if (live) {
        if (!changed && now - lastAt < 100) return;
        if (changed && drawn) Deno.stderr.writeSync(encoder.encode("\n"));
        Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${renderProgress(e)}`));
        drawn = true;
      } else {
        if (!changed && now - lastAt < 2000) return;
        Deno.stderr.writeSync(encoder.encode(`${renderProgress(e)}\n`));
      }
      lastPhase = e.phase;
      lastAt = now;
    },
    finish() {
      if (live && drawn) Deno.stderr.writeSync(encoder.encode("\n"));
      drawn = false;
    },
  };
}
