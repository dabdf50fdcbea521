/**
 * Operator hooks: programs the operator keeps on the host (a hooks
 * directory such as `/etc/patchops/hooks.d`) that run around the file swap,
 * to stop and start a service or run a health check.
 *
 * They run as the user running patchops (often root), so where they come
 * from is held to the ownership policy of `trust.ts`: the hooks directory,
 * every directory above it, the stage directory and each hook file are owned
 * by root or the running user, writable by nobody else, and never symbolic
 * links. A hook is contained: its own session and process group (so the
 * whole group can be killed), a clean environment, stdin from `/dev/null`,
 * `/` as its working directory, a timeout, and bounded captured output.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { currentUid, untrustedBecause } from "./trust.ts";

/** When a hook runs. */
export type HookStage = "pre-apply" | "post-apply" | "pre-rollback" | "post-rollback";

/** Every stage, in the order a patch meets them. */
export const HOOK_STAGES: readonly HookStage[] = ["pre-apply", "post-apply", "pre-rollback", "post-rollback"];

/** One hook found in a hooks directory. */
export interface Hook {
  stage: HookStage;
  /** Its name relative to the hooks directory (`pre-apply`, `post-apply/20-health`). */
  name: string;
  /** The path it is run by. */
  path: string;
}

/** How one hook run ended. */
export type HookOutcome = "ok" | "failed" | "timed-out" | "interrupted";

/** What one hook run did. */
export interface HookRun {
  stage: HookStage;
  name: string;
  outcome: HookOutcome;
  /** Exit status, or `null` when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, if one did. */
  signal: string | null;
  durationMs: number;
  /** The last lines it wrote (at most {@linkcode MAX_CAPTURE} bytes of each stream). */
  stdout: string;
  stderr: string;
  /** Bytes of output that were not kept. */
  dropped: number;
}

/** One line a hook wrote, as it arrives. */
export interface HookOutput {
  stage: HookStage;
  name: string;
  stream: "stdout" | "stderr";
  line: string;
}

/** Bytes of each output stream kept and reported per hook; the rest is counted and dropped. */
export const MAX_CAPTURE = 64 * 1024;
/** The longest line passed on; longer lines are cut. */
const MAX_LINE = 4000;
/** Names run from a stage directory: run-parts' rule, so editor backups and package leftovers are skipped. */
const HOOK_NAME = /^[A-Za-z0-9_-]+$/;
/** The only inherited variable besides the documented ones. */
const HOOK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Options of {@linkcode findHooks}. */
export interface FindHooksOptions {
  /** Told about entries of a stage directory that are skipped for their name. */
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * Lists the hooks of `stage` in `hooksDir`: `<hooksDir>/<stage>` is either
 * one executable file or a directory whose executables run in byte order of
 * their names. Throws `HookRefused` when the directory, a directory above
 * it, or a hook fails the ownership policy, is a symbolic link, or a hook is
 * not executable; nothing runs then.
 */
export function findHooks(hooksDir: string, stage: HookStage, options?: FindHooksOptions): Hook[] {
  const dir = absoluteHooksDir(hooksDir);
  // The install directory was opened first, so the running user's id is known without a probe.
  const me = currentUid(dir);
  checkDir(dir, me, "hooks directory");
  checkAbove(dir, me);
  const stagePath = `${dir}/${stage}`;
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(stagePath);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  if (!info.isDirectory) {
    checkFile(stagePath, info, me);
    return [{ stage, name: stage, path: stagePath }];
  }
  checkDir(stagePath, me, "hook stage directory");
  const names: string[] = [];
  for (const e of Deno.readDirSync(stagePath)) {
    if (HOOK_NAME.test(e.name)) names.push(e.name);
    else options?.onWarning?.(`skipping "${stagePath}/${e.name}": hook names are letters, digits, "_" and "-"`);
  }
  // Byte order, as run-parts sorts in the C locale: the order does not depend on the host's locale.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => {
    const path = `${stagePath}/${n}`;
    checkFile(path, Deno.lstatSync(path), me);
    return { stage, name: `${stage}/${n}`, path };
  });
}

/**
 * The hooks directory by an absolute path whose parent is real (links above
 * it resolved, each directory of the real chain then checked) and whose last
 * component is as given, so that the directory itself being a link is seen.
 */
