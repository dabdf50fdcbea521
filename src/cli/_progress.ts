/**
 * Draws progress events on stderr: a live line in a terminal, cut to its
 * width, plain lines otherwise, NDJSON on stdout with `--json`. The text
 * comes from pure functions (render, fit, rate) so it can be tested without
 * a terminal.
 *
 * @module
 */

import type { ProgressCallback, ProgressEvent } from "../progress.ts";
import { formatBytes, plural } from "../format.ts";

/** What the reporter knows beyond the event itself. */
export interface RenderContext {
  /** Bytes per second over this run's recent bytes; not shown when undefined. */
  rate?: number | undefined;
  /** Seconds left; not shown when undefined. */
  etaSeconds?: number | undefined;
  /** The phase is over: values are final (a download is complete). */
  final?: boolean | undefined;
}

/** Renders one event as a single line of text. */
export function renderProgress(e: ProgressEvent, ctx?: RenderContext): string {
  const secs = e.elapsedMs / 1000;
  switch (e.phase) {
    case "download": {
      const bytes = ctx?.final && e.total !== undefined ? e.total : e.bytes ?? 0;
      const total = e.total !== undefined ? ` of ${formatBytes(e.total)}` : "";
      const pct = e.total ? ` ${Math.floor((100 * bytes) / e.total)}%` : "";
      const rate = ctx?.rate !== undefined ? ` at ${formatBytes(Math.round(ctx.rate))}/s` : "";
      if (ctx?.final) return `download${pct} ${formatBytes(bytes)}${rate}`;
      const eta = ctx?.etaSeconds !== undefined ? `, ETA ${formatDuration(ctx.etaSeconds)}` : "";
      const files = e.files ? `, ${plural(e.files, "file")} staged` : "";
      return `download${pct} ${formatBytes(bytes)}${total}${rate}${eta}${files}`;
    }
    case "verify":
      return `verify ${formatBytes(e.bytes ?? 0)}: hash and signature`;
    case "sync":
      return `sync ${plural(e.files ?? 0, "staged file")} to disk`;
    case "commit": {
      const steps = ctx?.final ? e.totalSteps ?? 0 : e.steps ?? 0;
      return `commit ${steps}/${plural(e.totalSteps ?? 0, "step")}`;
    }
    case "done":
      return `done in ${secs.toFixed(1)} s`;
  }
}

/** `45 s`, `3 min 20 s`, `2 h 5 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Cuts `line` to fit `columns` (one column left free so the cursor never wraps). */
export function fitWidth(line: string, columns: number | undefined): string {
  if (columns === undefined || columns < 2) return line;
  const chars = Array.from(line);
  return chars.length < columns ? line : `${chars.slice(0, columns - 2).join("")}…`;
}

/**
 * Download rate over a sliding window of this run's samples. The baseline is
 * the first sample past `floor` (the bytes read back from a partial download
 * of an earlier run), so those count as neither time nor speed; nothing is
 * claimed before a second of data.
 */
export class RateMeter {
  #samples: { t: number; bytes: number }[] = [];
  #windowMs: number;

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  /** Adds an observation: `bytes` so far at `t` milliseconds, of which up to `floor` were not fetched by this run. */
  add(t: number, bytes: number, floor = 0): void {
    if (bytes < floor) return;
    this.#samples.push({ t, bytes });
    // Keep the baseline until a full window has passed, then slide.
    while (this.#samples.length > 2 && t - this.#samples[1]!.t >= this.#windowMs) this.#samples.shift();
  }

  /** Bytes per second, once the samples span at least a second. */
  rate(): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (first === undefined || last === undefined || last.t - first.t < 1000) return undefined;
    return (last.bytes - first.bytes) / ((last.t - first.t) / 1000);
  }

  /** Seconds until `total`, once the rate is known and the download has run two seconds. */
  eta(total: number | undefined): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    const rate = this.rate();
    if (total === undefined || rate === undefined || rate <= 0 || !first || !last) return undefined;
    if (last.t - first.t < 2000) return undefined;
    return (total - last.bytes) / rate;
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

function columns(): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined;
  }
}

/** Creates the progress reporter the CLI uses. */
export function createProgressReporter(options?: ReporterOptions): Reporter {
  if (options?.json) {
    return {
      onProgress: (e) => console.log(JSON.stringify({ event: "progress", ...e })),
      finish: () => {},
    };
  }
  const live = !options?.plain && Deno.stderr.isTerminal() && !Deno.noColor;
  const meter = new RateMeter();
  let last: ProgressEvent | undefined;
  let shown = "";
  let lastAt = 0;
  let drawn = false;
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  const context = (e: ProgressEvent, final: boolean): RenderContext => ({
    rate: e.phase === "download" ? meter.rate() : undefined,
    etaSeconds: e.phase === "download" && !final ? meter.eta(e.total) : undefined,
    final,
  });
  const draw = (line: string) => {
    if (live) write(`\r\x1b[K${fitWidth(line, columns())}`);
    else write(`${line}\n`);
    shown = line;
    drawn = live;
  };
  // The line of a phase that is over is drawn once more with its final values.
  const close = (prev: ProgressEvent) => {
    const line = renderProgress(prev, context(prev, true));
    if (line !== shown) draw(line);
    if (live) write("\n");
    drawn = false;
  };
  return {
    onProgress(e) {
      const now = Date.now();
      if (e.phase === "download") meter.add(e.elapsedMs, e.bytes ?? 0, e.resumable);
      const changed = last !== undefined && e.phase !== last.phase;
      if (changed) close(last!);
      const due = now - lastAt >= (live ? 100 : 2000);
      last = e;
      if (!changed && shown !== "" && !due) return;
      draw(renderProgress(e, context(e, e.phase === "done")));
      lastAt = now;
    },
    finish() {
      if (live && drawn) write("\n");
      drawn = false;
    },
  };
}
