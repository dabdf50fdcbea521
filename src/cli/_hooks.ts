/**
 * How hook runs reach the operator: each output line and each ending as a
 * `hook-output` / `hook` NDJSON event with `--json`, and as escaped lines on
 * stderr for people (a hook's text is untrusted like any other).
 *
 * @module
 */

import type { HookOutput, HookRun } from "../apply/hooks.ts";
import type { HookOptions } from "../apply/run_hooks.ts";
import { resolveHooksDir } from "./_common.ts";
import type { Output } from "./_output.ts";
import { printErr } from "./_print.ts";

/** A hook run as the result events carry it (output lines went out as they came). */
export function hookSummary(run: HookRun): Record<string, unknown> {
  return {
    stage: run.stage,
    name: run.name,
    outcome: run.outcome,
    exitCode: run.exitCode,
    signal: run.signal,
    durationMs: run.durationMs,
    dropped: run.dropped,
  };
}

/** The library's hook options for a command, printing through `out`; `before` clears a progress line. */
export function hookOptions(
  flags: { hooksDir: string | undefined; hookTimeout: number },
  out: Output,
  before?: () => void,
): HookOptions {
  return {
    hooksDir: resolveHooksDir(flags.hooksDir),
    hookTimeoutSeconds: flags.hookTimeout,
    onHookOutput: (o: HookOutput) => {
      if (out.json) out.event("hook-output", { ...o });
      else {
        before?.();
        printErr(`hook ${o.name}: ${o.line}`);
      }
    },
    onHookRun: (run: HookRun) => {
      if (out.json) out.event("hook", hookSummary(run));
      else {
        before?.();
        const how = run.outcome === "ok" || run.outcome === "failed"
          ? `exit ${run.exitCode ?? run.signal}`
          : run.outcome;
        printErr(`hook ${run.name}: ${run.outcome === "ok" ? "ok" : "FAILED"} (${how}, ${run.durationMs} ms)`);
      }
    },
  };
}
