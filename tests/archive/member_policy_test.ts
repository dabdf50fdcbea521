/**
 * The pure member policy, member by member, with no disk involved.
 *
 * Mutations caught (each made once, test seen failing, then undone):
 * - the ".." check in `normalizeRelativePath` skipped: "refuses a member that leaves the install directory";
 * - the duplicate check letting a prior file through: "refuses a second member at a path";
 * - the ancestor walk skipped when the parent is unknown: "refuses a member below a symlink or a file";
 * - the `Overlay` dropped (the link being decided not consulted, so `a -> a/../../x` escapes
 *   instead of looping): "refuses a symlink that leaves...";
 * - `overCount` comparing with `>=` against the limit + 1: "holds members to the signed totals".
 */

import assert from "node:assert/strict";
import { countMember, decideMember, escapingLink, type StagedSoFar } from "../../src/archive/member_policy.ts";
import type { StagedType } from "../../src/archive/staged_entries.ts";
import type { TarHeader } from "../../src/archive/tar_reader.ts";
import type { HeaderTotals } from "../../src/signed_ops.ts";

function member(path: string, over?: Partial<TarHeader>): TarHeader {
  return { path, type: "file", typeflag: "0", linkPath: "", mode: 0o644, size: 1, mtime: 0, ...over };
}

function soFar(
  staged: Record<string, StagedType> = {},
  more?: { links?: Record<string, string>; limits?: HeaderTotals; seen?: HeaderTotals; implied?: string[] },
): StagedSoFar {
  return {
    typeOf: (p) => staged[p],
    isImplied: (p) => more?.implied?.includes(p) ?? false,
    links: new Map(Object.entries(more?.links ?? {})),
    captured: new Set<string>(),
    seen: more?.seen ?? { entries: 0, files: 0, bytes: 0 },
    limits: more?.limits,
  };
}

const RULES = { capture: new Set([".patchops/operations.json"]), maxEntries: 10, expectHeader: false };

function why(d: ReturnType<typeof decideMember>): string {
  assert.equal(d.action, "refuse", JSON.stringify(d));
  return (d as { why: string }).why;
}

Deno.test("decideMember() accepts a file and lists its missing ancestors outermost first", () => {
  const d = decideMember(member("./a/b/c.txt", { mode: 0o100640 }), soFar(), RULES);
  assert.deepEqual(d, { action: "file", path: "a/b/c.txt", mode: 0o640, create: ["a", "a/b"] });
  assert.deepEqual(decideMember(member("a/b/d.txt"), soFar({ a: "directory", "a/b": "directory" }), RULES), {
    action: "file",
    path: "a/b/d.txt",
    mode: 0o644,
    create: [],
  });
});

Deno.test("decideMember() refuses a member that leaves the install directory", () => {
  assert.match(why(decideMember(member("../etc/passwd"), soFar(), RULES)), /contains "\.\."/);
  assert.match(why(decideMember(member("/etc/passwd"), soFar(), RULES)), /is absolute/);
  assert.match(why(decideMember(member("."), soFar(), RULES)), /names the install directory itself/);
  assert.deepEqual(decideMember(member("./", { type: "directory" }), soFar(), RULES), { action: "skip" });
});

Deno.test("decideMember() refuses devices, FIFOs and reserved members", () => {
  assert.match(why(decideMember(member("dev", { type: "chardev" }), soFar(), RULES)), /device node/);
  assert.match(why(decideMember(member("p", { type: "fifo" }), soFar(), RULES)), /FIFO/);
  assert.match(why(decideMember(member(".patchops/journal.json"), soFar(), RULES)), /reserved/);
  assert.deepEqual(decideMember(member(".patchops/operations.json"), soFar(), RULES), {
    action: "capture",
    path: ".patchops/operations.json",
  });
});

Deno.test("decideMember() refuses a second member at a path, but lets a directory name an implied one", () => {
  assert.match(why(decideMember(member("a"), soFar({ a: "file" }), RULES)), /appears twice/);
  assert.match(
    why(decideMember(member("a", { type: "directory" }), soFar({ a: "directory" }), RULES)),
    /appears twice/,
  );
  assert.deepEqual(
    decideMember(member("a", { type: "directory", mode: 0o700 }), soFar({ a: "directory" }, { implied: ["a"] }), RULES),
    { action: "directory", path: "a", mode: 0o700, create: [], exists: true },
  );
});

Deno.test("decideMember() refuses a member below a symlink or a file", () => {
  assert.match(why(decideMember(member("l/x"), soFar({ l: "symlink" }), RULES)), /through the symlink "l"/);
  assert.match(why(decideMember(member("f/x"), soFar({ f: "file" }), RULES)), /needs "f" to be a directory/);
  assert.match(why(decideMember(member("d/f/x"), soFar({ d: "directory", "d/f": "file" }), RULES)), /"d\/f"/);
});

