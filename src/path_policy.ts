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

/**
 * Turns `input` into a canonical relative path (`a/b/c`) or throws
 * `UnsafePath`. A leading `./` and trailing slashes are accepted; `..`,
 * absolute paths, backslashes, control characters and the reserved
 * `.patchops` directory are refused. Returns `""` for the root itself.
 *
 * @example
 * ```ts
 * normalizeRelativePath("./lib/app.jar"); // "lib/app.jar"
 * ```
 */
export function normalizeRelativePath(
  input: string,
  options?: NormalizeOptions,
): string {
  const { lenient = false, allowReserved = false } = options ?? {};
  const refuse = (why: string) =>
    new PatchopsError("UnsafePath", `path "${input}" ${why}`);
  if (input.length === 0) throw refuse("is empty");
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
  for (const part of rest.split("/")) {
    if (part === "..") throw refuse('contains ".."');
    if (part === "" || part === ".") {
      if (lenient) continue;
      throw refuse("is not normalised");
    }
    out.push(part);
  }
  if (out.length === 0) return "";
  if (out[0] === RESERVED_DIR && !allowReserved) {
    throw refuse(`names the reserved "${RESERVED_DIR}" directory`);
  }
  return out.join("/");
}

/** The parent of a normalised relative path; `""` for a top-level name. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** Every proper ancestor of a normalised path, outermost first. */
export function ancestorsOf(path: string): string[] {
  const parts = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("/"));
  return out;
}

/** Whether `inner` equals `outer` or lies below it (both normalised). */
export function isWithin(inner: string, outer: string): boolean {
  return outer === "" || inner === outer || inner.startsWith(outer + "/");
}

/**
 * Resolves a symlink's `target` as seen from the link at `linkPath`, purely
 * lexically, consulting `links` for symlinks met on the way (so `a -> .`
 * followed by `a/..` is caught). Returns the normalised path inside the root,
 * or `undefined` when the target leaves it or loops.
 */
export function resolveLinkTarget(
  linkPath: string,
  target: string,
  links: ReadonlyMap<string, string>,
): string | undefined {
  if (target.startsWith("/") || target.length === 0) return undefined;
  let budget = 40;
  const walk = (base: string[], rel: string): string[] | undefined => {
    const stack = [...base];
    for (const part of rel.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (stack.length === 0) return undefined;
        stack.pop();
        continue;
      }
      stack.push(part);
      const here = stack.join("/");
      const next = links.get(here);
      if (next !== undefined) {
        if (--budget < 0 || next.startsWith("/")) return undefined;
        stack.pop();
        const resolved = walk(stack, next);
        if (resolved === undefined) return undefined;
        stack.length = 0;
        stack.push(...resolved);
      }
    }
    return stack;
  };
  const parent = parentOf(linkPath);
  const result = walk(parent === "" ? [] : parent.split("/"), target);
  return result?.join("/");
}
