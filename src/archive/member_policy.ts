/**
 * The member policy: given one tar header and what is staged so far, says
 * what to do with the member, or why it is refused. Pure: it reads its
 * input and writes nothing, so the writers in `_staging_writer.ts` can
 * trust every decision without knowing the rules.
 *
 * Refused: paths that leave the install directory or are not normalised
 * (after a leading `./`), the install directory itself as anything but a
 * directory, members under `.patchops/` other than the captured ones,
 * devices, FIFOs and unknown types, a second member at a path, a member
 * below a symlink or a file, a symlink leading out of the install directory
 * or into `.patchops/`, a hard link to anything but an earlier file, and
 * any member beyond the signed totals (or the default count).
 *
 * @module
 */

import type { ErrorCode } from "../errors.ts";
import { linkEscapes, MAX_PATH_LENGTH, normalizeRelativePath, parentOf, RESERVED_DIR } from "../path_policy.ts";
import { HEADER_LIMIT, type HeaderTotals, OPERATIONS_MEMBER } from "../signed_ops.ts";
import type { StagedType } from "./staged_entries.ts";
import type { TarHeader } from "./tar_reader.ts";

/** Captured `.patchops/` members larger than this are refused. */
export const CAPTURE_LIMIT = 4 << 20;

/** What the policy sees of the staging so far. */
export interface StagedSoFar {
  /** The type staged at a path, and whether that is an implied directory. */
  typeOf(path: string): StagedType | undefined;
  /** True for a directory created only because a deeper member needed it. */
  isImplied(path: string): boolean;
  /** Symlinks staged so far: path to target. */
  links: ReadonlyMap<string, string>;
  /** `.patchops/` members captured so far. */
  captured: { has(path: string): boolean };
  /** Members counted so far (after the header). */
  seen: Readonly<HeaderTotals>;
  /** The signed totals, once the header has passed. */
  limits: Readonly<HeaderTotals> | undefined;
}

/** The rules' settings; see `StageOptions`. */
export interface MemberRules {
  /** `.patchops/` member paths that may be captured. */
  capture: ReadonlySet<string>;
  /** Members accepted when no signed header bounds them. */
  maxEntries: number;
  /** True while the archive's first member must be the signed header. */
  expectHeader: boolean;
}

/** What to do with one member. `create` lists missing ancestors to make first, outermost first. */
export type MemberDecision =
  | { action: "header" }
  | { action: "skip" }
  | { action: "capture"; path: string }
  | { action: "directory"; path: string; mode: number; create: string[]; exists: boolean }
  | { action: "file"; path: string; mode: number; create: string[] }
  | { action: "symlink"; path: string; target: string; create: string[] }
  | { action: "hardlink"; path: string; source: string; create: string[] }
  | { action: "refuse"; code: ErrorCode; why: string; cause?: unknown };

function refusal(why: string, cause?: unknown): MemberDecision {
  return cause === undefined
    ? { action: "refuse", code: "UnsafeMember", why }
    : { action: "refuse", code: "UnsafeMember", why, cause };
}

function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/^path "[^"]*" /, "");
}

/** The member's own count against the signed totals (or the default count); a reason when it goes beyond. */
function overCount(header: TarHeader, so: StagedSoFar, rules: MemberRules): string | undefined {
  const { seen, limits } = so;
  if (seen.entries + 1 > (limits?.entries ?? rules.maxEntries)) {
    return limits
      ? `is one more member than the ${limits.entries} the signed header counts`
      : `is more than ${rules.maxEntries} members`;
  }
  if (header.type !== "file" || !limits) return undefined;
  if (seen.files + 1 > limits.files || seen.bytes + header.size > limits.bytes) {
    return `goes beyond the ${limits.files} files of ${limits.bytes} bytes the signed header counts`;
  }
  return undefined;
}

/** Adds a member the policy accepted to the running totals. */
export function countMember(seen: HeaderTotals, header: TarHeader): void {
  seen.entries++;
  if (header.type !== "file") return;
  seen.files++;
  seen.bytes += header.size;
}

