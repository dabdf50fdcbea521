/**
 * Validation of every record read back from `.patchops/`: journals, the
 * state file and download metadata are untrusted input. A record that fails
 * is refused with `StateInvalid`, never acted on; what passes is rebuilt
 * field by field, so nothing unexpected rides along.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { ancestorsOf, normalizeRelativePath } from "../path_policy.ts";
import type { HistoryEntry, HookRecord, State } from "./state.ts";
import type { CreatedParent, Journal, Step } from "./transaction.ts";
import { TXN_ID } from "./workspace.ts";

/** The longest version string accepted from a record. */
const MAX_TEXT = 256;

class Invalid extends Error {}

function fail(why: string): never {
  throw new Invalid(why);
}

function text(v: unknown, what: string): string {
  if (typeof v !== "string" || v.length > MAX_TEXT) fail(`${what} is not a short string`);
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(v)) fail(`${what} contains control characters`);
  return v;
}

function optText(v: unknown, what: string): string | undefined {
  return v === undefined || v === null ? undefined : text(v, what);
}

function id(v: unknown, what: string): string {
  if (typeof v !== "string" || !TXN_ID.test(v)) fail(`${what} is not a transaction id`);
  return v;
}

function relPath(v: unknown, what: string): string {
  if (typeof v !== "string") fail(`${what} is not a path`);
  let p: string;
  try {
    p = normalizeRelativePath(v);
  } catch {
    fail(`${what} is not a normalised relative path inside the install directory`);
  }
  if (p === "" || p !== v) fail(`${what} is not a normalised relative path inside the install directory`);
  return p;
}

function mode(v: unknown, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0o7777) fail(`${what} is not a file mode`);
  return v as number;
}

function parents(v: unknown, of: string, what: string): CreatedParent[] {
  if (!Array.isArray(v)) fail(`${what} is not a list`);
  const allowed = new Set(ancestorsOf(of));
  return v.map((p, i) => {
    const path = relPath(p?.path, `${what}[${i}].path`);
    if (!allowed.has(path)) fail(`${what}[${i}] is not a parent of "${of}"`);
    return { path, mode: mode(p?.mode, `${what}[${i}].mode`) };
  });
}

function step(v: unknown, i: number): Step {
  const s = v as Record<string, unknown> | null;
  if (typeof s !== "object" || s === null) fail(`step ${i} is not an object`);
  if (s.action !== "replace" && s.action !== "delete") fail(`step ${i} has an unknown action`);
  const path = relPath(s.path, `step ${i} path`);
  if (typeof s.hadTarget !== "boolean") fail(`step ${i} hadTarget is not a boolean`);
  const out: Step = {
    action: s.action,
    path,
    hadTarget: s.hadTarget,
    parents: parents(s.parents, path, `step ${i} parents`),
  };
  if (s.prune !== undefined) out.prune = parents(s.prune, path, `step ${i} prune`);
  return out;
}

/**
 * Checks a journal read from `txn/<dirId>/journal.json` (or a kept backup's).
 * Its id must be the directory's, and its source and backup must be the only
 * places a journal of its kind may name.
 */
export function validateJournal(value: unknown, dirId: string, shown: string): Journal {
  try {
    const j = value as Record<string, unknown> | null;
    if (typeof j !== "object" || j === null || j.format !== 1) fail("unknown format");
    const jid = id(j.id, "id");
    if (jid !== dirId) fail(`id "${jid}" is not its directory's "${dirId}"`);
    if (j.kind !== "apply" && j.kind !== "rollback") fail("kind is unknown");
    if (j.state !== "prepared" && j.state !== "committed") fail("state is unknown");
    const origin = j.kind === "apply"
      ? (typeof j.origin === "string" && /^[0-9a-f]{64}$/.test(j.origin) ? j.origin : fail("origin is not a hash"))
      : id(j.origin, "origin");
    const source = j.kind === "apply" ? `txn/${jid}/staging` : `backups/${origin}/tree`;
    if (j.source !== source) fail(`source is not "${source}"`);
    if (j.backup !== `txn/${jid}/backup`) fail(`backup is not "txn/${jid}/backup"`);
    if (!Array.isArray(j.steps)) fail("steps is not a list");
    const steps = j.steps.map(step);
    const seen = new Set<string>();
    for (const s of steps) {
      if (seen.has(s.path)) fail(`step path "${s.path}" appears twice`);
      seen.add(s.path);
    }
    return {
      format: 1,
      id: jid,
      kind: j.kind,
      state: j.state,
      source,
      backup: `txn/${jid}/backup`,
      origin,
      version: optText(j.version, "version"),
      previousVersion: optText(j.previousVersion, "previousVersion"),
      createdAt: text(j.createdAt, "createdAt"),
      steps,
    };
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    throw new PatchopsError("StateInvalid", `journal "${shown}" is not valid (${err.message}): refusing to act on it`);
  }
}

