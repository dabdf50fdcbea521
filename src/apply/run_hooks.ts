/**
 * Hooks inside a locked session: found, run, and recorded in `state.json`
 * (a `running` record before each hook starts, its outcome after), so that
 * `status` shows which hooks ran and how they ended, and a crash during a
 * hook is visible afterwards as a `crashed` record rather than silence.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import {
  checkHookSeconds,
  describeRun,
  findHooks,
  type Hook,
  type HookEnv,
  hookEnvironment,
  type HookOutput,
  type HookRun,
  type HookStage,
  killOrphanedHook,
  runStage,
} from "./hooks.ts";
import { type HookRecord, MAX_HOOK_RECORDS, readState, writeState } from "./state.ts";
import type { Workspace } from "./workspace.ts";

/** Hook options shared by `applyPatch` and `rollbackLast`. */
export interface HookOptions {
  /** Operator hooks directory; without it no hook runs. */
  hooksDir?: string | undefined;
  /**
   * Seconds each hook may run before its process group is killed.
   * @default 300
   */
  hookTimeoutSeconds?: number | undefined;
  /** Each line a hook writes (escape it before showing it to a person). */
  onHookOutput?: ((output: HookOutput) => void) | undefined;
  /** Each hook run once it ended. */
  onHookRun?: ((run: HookRun) => void) | undefined;
}

/** Options of {@linkcode runHooks}: the library's, and the package's hooks once written. */

