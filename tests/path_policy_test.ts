import assert from "node:assert/strict";
import { ancestorsOf, linkEscapes, normalizeRelativePath, resolveLinkTarget } from "../src/path_policy.ts";

Deno.test("normalizeRelativePath() accepts ./ prefixes and trailing slashes", () => {
  assert.equal(normalizeRelativePath("./lib/app.jar"), "lib/app.jar");
  assert.equal(normalizeRelativePath("front/"), "front");
  assert.equal(normalizeRelativePath("./"), "");
});

// Mutations caught: ".." parts skipped instead of refused; the absolute-path check removed.
Deno.test("normalizeRelativePath() refuses escapes, absolute and reserved paths", () => {
  for (
    const bad of [
      "../x",
      "a/../../x",
      "a/..",
      "/etc/passwd",
      "C:/x",
      "a\\..\\b",
      ".patchops/lock",
      "a\u0000b",
    ]
  ) {
    assert.throws(
      () => normalizeRelativePath(bad),
      { code: "UnsafePath" },
      bad,
    );
  }
});

Deno.test("normalizeRelativePath() refuses unnormalised operation paths but folds them for members", () => {
  assert.throws(() => normalizeRelativePath("a//b"), /not normalised/);
  assert.throws(() => normalizeRelativePath("a/./b"), /not normalised/);
  assert.equal(normalizeRelativePath("a//./b", { lenient: true }), "a/b");
  assert.throws(
    () => normalizeRelativePath("a/../b", { lenient: true }),
    /\.\./,
  );
});

// Mutation caught: links met on the way not consulted (a -> . then a/.. passes as inside).
Deno.test("resolveLinkTarget() follows earlier links and catches escapes through them", () => {
  const links = new Map<string, string>([["r", "."]]);
  assert.deepEqual(resolveLinkTarget("a/l", "../b", links), {
    kind: "inside",
    path: "b",
  });
  assert.deepEqual(resolveLinkTarget("a/l", "../../b", links), {
    kind: "outside",
  });
  assert.deepEqual(resolveLinkTarget("l", "/etc/passwd", links), {
    kind: "outside",
  });
  // r -> . makes "r/.." the parent of the root.
  assert.deepEqual(resolveLinkTarget("a/l", "../r/..", links), {
    kind: "outside",
  });
  const loop = new Map<string, string>([["x", "y"], ["y", "x"]]);
  assert.deepEqual(resolveLinkTarget("z", "x", loop), { kind: "loop" });
  assert.equal(linkEscapes("self", "self", new Map([["self", "self"]])), false);
  assert.equal(linkEscapes("l", ".patchops/lock", new Map()), true);
});

// Mutation caught: the length check removed (the 4097-character path was accepted).
Deno.test("normalizeRelativePath() refuses paths longer than 4096 characters; ancestorsOf() lists each ancestor", () => {
  assert.throws(() => normalizeRelativePath("a/".repeat(2048) + "b"), { code: "UnsafePath" });
  assert.equal(normalizeRelativePath("a/".repeat(2047) + "bc"), "a/".repeat(2047) + "bc");
  assert.deepEqual(ancestorsOf("a/bc/d/e"), ["a", "a/bc", "a/bc/d"]);
  assert.deepEqual(ancestorsOf("top"), []);
});