function absoluteHooksDir(hooksDir: string): string {
  const trimmed = hooksDir.replace(/\/+$/, "") || "/";
  if (trimmed === "/") return "/";
  const abs = trimmed.startsWith("/") ? trimmed : `${Deno.cwd()}/${trimmed}`;
  const cut = abs.lastIndexOf("/");
  const name = abs.slice(cut + 1);
  if (name === "." || name === "..") {
    throw new PatchopsError("HookRefused", `hooks directory "${hooksDir}" must end in a name, not "${name}"`);
  }
  let parent: string;
  try {
    parent = Deno.realPathSync(abs.slice(0, cut) || "/");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new PatchopsError("HookRefused", `hooks directory "${hooksDir}" does not exist`);
    }
    throw err;
  }
  return `${parent === "/" ? "" : parent}/${name}`;
}

function refuse(path: string, why: string): never {
  throw new PatchopsError("HookRefused", `hook "${path}" ${why}: refusing to run any hook`);
}

function checkDir(path: string, me: number, what: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new PatchopsError("HookRefused", `${what} "${path}" does not exist`);
    }
    throw err;
  }
  if (info.isSymlink) refuse(path, `is a symbolic link (the ${what} must be a real directory)`);
  if (!info.isDirectory) refuse(path, `is not a directory (the ${what} must be one)`);
  const why = untrustedBecause(info, me, false);
  if (why !== undefined) refuse(path, `${why}, so another user could change what runs as uid ${me}`);
}

/** Directories above the hooks directory: another user who could write them could swap it. */
function checkAbove(dir: string, me: number): void {
  for (let p = dir; p !== "/";) {
    p = p.slice(0, p.lastIndexOf("/")) || "/";
    const info = Deno.lstatSync(p);
    if (info.isSymlink) refuse(dir, `lies below "${p}", a symbolic link`);
    const why = untrustedBecause(info, me, true);
    if (why !== undefined) refuse(dir, `lies below "${p}", which ${why}`);
  }
}

function checkFile(path: string, info: Deno.FileInfo, me: number): void {
  if (info.isSymlink) refuse(path, "is a symbolic link");
  if (!info.isFile) refuse(path, "is not a regular file");
  const why = untrustedBecause(info, me, false);
  if (why !== undefined) refuse(path, `${why}, so another user could change what runs as uid ${me}`);
  if (((info.mode ?? 0) & 0o100) === 0) refuse(path, "is not executable by its owner");
}

/** What a hook is told, and nothing else (besides `PATH` and `LANG=C`). */
export interface HookEnv {
  installDir: string;
  oldVersion: string | undefined;
  newVersion: string | undefined;
  txnId: string;
  /** pre-apply only: where the new files wait. */
  stagingDir?: string | undefined;
}

/** The environment a hook of `stage` gets: see the README's "Hooks" section. */
export function hookEnvironment(stage: HookStage, env: HookEnv): Record<string, string> {
  const out: Record<string, string> = {
    PATH: HOOK_PATH,
    LANG: "C",
    PATCHOPS_STAGE: stage,
    PATCHOPS_INSTALL_DIR: env.installDir,
    PATCHOPS_OLD_VERSION: env.oldVersion ?? "",
    PATCHOPS_NEW_VERSION: env.newVersion ?? "",
    PATCHOPS_TXN_ID: env.txnId,
  };
  if (env.stagingDir !== undefined) out.PATCHOPS_STAGING_DIR = env.stagingDir;
  return out;
}

/** Options of {@linkcode runHook}. */
export interface RunHookOptions {
  /**
   * Seconds a hook may run before its process group gets SIGTERM.
   * @default 300
   */
  timeoutSeconds?: number | undefined;
  /**
   * Seconds between SIGTERM and SIGKILL.
   * @default 5
   */
  graceSeconds?: number | undefined;
  /** Aborting stops the hook the same way as a timeout, at once. */
  signal?: AbortSignal | undefined;
  /** Each line of output as it arrives (bounded like the capture). */
  onOutput?: ((output: HookOutput) => void) | undefined;
  /** Told the hook's process (its group has the same id) as soon as it started. */
  onSpawn?: ((process: HookProcess) => Promise<void> | void) | undefined;
}

/** A running hook's process: its pid (also its process group's id) and its start time, to tell it from a later process with the same pid. */
export interface HookProcess {
  pid: number;
  /** Field 22 of `/proc/<pid>/stat` (clock ticks after boot), or `null` where there is no `/proc`. */
  startTime: number | null;
  /** The kernel's boot id: a start time counts from boot, so it names a process only within one boot. */
  bootId: string | null;
}