/** Options of {@linkcode runHooks}. */
export interface RunHooksOptions extends HookOptions {
  /** Authenticated package hooks (allowed by the operator), of any stage. */
  packageHooks?: Hook[] | undefined;
  signal?: AbortSignal | undefined;
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * Runs the operator hooks of `stage` for transaction `txn` and records each
 * run in the state. Returns the runs; the last one failed when the stage
 * did not succeed (later hooks of the stage are not run).
 */
export async function runHooks(
  ws: Workspace,
  stage: HookStage,
  env: HookEnv,
  options: RunHooksOptions,
): Promise<{ runs: HookRun[]; failed: HookRun | undefined }> {
  const operator = options.hooksDir === undefined
    ? []
    : findHooks(options.hooksDir, stage, { onWarning: options.onWarning });
  const carried = (options.packageHooks ?? []).filter((h) => h.stage === stage);
  // The operator's hooks bracket the package's: they stop a service first and check it last.
  const hooks = stage.startsWith("pre-") ? [...operator, ...carried] : [...carried, ...operator];
  if (hooks.length === 0) return { runs: [], failed: undefined };
  requireRunPermission();
  const result = await runStage(hooks, hookEnvironment(stage, env), {
    timeoutSeconds: options.hookTimeoutSeconds,
    signal: options.signal,
    onOutput: options.onHookOutput,
    // Recorded before it starts and again once its process is known, so that a crash at any
    // moment leaves a `running` record, with the process to kill wherever there is one.
    onStart: (hook) => record(ws, running(env.txnId, stage, hook.name)),
    onHookSpawn: (hook, p) =>
      record(ws, {
        ...running(env.txnId, stage, hook.name),
        pid: p.pid,
        ...(p.startTime !== null && p.bootId !== null ? { startTime: p.startTime, bootId: p.bootId } : {}),
      }),
    onEnd: async (run) => {
      await record(ws, {
        txn: env.txnId,
        stage,
        name: run.name,
        outcome: run.outcome,
        exitCode: run.exitCode,
        signal: run.signal,
        at: new Date().toISOString(),
      });
      options.onHookRun?.(run);
    },
  });
  if (result.failed?.outcome === "interrupted") throw new Error("interrupted by a signal");
  return result;
}

/**
 * Checks the hooks of `stages` before anything is done, so that a refused
 * hooks directory stops the command before the first change; returns them.
 */
export function checkHooks(
  stages: HookStage[],
  options: RunHooksOptions,
): { stage: HookStage; name: string }[] {
  // Before the first change: a timeout the timers cannot keep would end a post-apply hook at once.
  if (options.hookTimeoutSeconds !== undefined) checkHookSeconds(options.hookTimeoutSeconds);
  if (options.hooksDir === undefined) return [];
  const dir = options.hooksDir;
  const found = stages.flatMap((stage) =>
    findHooks(dir, stage, { onWarning: options.onWarning }).map((h) => ({ stage, name: h.name }))
  );
  if (found.length > 0) requireRunPermission();
  return found;
}

/** Refuses hooks where their process group could not be signalled: Deno's `kill` needs unscoped run permission. */
function requireRunPermission(): void {
  if (Deno.permissions.querySync({ name: "run" }).state === "granted") return;
  throw new PatchopsError(
    "HookRefused",
    "running hooks needs permission to run and signal processes (unscoped), to kill a hook's process group",
  );
}

/** Runs a stage whose failure stops the command; throws `HookFailed` with `consequence` appended. */
export async function runHooksOrThrow(
  ws: Workspace,
  stage: HookStage,
  env: HookEnv,
  options: RunHooksOptions,
  consequence: string,
): Promise<HookRun[]> {
  const { runs, failed } = await runHooks(ws, stage, env, options);
  if (failed !== undefined) throw new PatchopsError("HookFailed", `${describeRun(failed)}; ${consequence}`);
  return runs;
}

function running(txn: string, stage: HookStage, name: string): HookRecord {
  return { txn, stage, name, outcome: "running", exitCode: null, signal: null, at: new Date().toISOString() };
}

/** Adds a record, or replaces the `running` record of the same hook and transaction. */
async function record(ws: Workspace, r: HookRecord): Promise<void> {
  const state = await readState(ws);
  const hooks = [...(state.hooks ?? [])];
  const last = hooks.at(-1);
  if (last !== undefined && last.outcome === "running" && last.txn === r.txn && last.name === r.name) hooks.pop();
  hooks.push(r);
  await writeState(ws, { ...state, hooks: hooks.slice(-MAX_HOOK_RECORDS) });
}

/**
 * Marks hooks that were `running` when patchops died as `crashed`, and says
 * so. They are not run again: the transaction they belonged to has been
 * rolled back or finished by recovery, whatever the hook had done.
 */
export async function markCrashedHooks(ws: Workspace, onWarning?: (m: string) => void): Promise<string[]> {
  const state = await readState(ws);
  if (!state.hooks?.some((h) => h.outcome === "running")) return [];
  const txns = new Set<string>();
  const hooks = state.hooks.map((h) => {
    if (h.outcome !== "running") return h;
    txns.add(h.txn);
    // A hook leads a session of its own, so nothing stopped it when patchops died.
    const killed = h.pid !== undefined && h.startTime !== undefined && h.bootId !== undefined &&
      killOrphanedHook(h.pid, h.startTime, h.bootId);
    onWarning?.(
      `${h.stage} hook "${h.name}" of transaction ${h.txn} was running when patchops stopped${
        killed ? ` (its process group ${h.pid} was still running and is killed)` : ""
      }; it is not run again unless asked`,
    );
    const { pid: _pid, startTime: _start, bootId: _boot, ...rest } = h;
    return { ...rest, outcome: "crashed" as const };
  });
  await writeState(ws, { ...state, hooks });
  return [...txns];
}

/**
 * After a recovery that repaired `txns` (or found their hooks interrupted),
 * runs the post stage that matches how the last of them left the tree:
 * `post-apply` when it is a committed apply (the new version is in place),
 * `post-rollback` otherwise (the version before it is in place, or a
 * rollback finished). Runs nothing when `txns` is empty.
 */
export async function runRecoveryHooks(
  ws: Workspace,
  txns: string[],
  options: RunHooksOptions,
): Promise<{ runs: HookRun[]; failed: HookRun | undefined }> {
  const last = [...txns].sort().at(-1);
  if (last === undefined) return { runs: [], failed: undefined };
  const state = await readState(ws);
  const done = state.history.find((h) => h.id === last);
  const stage: HookStage = done?.kind === "apply" ? "post-apply" : "post-rollback";
  return await runHooks(ws, stage, {
    installDir: ws.root,
    oldVersion: done?.previousVersion,
    newVersion: state.version,
    txnId: last,
  }, options);
}
