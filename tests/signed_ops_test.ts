/**
 * The comparison of a package's signed operations with its manifest,
 * including the shortcut that skips the full parse when the lists are the
 * manifest's own, string for string.
 *
 * Mutations caught: `sameAsManifest` answering true for any array of the
 * right length ("refuses a signed list that differs..."); it answering true
 * for a non-object section ("...and a malformed one"); the version check
 * skipped when the signed header leaves the version out, or a missing list
 * taken as any list ("a delta header is written without...").
 */

import assert from "node:assert/strict";
import { parseManifest } from "../src/manifest.ts";
import { checkHeader, checkSignedOperations, encodeSignedOperations } from "../src/signed_ops.ts";

const base = new URL("https://updates.example.com/app/manifest.json");

function manifest(operations: unknown) {
  return parseManifest({ url: "patch.tar.gz", hash: `sha256:${"ab".repeat(32)}`, signature: "", operations }, base);
}

function member(operations: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format: 2, operations, version: null, from_version: null }));
}

Deno.test("checkSignedOperations() accepts the manifest's lists, in either spelling of a path", () => {
  const m = manifest({ replace: { files: ["a/b.txt", "c"] }, delete: { directories: ["old"] } });
  assert.doesNotThrow(() =>
    checkSignedOperations(m, member({ replace: { files: ["a/b.txt", "c"] }, delete: { directories: ["old"] } }))
  );
  assert.doesNotThrow(() =>
    checkSignedOperations(m, member({ replace: { files: ["./a/b.txt", "c/"] }, delete: { directories: ["old"] } }))
  );
});

Deno.test("checkSignedOperations() refuses a signed list that differs from the manifest's, and a malformed one", () => {
  const m = manifest({ replace: { files: ["a/b.txt", "c"] } });
  assert.throws(
    () => checkSignedOperations(m, member({ replace: { files: ["a/b.txt", "d"] } })),
    /operations\.replace\.files differ/,
  );
  assert.throws(
    () => checkSignedOperations(m, member({ replace: { files: ["a/b.txt"] }, delete: { files: ["c"] } })),
    /differ/,
  );
  const none = manifest({});
  assert.throws(() => checkSignedOperations(none, member({ replace: 5 })), /must be an object/);
  assert.throws(() => checkSignedOperations(none, member([])), /must be an object/);
});

Deno.test("a delta header is written without indentation, nulls or empty lists, and binds the manifest as fully", () => {
  const ops = manifest({ replace: { files: ["bin/app", "lib/a.js"] } }).operations;
  const entry = { old_sha256: "a".repeat(64), old_size: 10, sha256: "b".repeat(64), size: 12 };
  const totals = { entries: 2, files: 2, bytes: 40 };
  const header = encodeSignedOperations(ops, undefined, undefined, undefined, {
    arch: undefined,
    totals,
    deltas: new Map([["bin/app", entry]]),
  });
  const text = new TextDecoder().decode(header);
  assert.deepEqual(JSON.parse(text), {
    format: 3,
    operations: { replace: { files: ["bin/app", "lib/a.js"] } },
    totals,
    deltas: { "bin/app": entry },
  });
  assert.equal(text.indexOf("\n"), text.length - 1, "one line");
  // A header without deltas keeps the bytes it always had.
  const plain = new TextDecoder().decode(
    encodeSignedOperations(ops, undefined, undefined, undefined, { arch: undefined, totals }),
  );
  assert.ok(plain.startsWith(`{\n  "format": 2,\n`) && plain.includes(`"version": null,`), plain);

  const m = (extra: Record<string, unknown>, operations: unknown = { replace: { files: ["bin/app", "lib/a.js"] } }) =>
    parseManifest({ url: "p", hash: `sha256:${"ab".repeat(32)}`, signature: "", operations, ...extra }, base);
  const limits = checkHeader(m({}), header, "x86_64");
  assert.deepEqual(limits.totals, totals);
  assert.equal(limits.arch, null);
  assert.deepEqual([...limits.deltas!], [["bin/app", entry]]);
  // What the header leaves out is null and empty, and a manifest that says otherwise is refused.
  assert.throws(() => checkHeader(m({ version: "2" }), header, "x86_64"), /version "2" differs from the signed null/);
  assert.throws(() => checkHeader(m({ from_version: "1" }), header, "x86_64"), /from_version "1" differs/);
  assert.throws(
    () => checkHeader(m({}, { replace: { files: ["bin/app", "lib/a.js"] }, delete: { files: ["old"] } }), header, "x"),
    /operations\.delete\.files differ/,
  );
  assert.throws(
    () => checkHeader(m({}, { replace: { files: ["bin/app", "lib/a.js"], directories: ["d"] } }), header, "x"),
    /operations\.replace\.directories differ/,
  );
});
