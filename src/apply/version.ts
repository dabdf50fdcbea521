/**
 * Version ordering for the downgrade guard.
 *
 * @module
 */

/**
 * Compares dotted versions (`1.10.2` > `1.9`), numerically where both parts
 * are numbers. A pre-release (`1.2.0-rc.1`) sorts before its release.
 * Returns a negative number, zero or a positive number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareVersions } from "./version.ts";
 * assert.ok(compareVersions("1.10.2", "1.9") > 0);
 * assert.ok(compareVersions("1.2.0-rc.1", "1.2.0") < 0);
 * assert.equal(compareVersions("v1.2", "1.2.0"), 0);
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const strip = (v: string) => v.trim().replace(/^v/i, "").split("+")[0]!;
  const [coreA, preA] = splitPre(strip(a));
  const [coreB, preB] = splitPre(strip(b));
  const c = compareParts(coreA.split("."), coreB.split("."));
  if (c !== 0) return c;
  if (preA === undefined || preB === undefined) {
    return preA === preB ? 0 : preA === undefined ? 1 : -1;
  }
  return compareParts(preA.split("."), preB.split("."));
}

function splitPre(v: string): [string, string | undefined] {
  const i = v.indexOf("-");
  return i < 0 ? [v, undefined] : [v.slice(0, i), v.slice(i + 1)];
}

function compareParts(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? "0";
    const y = b[i] ?? "0";
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (x !== y) {
      if (nx !== ny) return nx ? -1 : 1;
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** Whether a recorded version is a real version rather than a package hash. */
export function isComparable(version: string | undefined): version is string {
  return version !== undefined && !version.startsWith("sha256:");
}