Deno.test("decideMember() refuses a symlink that leaves the install directory, alone or through another", () => {
  assert.match(why(decideMember(member("l", { type: "symlink", linkPath: "../x" }), soFar(), RULES)), /leaves/);
  assert.match(
    why(decideMember(member("l", { type: "symlink", linkPath: ".patchops" }), soFar(), RULES)),
    /leaves/,
  );
  const up = soFar({ up: "symlink" }, { links: { up: ".." } });
  assert.deepEqual(decideMember(member("ok", { type: "symlink", linkPath: "up" }), soFar(), RULES).action, "symlink");
  assert.match(why(decideMember(member("l", { type: "symlink", linkPath: "up/.." }), up, RULES)), /leaves/);
  // The link being decided counts as staged: pointing through itself, it is a loop, which leads nowhere.
  assert.equal(decideMember(member("a", { type: "symlink", linkPath: "a/../../x" }), soFar(), RULES).action, "symlink");
  // A link that is harmless alone escapes once a later one changes where it leads.
  const links = new Map([["a/l", "../b/.."], ["b", "a/.."]]);
  assert.deepEqual(escapingLink(new Map([["a/l", "../b"]])), undefined);
  assert.deepEqual(escapingLink(links)?.[0], "a/l");
});

Deno.test("decideMember() accepts a hard link only to an earlier file", () => {
  assert.deepEqual(decideMember(member("h", { type: "hardlink", linkPath: "./f" }), soFar({ f: "file" }), RULES), {
    action: "hardlink",
    path: "h",
    source: "f",
    create: [],
  });
  assert.match(
    why(decideMember(member("h", { type: "hardlink", linkPath: "d" }), soFar({ d: "directory" }), RULES)),
    /not an earlier file/,
  );
  assert.match(why(decideMember(member("h", { type: "hardlink", linkPath: "../f" }), soFar(), RULES)), /"\.\."/);
});

Deno.test("decideMember() holds members to the signed totals, or to the default count", () => {
  const limits = { entries: 2, files: 1, bytes: 5 };
  const seen = { entries: 0, files: 0, bytes: 0 };
  assert.equal(decideMember(member("a", { size: 5 }), soFar({}, { limits, seen }), RULES).action, "file");
  countMember(seen, member("a", { size: 5 }));
  assert.deepEqual(seen, { entries: 1, files: 1, bytes: 5 });
  assert.match(why(decideMember(member("b", { size: 0 }), soFar({}, { limits, seen }), RULES)), /beyond the 1 files/);
  assert.equal(
    decideMember(member("d", { type: "directory" }), soFar({}, { limits, seen }), RULES).action,
    "directory",
  );
  assert.match(
    why(decideMember(member("d", { type: "directory" }), soFar({}, { limits, seen: { ...seen, entries: 2 } }), RULES)),
    /one more member than the 2/,
  );
  const full = { entries: 10, files: 0, bytes: 0 };
  assert.match(why(decideMember(member("x"), soFar({}, { seen: full }), RULES)), /more than 10 members/);
  assert.equal(decideMember(member("x"), soFar({}, { seen: { ...full, entries: 9 } }), RULES).action, "file");
});

Deno.test("decideMember() wants the signed header first, and nothing else", () => {
  const rules = { ...RULES, expectHeader: true };
  assert.deepEqual(decideMember(member("./.patchops/operations.json"), soFar(), rules), { action: "header" });
  const d = decideMember(member("a.txt"), soFar(), rules);
  assert.equal(d.action === "refuse" && d.code, "OperationsMismatch");
  assert.match(why(decideMember(member(".patchops/operations.json", { size: 65 << 20 }), soFar(), rules)), /too large/);
});

// Mutations caught: the target length check removed (the 4097-character target was resolved and
// accepted); the lookup budget never spent (the chain of deep links resolved inside and passed).
Deno.test("decideMember() refuses symlink targets longer than symlink(2) takes, and links too costly to resolve", () => {
  const long = "x/".repeat(2048) + "y";
  assert.match(
    why(decideMember(member("l", { type: "symlink", linkPath: long }), soFar(), RULES)),
    /is a symlink whose target is longer than 4096 characters/,
  );
  // Each link leads deep and back out to the next: inside, but 100 hops of 2,000 lookups each.
  const deep = "x/".repeat(1000);
  const links: Record<string, string> = {};
  for (let i = 0; i < 100; i++) links[`l${i}`] = `${deep}${"../".repeat(1000)}l${i + 1}`;
  const d = decideMember(member("m", { type: "symlink", linkPath: "l0" }), soFar({}, { links }), RULES);
  assert.match(why(d), /is a symlink to "l0", which leaves the install directory/);
  // A short chain of the same links resolves: the budget is far above what real trees use.
  const short = { l0: "a/b/../l1", l1: "c" };
  assert.equal(
    decideMember(member("m", { type: "symlink", linkPath: "l0" }), soFar({}, { links: short }), RULES).action,
    "symlink",
  );
});
