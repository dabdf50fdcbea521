import assert from "node:assert/strict";
import { compareVersions, isComparable } from "../../src/apply/version.ts";

const sign = (n: number) => Math.sign(n);

// Mutation caught: comparing parts as strings (1.10 < 1.9), and a release sorting before its pre-release.
Deno.test("compareVersions() orders dotted versions numerically, pre-releases first", () => {
  const ordered = [
    "0.9",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.9",
    "1.10",
    "1.10.2",
    "2",
    "10.0",
  ];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      assert.equal(sign(compareVersions(ordered[i]!, ordered[j]!)), sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    }
  }
});

Deno.test("compareVersions() ignores a v prefix, build metadata, spaces and missing trailing zeros", () => {
  for (const [a, b] of [["v1.2", "1.2"], ["1.2+build.7", "1.2"], [" 1.2 ", "1.2.0"], ["V2.0.0", "2"]] as const) {
    assert.equal(compareVersions(a, b), 0, `${a} vs ${b}`);
  }
  assert.ok(compareVersions("1.2.0-rc.1+b", "1.2.0") < 0);
});

Deno.test("isComparable() tells versions from recorded package hashes", () => {
  assert.equal(isComparable("1.2"), true);
  assert.equal(isComparable(`sha256:${"0".repeat(64)}`), false);
  assert.equal(isComparable(undefined), false);
});