/** Checks the state file's content. */
export function validateState(value: unknown, shown: string): State {
  try {
    const v = value as Record<string, unknown> | null;
    if (typeof v !== "object" || v === null || v.format !== 1) fail("unknown format");
    if (!Array.isArray(v.history)) fail("history is not a list");
    const history: HistoryEntry[] = v.history.map((h: Record<string, unknown> | null, i: number) => {
      if (typeof h !== "object" || h === null) fail(`history[${i}] is not an object`);
      if (h.kind !== "apply" && h.kind !== "rollback" && h.kind !== "adopt") fail(`history[${i}].kind is unknown`);
      if (!Number.isSafeInteger(h.steps) || (h.steps as number) < 0) fail(`history[${i}].steps is not a count`);
      return {
        id: id(h.id, `history[${i}].id`),
        kind: h.kind,
        version: optText(h.version, `history[${i}].version`),
        previousVersion: optText(h.previousVersion, `history[${i}].previousVersion`),
        hash: optText(h.hash, `history[${i}].hash`),
        at: text(h.at, `history[${i}].at`),
        steps: h.steps as number,
      };
    });
    const state: State = {
      format: 1,
      version: optText(v.version, "version"),
      appliedAt: optText(v.appliedAt, "appliedAt"),
      history,
    };
    if (v.hooks !== undefined) state.hooks = hookRecords(v.hooks);
    return state;
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    throw new PatchopsError("StateInvalid", `state file "${shown}" is not valid (${err.message}): refusing to use it`);
  }
}

const HOOK_STAGES = new Set(["pre-apply", "post-apply", "pre-rollback", "post-rollback"]);
const HOOK_OUTCOMES = new Set(["running", "ok", "failed", "timed-out", "interrupted", "crashed"]);

function hookRecords(v: unknown): HookRecord[] {
  if (!Array.isArray(v) || v.length > 1000) fail("hooks is not a short list");
  return v.map((h: Record<string, unknown> | null, i: number) => {
    if (typeof h !== "object" || h === null) fail(`hooks[${i}] is not an object`);
    if (!HOOK_STAGES.has(h.stage as string)) fail(`hooks[${i}].stage is unknown`);
    if (!HOOK_OUTCOMES.has(h.outcome as string)) fail(`hooks[${i}].outcome is unknown`);
    const code = h.exitCode;
    if (code !== null && (!Number.isInteger(code) || (code as number) < 0 || (code as number) > 255)) {
      fail(`hooks[${i}].exitCode is not an exit status`);
    }
    for (const k of ["pid", "startTime"]) {
      if (h[k] !== undefined && (!Number.isSafeInteger(h[k]) || (h[k] as number) <= 1)) {
        fail(`hooks[${i}].${k} is not a process id or time`);
      }
    }
    if (h.bootId !== undefined && (typeof h.bootId !== "string" || !/^[0-9a-f-]{36}$/.test(h.bootId))) {
      fail(`hooks[${i}].bootId is not a boot id`);
    }
    return {
      ...(h.pid !== undefined ? { pid: h.pid as number } : {}),
      ...(h.startTime !== undefined ? { startTime: h.startTime as number } : {}),
      ...(h.bootId !== undefined ? { bootId: h.bootId as string } : {}),
      txn: id(h.txn, `hooks[${i}].txn`),
      stage: h.stage as HookRecord["stage"],
      name: text(h.name, `hooks[${i}].name`),
      outcome: h.outcome as HookRecord["outcome"],
      exitCode: code as number | null,
      signal: h.signal === null ? null : text(h.signal, `hooks[${i}].signal`),
      at: text(h.at, `hooks[${i}].at`),
    };
  });
}

/** Checks a transaction or backup directory's name before it becomes part of a path. */
export function checkRecordId(name: string, shown: string): string {
  if (!TXN_ID.test(name)) {
    throw new PatchopsError("StateInvalid", `"${shown}" is not a transaction id: refusing to act on it`);
  }
  return name;
}
