/**
 * Lexical rules for the relative paths that operations and archive members
 * name. Every path that reaches the file system passes through here first.
 *
 * @module
 */

import { PatchopsError } from "./errors.ts";

/** The working directory patchops keeps inside every install directory. */
export const RESERVED_DIR = ".patchops";

/** How strict {@linkcode normalizeRelativePath} is about redundant parts. */
export interface NormalizeOptions {
  /**
   * Fold empty and `.` components instead of refusing them. Tar writers
   * produce such names; hand-written operations should not.
   * @default false
   */
  lenient?: boolean;
  /**
   * Accept the reserved `.patchops` directory as the first component.
   * @default false
   */
  allowReserved?: boolean;
}

/** The longest relative path accepted, in UTF-16 code units (Linux's PATH_MAX is 4096 bytes). */
export const MAX_PATH_LENGTH = 4096;

/**
 * Turns `input` into a canonical relative path (`a/b/c`) or throws
 * `UnsafePath`. A leading `./` and trailing slashes are accepted; `..`,
 * absolute paths, backslashes, control characters and the reserved
 * `.patchops` directory are refused. Returns `""` for the root itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeRelativePath } from "./path_policy.ts";
 * assert.equal(normalizeRelativePath("./lib/app.jar"), "lib/app.jar");
 * assert.throws(() => normalizeRelativePath("lib/../../etc/passwd"), { code: "UnsafePath" });
 * ```
 */
export function normalizeRelativePath(
  input: string,
  options?: NormalizeOptions,
): string {
  const { lenient = false, allowReserved = false } = options ?? {};
  const refuse = (why: string) => new PatchopsError("UnsafePath", `path "${input}" ${why}`);
  if (input.length === 0) throw refuse("is empty");
  // Linux opens no longer path by name (PATH_MAX), and every path's ancestors are looked up
  // (O(length^2)): a manifest path of 80 KB, "a/a/a/...", took 94 s and 1.8 GB before this.
  if (input.length > MAX_PATH_LENGTH) {
    throw new PatchopsError(
      "UnsafePath",
      `path "${input.slice(0, 64)}..." is longer than ${MAX_PATH_LENGTH} characters`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) {
    throw refuse("contains a control character");
  }
  if (input.includes("\\")) {
    throw refuse("contains a backslash");
  }
  if (input.startsWith("/") || /^[A-Za-z]:/.test(input)) {
    throw refuse("is absolute");
  }
  let rest = input;
  while (rest.startsWith("./")) rest = rest.slice(2);
  while (rest.endsWith("/")) rest = rest.slice(0, -1);
  if (rest === "." || rest === "") return "";
  const out: string[] = [];
  let dropped = false;
  for (const part of rest.split("/")) {
    if (part === "..") throw refuse('contains ".."');
    if (part === "" || part === ".") {
      if (lenient) {
        dropped = true;
        continue;
      }
      throw refuse("is not normalised");
    }
    out.push(part);
  }
  if (out.length === 0) return "";
  if (out[0] === RESERVED_DIR && !allowReserved) {
    throw refuse(`names the reserved "${RESERVED_DIR}" directory`);
  }
  // A path that is normal already is returned as it came: manifests of 200,000 paths
  // otherwise held every path twice.
  return dropped ? out.join("/") : rest;
}

/** The parent of a normalised relative path; `""` for a top-level name. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Every proper ancestor of a normalised path, outermost first. */
export function ancestorsOf(path: string): string[] {
  // Slices of the path, not joins of its parts: a join per ancestor copied O(depth^2) parts.
  const out: string[] = [];
  for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) out.push(path.slice(0, i));
  return out;
}

/** Where a symlink leads, lexically. */
export type LinkResolution =
  | { kind: "inside"; path: string }
  | { kind: "outside" }
  | { kind: "loop" };

/**
 * More symlink hops than any kernel follows (Linux stops at 40), so a chain
 * this long cannot be followed by the system either and counts as a loop.
 */
const HOP_LIMIT = 100;

/**
 * Characters of path looked up in `links` while resolving one target. Each
 * lookup hashes the path so far, so a deep target through links back into
 * deep targets costs O(depth^2) per hop: 100 links of 4 KiB targets took
 * 2.7 s, and every symlink member of a package is resolved twice. Real
 * trees use a few KiB (pnpm's layout: about 20 lookups of 100 characters);
 * past the budget a link is taken to leave the directory (fails closed).
 */
const LOOKUP_BUDGET = 1 << 20;

/**
 * Resolves a symlink's `target` as seen from the link at `linkPath`, purely
 * lexically, consulting `links` for symlinks met on the way (so `a -> .`
 * followed by `a/..` is caught).
 */
export function resolveLinkTarget(
  linkPath: string,
  target: string,
  links: Pick<ReadonlyMap<string, string>, "get">,
): LinkResolution {
  if (target.startsWith("/") || target.length === 0) return { kind: "outside" };
  let budget = HOP_LIMIT;
  let lookups = LOOKUP_BUDGET;
  const walk = (base: string[], rel: string): string[] | "outside" | "loop" => {
    const stack = [...base];
    // The path so far, kept as the stack changes: a join per part cost O(depth) more.
    let joined = stack.join("/");
    const pop = () => {
      const last = stack.pop()!;
      joined = stack.length === 0 ? "" : joined.slice(0, joined.length - last.length - 1);
    };
    for (const part of rel.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (stack.length === 0) return "outside";
        pop();
        continue;
      }
      stack.push(part);
      joined = stack.length === 1 ? part : `${joined}/${part}`;
      lookups -= joined.length;
      if (lookups < 0) return "outside";
      const next = links.get(joined);
      if (next !== undefined) {
        if (next.startsWith("/")) return "outside";
        if (--budget < 0) return "loop";
        pop();
        const resolved = walk(stack, next);
        if (typeof resolved === "string") return resolved;
        stack.length = 0;
        stack.push(...resolved);
        joined = stack.join("/");
      }
    }
    return stack;
  };
  const parent = parentOf(linkPath);
  const result = walk(parent === "" ? [] : parent.split("/"), target);
  if (typeof result === "string") return { kind: result };
  return { kind: "inside", path: result.join("/") };
}

/**
 * Whether a symlink leads out of the root or into the reserved directory;
 * a loop leads nowhere and is harmless.
 */
export function linkEscapes(
  linkPath: string,
  target: string,
  links: Pick<ReadonlyMap<string, string>, "get">,
): boolean {
  const r = resolveLinkTarget(linkPath, target, links);
  return r.kind === "outside" ||
    (r.kind === "inside" && r.path.split("/")[0] === RESERVED_DIR);
}