/** This boot's id (`/proc/sys/kernel/random/boot_id`), or `null` where the kernel does not tell it. */
export function bootId(): string | null {
  try {
    const id = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
    return /^[0-9a-f-]{36}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/** The start time of `pid` as `/proc/<pid>/stat` tells it, with its process group; `undefined` when it is gone. */
export function processStart(pid: number): { startTime: number; pgid: number } | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields are counted after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const pgid = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (!Number.isSafeInteger(pgid) || !Number.isSafeInteger(startTime)) return undefined;
  return { startTime, pgid };
}

/**
 * Kills what is left of a hook that patchops started before it died: the
 * process group `pid`, if `pid` still leads it and started at `startTime`
 * during the boot `boot`. Says whether it did.
 */
export function killOrphanedHook(pid: number, startTime: number, boot: string): boolean {
  // After a reboot the same pid can lead a group that started at the same tick: an unrelated
  // process (a daemon calls setsid too) that root must not kill.
  if (boot !== bootId()) return false;
  const now = processStart(pid);
  if (now === undefined || now.startTime !== startTime || now.pgid !== pid) return false;
  killGroup(pid, "SIGKILL");
  return true;
}

/**
 * Runs one hook in a session and process group of its own, with `env` as
 * its whole environment, stdin from `/dev/null` and `/` as its working
 * directory (through `/bin/sh`, which waits for the go-ahead, then execs
 * it). When it exits, anything it left in its group is killed; on timeout
 * or abort the group gets SIGTERM, then SIGKILL after the grace.
 */
export async function runHook(hook: Hook, env: Record<string, string>, options?: RunHookOptions): Promise<HookRun> {
  const { timeoutSeconds = 300, graceSeconds = 5, signal, onOutput, onSpawn } = options ?? {};
  checkHookSeconds(timeoutSeconds, "timeout");
  checkHookSeconds(graceSeconds, "grace");
  const started = Date.now();
  // `detached` makes the child call setsid(): it leads a new session and process group whose
  // id is its pid, so kill(-pid) reaches everything it forks, and a Ctrl-C on our terminal
  // does not reach it behind our back.
  // The hook starts only once patchops says "run" on the pipe, after `onSpawn` has recorded
  // its pid: a crash before that leaves no hook running (the shell reads end-of-file and
  // exits), and a crash after it leaves a record through which recovery finds the group.
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'IFS= read -r go && [ "$go" = run ] && exec "$0" </dev/null; exit 125', hook.path],
    env,
    clearEnv: true,
    cwd: "/",
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const pgid = child.pid;
  let stopping: HookOutcome | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: HookOutcome) => {
    if (stopping !== undefined) return;
    stopping = why;
    killGroup(pgid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(pgid, "SIGKILL"), graceSeconds * 1000);
  };
  const timer = setTimeout(() => stop("timed-out"), timeoutSeconds * 1000);
  const onAbort = () => stop("interrupted");
  signal?.addEventListener("abort", onAbort);
  if (signal?.aborted) onAbort();
  const budget = { dropped: 0 };
  const readers = [
    collect(child.stdout, "stdout", hook, budget, onOutput),
    collect(child.stderr, "stderr", hook, budget, onOutput),
  ];
  let status: Deno.CommandStatus;
  try {
    const go = child.stdin.getWriter();
    try {
      await onSpawn?.({ pid: pgid, startTime: processStart(pgid)?.startTime ?? null, bootId: bootId() });
      await go.write(new TextEncoder().encode("run\n")).catch((err) => {
        // Stopped (Ctrl-C, timeout) before the go-ahead: the shell died unheard, and the hook
        // never ran. That is the stop's outcome, not an error of its own.
        if (!(err instanceof Deno.errors.BrokenPipe) || stopping === undefined) throw err;
      });
    } catch (err) {
      // Not recorded, so not run: the shell is ended before it hears the go-ahead.
      killGroup(pgid, "SIGKILL");
      await child.status;
      await Promise.all(readers.map((r) => withDeadline(r, 1000)));
      throw err;
    } finally {
      await go.close().catch(() => {});
    }
    status = await child.status;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    if (killTimer !== undefined) clearTimeout(killTimer);
    // What the hook left running in its group goes with it.
    killGroup(pgid, "SIGKILL");
  }
  // A process that left the group (setsid) may still hold the pipes: stop reading after a moment.
  const [stdout, stderr] = await Promise.all([withDeadline(readers[0]!, 1000), withDeadline(readers[1]!, 1000)]);
  const ok = stopping === undefined && status.success;
  return {
    stage: hook.stage,
    name: hook.name,
    outcome: stopping ?? (ok ? "ok" : "failed"),
    exitCode: status.signal === null ? status.code : null,
    signal: status.signal,
    durationMs: Date.now() - started,
    stdout: stdout.text,
    stderr: stderr.text,
    dropped: budget.dropped,
  };
}