/** Decides what to do with `header`, given what is staged so far. Never throws. */
export function decideMember(header: TarHeader, so: StagedSoFar, rules: MemberRules): MemberDecision {
  if (rules.expectHeader) {
    if (header.type !== "file" || header.path.replace(/^(\.\/)+/, "") !== OPERATIONS_MEMBER) {
      return {
        action: "refuse",
        code: "OperationsMismatch",
        why: `the archive opens with "${header.path}", not with the signed header "${OPERATIONS_MEMBER}"`,
      };
    }
    if (header.size > HEADER_LIMIT) return refusal("is too large");
    return { action: "header" };
  }
  let path: string;
  try {
    path = normalizeRelativePath(header.path, { lenient: true, allowReserved: true });
  } catch (err) {
    return refusal(reasonOf(err), err);
  }
  if (path === "") {
    return header.type === "directory" ? { action: "skip" } : refusal("names the install directory itself");
  }
  if (path === RESERVED_DIR || path.startsWith(RESERVED_DIR + "/")) {
    if (!rules.capture.has(path) || header.type !== "file") {
      return refusal(`lies in the reserved "${RESERVED_DIR}" directory`);
    }
    if (so.captured.has(path)) return refusal("appears twice in the archive");
    const over = overCount(header, so, rules);
    if (over) return refusal(over);
    if (header.size > CAPTURE_LIMIT) return refusal("is too large");
    return { action: "capture", path };
  }
  switch (header.type) {
    case "chardev":
    case "blockdev":
      return refusal("is a device node");
    case "fifo":
      return refusal("is a FIFO");
    case "other":
      return refusal(`has unsupported type "${header.typeflag}"`);
  }
  const prior = so.typeOf(path);
  if (prior !== undefined && !(header.type === "directory" && prior === "directory" && so.isImplied(path))) {
    return refusal("appears twice in the archive");
  }
  // Staged entries never change type, so a parent that is a directory means every ancestor
  // is one: only a new parent needs the walk.
  const create: string[] = [];
  const parent = parentOf(path);
  if (parent !== "" && so.typeOf(parent) !== "directory") {
    for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) {
      const a = path.slice(0, i);
      const t = so.typeOf(a);
      if (t === undefined) create.push(a);
      else if (t === "symlink") return refusal(`would be written through the symlink "${a}"`);
      else if (t !== "directory") return refusal(`needs "${a}" to be a directory, but it is a file`);
    }
  }
  const over = overCount(header, so, rules);
  if (over) return refusal(over);
  switch (header.type) {
    case "directory":
      return { action: "directory", path, mode: header.mode & 0o777, create, exists: prior !== undefined };
    case "file":
      return { action: "file", path, mode: header.mode & 0o777, create };
    case "symlink": {
      // symlink(2) takes no longer target (PATH_MAX), and resolving one costs O(length^2): a
      // 1 MiB pax linkpath of "x/x/x/..." would have kept a core busy for most of an hour.
      if (header.linkPath.length > MAX_PATH_LENGTH) {
        return refusal(`is a symlink whose target is longer than ${MAX_PATH_LENGTH} characters`);
      }
      const links = new Overlay(so.links, path, header.linkPath);
      if (linkEscapes(path, header.linkPath, links)) {
        return refusal(`is a symlink to "${header.linkPath}", which leaves the install directory`);
      }
      return { action: "symlink", path, target: header.linkPath, create };
    }
    case "hardlink": {
      let source: string;
      try {
        source = normalizeRelativePath(header.linkPath, { lenient: true });
      } catch (err) {
        return refusal(`is a hard link to "${header.linkPath}", which ${reasonOf(err)}`, err);
      }
      if (so.typeOf(source) !== "file") {
        return refusal(`is a hard link to "${header.linkPath}", which is not an earlier file in the archive`);
      }
      return { action: "hardlink", path, source, create };
    }
  }
}

/**
 * Checks every symlink again against the complete set, since a symlink
 * added later can change where an earlier one leads. Returns the first
 * escaping link, if any.
 */
export function escapingLink(links: ReadonlyMap<string, string>): [string, string] | undefined {
  for (const [path, target] of links) {
    if (linkEscapes(path, target, links)) return [path, target];
  }
  return undefined;
}

/** The staged links plus the one being decided, without copying them. */
class Overlay implements Pick<ReadonlyMap<string, string>, "get"> {
  readonly #base: ReadonlyMap<string, string>;
  readonly #path: string;
  readonly #target: string;
  constructor(base: ReadonlyMap<string, string>, path: string, target: string) {
    this.#base = base;
    this.#path = path;
    this.#target = target;
  }
  get(path: string): string | undefined {
    return path === this.#path ? this.#target : this.#base.get(path);
  }
}
