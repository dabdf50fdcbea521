/**
 * What a command gets from `main`: whether it speaks JSON, where its
 * warnings go, and the signal that a Ctrl-C or a `kill` aborts. With
 * `--json` stdout carries only NDJSON events (`progress`, `warning`,
 * `result`, `error`); people's text goes to stderr.
 *
 * @module
 */

import { printErr } from "./_print.ts";

/** The channel between one command run and the terminal. */
export interface Output {
  /** `--json` was given: results are events on stdout. */
  readonly json: boolean;
  /** Aborted on SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** A non-fatal finding: `warning: ...` on stderr, and with `--json` a `warning` event too. */
  warn(message: string): void;
  /** Prints one JSON event line on stdout, raw (JSON.stringify escapes what JSON needs). */
  event(
    name: "result" | "warning" | "error" | "progress" | "hook" | "hook-output",
    data: Record<string, unknown>,
  ): void;
}

/** Options of {@linkcode createOutput}. */
export interface OutputOptions {
  json: boolean;
  signal: AbortSignal;
  /** Command name carried in result and error events. */
  command: string;
  /** Called before a warning is printed. */
  beforeText?: () => void;
}

/** Creates the output of one command run. */
export function createOutput(options: OutputOptions): Output {
  const before = options.beforeText;
  const event: Output["event"] = (name, data) => {
    const line = name === "result" || name === "error" ? { event: name, command: options.command, ...data } : {
      event: name,
      ...data,
    };
    console.log(JSON.stringify(line));
  };
  return {
    json: options.json,
    signal: options.signal,
    event,
    warn(message) {
      before?.();
      // stderr keeps the line for people and logs either way; a program reads the event.
      if (options.json) event("warning", { message });
      printErr(`warning: ${message}`);
    },
  };
}
