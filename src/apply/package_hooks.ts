/**
 * Package hooks: programs the publisher ships inside the package as
 * `.patchops/hooks/<stage>` (pre-apply and post-apply), listed with their
 * SHA-256 in the signed header. They are authenticated before anything
 * runs: a hook member the header does not list, a listed hook that is
 * missing or differs, or hooks in a package whose header is not signed, are
 * refused. They run only when the operator allows package hooks.
 *
 * The bytes are held in memory while staging (like the header), written to
 * `.patchops/package-hooks/<txn>/` and run through the working area's pinned
 * descriptor (`/proc/<pid>/fd/<fd>/...`), so that renaming `.patchops` away
 * does not change what runs.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { PatchopsError } from "../errors.ts";
import { hookMember, OPERATIONS_MEMBER, type PackageHookEntry } from "../signed_ops.ts";
import type { Hook } from "./hooks.ts";
import type { Workspace } from "./workspace.ts";
import { removeIfExists } from "./_fs.ts";

/** Stages a package may carry hooks for. */
export const PACKAGE_HOOK_STAGES = ["pre-apply", "post-apply"] as const;

/** The archive members that may carry package hooks (captured, never staged into the tree). */
export const PACKAGE_HOOK_MEMBERS: readonly string[] = PACKAGE_HOOK_STAGES.map(hookMember);

/** A package hook, authenticated. */
export interface PackageHook extends PackageHookEntry {
  bytes: Uint8Array;
}

function refuse(why: string): never {
  throw new PatchopsError("HookRefused", `package hooks: ${why}`);
}

/** The `hooks` list of a signed header, checked field by field. */
function listedHooks(header: Uint8Array | undefined): PackageHookEntry[] {
  if (header === undefined) return [];
  let doc: { hooks?: unknown };
  try {
    doc = JSON.parse(new TextDecoder().decode(header));
  } catch {
    return [];
  }
  if (doc.hooks === undefined) return [];
  if (!Array.isArray(doc.hooks) || doc.hooks.length > PACKAGE_HOOK_STAGES.length) {
    refuse(`the signed header's "hooks" is not a list of at most ${PACKAGE_HOOK_STAGES.length}`);
  }
  const seen = new Set<string>();
  return doc.hooks.map((h: Record<string, unknown> | null, i: number) => {
    const stage = h?.stage;
    if (typeof stage !== "string" || !(PACKAGE_HOOK_STAGES as readonly string[]).includes(stage)) {
      refuse(`hooks[${i}] names no stage a package may carry (${PACKAGE_HOOK_STAGES.join(", ")})`);
    }
    if (seen.has(stage)) refuse(`the ${stage} hook is listed twice`);
    seen.add(stage);
    if (typeof h?.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(h.sha256)) refuse(`hooks[${i}].sha256 is not a hash`);
    if (!Number.isSafeInteger(h.size) || (h.size as number) < 0) refuse(`hooks[${i}].size is not a size`);
    return { stage: stage as PackageHookEntry["stage"], sha256: h.sha256, size: h.size as number };
  });
}

/**
 * The hooks a received package carries, checked against its signed header:
 * each captured hook member must be listed with its SHA-256, and each
 * listed hook present. `authenticated` says whether the header was checked
 * against the signature; hooks from a package where it was not are refused.
 */
export function packageHooksOf(captured: Map<string, Uint8Array>, authenticated: boolean): PackageHook[] {
  const listed = authenticated ? listedHooks(captured.get(OPERATIONS_MEMBER)) : [];
  const carried = PACKAGE_HOOK_MEMBERS.filter((m) => captured.has(m));
  if (!authenticated && carried.length > 0) {
    refuse(`the package carries ${carried.map((m) => `"${m}"`).join(", ")}, but no signed header vouches for it`);
  }
  for (const m of carried) {
    if (!listed.some((h) => hookMember(h.stage) === m)) refuse(`"${m}" is not listed in the signed header`);
  }
  return listed.map((h) => {
    const bytes = captured.get(hookMember(h.stage));
    if (bytes === undefined) refuse(`the signed header lists a ${h.stage} hook that the package lacks`);
    const sum = createHash("sha256").update(bytes).digest("hex");
    if (sum !== h.sha256 || bytes.length !== h.size) {
      refuse(`"${hookMember(h.stage)}" is not the hook the signed header lists (sha256 ${sum})`);
    }
    return { ...h, bytes };
  });
}

/** Where package hooks of transaction `id` are written, inside the working area. */
function hooksDir(ws: Workspace, id: string): string {
  return `${ws.base}/package-hooks/${id}`;
}

/**
 * Writes the hooks (0700) and returns them as runnable hooks, named
 * `package:<stage>`, each run through the pinned working area. Throws
 * `HookRefused` where the working area is not pinned.
 */
export async function writePackageHooks(ws: Workspace, id: string, hooks: PackageHook[]): Promise<Hook[]> {
  if (hooks.length === 0) return [];
  if (!ws.base.startsWith("/proc/self/fd/")) {
    refuse("they run only through the pinned working area, which needs Linux and every permission granted");
  }
  const dir = hooksDir(ws, id);
  await Deno.mkdir(`${ws.base}/package-hooks`, { mode: 0o700 }).catch((err) => {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
  });
  await Deno.mkdir(dir, { mode: 0o700 });
  // The hook runs in a child: it reaches the descriptor through this process's /proc entry.
  const runBase = `/proc/${Deno.pid}/fd/${ws.base.slice("/proc/self/fd/".length)}`;
  const out: Hook[] = [];
  for (const h of hooks) {
    const file = await Deno.open(`${dir}/${h.stage}`, { write: true, createNew: true, mode: 0o700 });
    try {
      for (let done = 0; done < h.bytes.length;) done += await file.write(h.bytes.subarray(done));
    } finally {
      file.close();
    }
    // Whatever the umask took away: the owner runs it, nobody else touches it.
    await Deno.chmod(`${dir}/${h.stage}`, 0o700);
    out.push({ stage: h.stage, name: `package:${h.stage}`, path: `${runBase}/package-hooks/${id}/${h.stage}` });
  }
  return out;
}

/** Removes the written hooks of transaction `id`, or every leftover when `id` is undefined. */
export async function removePackageHooks(ws: Workspace, id?: string): Promise<void> {
  await removeIfExists(id === undefined ? `${ws.base}/package-hooks` : hooksDir(ws, id));
  if (id !== undefined) await Deno.remove(`${ws.base}/package-hooks`).catch(() => {});
}