/** The longest hook timeout: timers hold at most 2^31-1 ms, and a longer one would fire at once. */
export const MAX_HOOK_TIMEOUT = Math.floor((2 ** 31 - 1) / 1000);

/** Refuses a timeout the timers cannot keep (0, negative, not a number, or above {@linkcode MAX_HOOK_TIMEOUT}). */
export function checkHookSeconds(seconds: number, what = "timeout"): void {
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_HOOK_TIMEOUT) {
    throw new PatchopsError(
      "HookRefused",
      `the hook ${what} must be more than 0 and at most ${MAX_HOOK_TIMEOUT} seconds, got ${seconds}`,
    );
  }
}

function killGroup(pgid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(-pgid, sig);
  } catch (err) {
    // The group is gone already.
    if (!(err instanceof Deno.errors.NotFound) && !(err instanceof Deno.errors.PermissionDenied)) throw err;
  }
}

interface Collected {
  text: string;
}

/** Reads a stream into lines, keeping at most MAX_CAPTURE bytes and passing those lines on. */
function collect(
  stream: ReadableStream<Uint8Array>,
  name: "stdout" | "stderr",
  hook: Hook,
  budget: { dropped: number },
  onOutput: RunHookOptions["onOutput"],
): { done: Promise<Collected>; cancel: () => void } {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const kept: string[] = [];
  let keptBytes = 0;
  let pending = "";
  const emit = (line: string) => {
    const size = line.length + 1;
    if (keptBytes + size > MAX_CAPTURE) {
      budget.dropped += size;
      return;
    }
    keptBytes += size;
    const cut = line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line;
    kept.push(cut);
    onOutput?.({ stage: hook.stage, name: hook.name, stream: name, line: cut });
  };
  const done = (async (): Promise<Collected> => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          emit(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
        // A hook that never ends a line still cannot grow memory without bound.
        if (pending.length > MAX_LINE) {
          emit(pending);
          pending = "";
        }
      }
    } catch {
      // Cancelled: what was read is kept.
    }
    pending += decoder.decode();
    if (pending !== "") emit(pending);
    return { text: kept.join("\n") };
  })();
  return { done, cancel: () => reader.cancel().catch(() => {}) };
}

async function withDeadline(r: { done: Promise<Collected>; cancel: () => void }, ms: number): Promise<Collected> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => t = setTimeout(resolve, ms));
  const first = await Promise.race([r.done, late]);
  clearTimeout(t);
  if (first !== undefined) return first;
  r.cancel();
  return await r.done;
}

/** What {@linkcode runStage} did: every run, and the first that did not end well. */
export interface StageResult {
  runs: HookRun[];
  failed: HookRun | undefined;
}

/** Options of {@linkcode runStage}. */
export interface RunStageOptions extends RunHookOptions {
  /** Called before each hook starts and after it ends (to record it durably). */
  onStart?: ((hook: Hook) => Promise<void> | void) | undefined;
  /** Called once a hook's process started. */
  onHookSpawn?: ((hook: Hook, process: HookProcess) => Promise<void> | void) | undefined;
  onEnd?: ((run: HookRun) => Promise<void> | void) | undefined;
}

/** Runs the hooks of one stage in order, stopping at the first that does not exit 0. */
export async function runStage(
  hooks: Hook[],
  env: Record<string, string>,
  options?: RunStageOptions,
): Promise<StageResult> {
  const runs: HookRun[] = [];
  for (const hook of hooks) {
    await options?.onStart?.(hook);
    const onHookSpawn = options?.onHookSpawn;
    const run = await runHook(hook, env, {
      ...options,
      ...(onHookSpawn ? { onSpawn: (p: HookProcess) => onHookSpawn(hook, p) } : {}),
    });
    runs.push(run);
    await options?.onEnd?.(run);
    if (run.outcome !== "ok") return { runs, failed: run };
  }
  return { runs, failed: undefined };
}

/** One line saying how a hook ended, for errors and warnings. */
export function describeRun(run: HookRun): string {
  const how = run.outcome === "timed-out"
    ? `timed out after ${Math.round(run.durationMs / 1000)} s and was killed`
    : run.outcome === "interrupted"
    ? "was interrupted by a signal"
    : run.signal !== null
    ? `was killed by ${run.signal}`
    : `exited with ${run.exitCode}`;
  const last = (run.stderr || run.stdout).split("\n").filter((l) => l.trim() !== "").at(-1);
  return `${run.stage} hook "${run.name}" ${how}${last !== undefined ? `: ${last}` : ""}`;
}
