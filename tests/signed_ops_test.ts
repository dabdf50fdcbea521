/**
 * The comparison of a package's signed operations with its manifest,
 * including the shortcut that skips the full parse when the lists are the
 * manifest's own, string for string.
 *
 * Mutations caught: `sameAsManifest` answering true for any array of the
 * right length ("refuses a signed list that differs..."); it answering true
 * for a non-object section ("...and a malformed one").
 */

import assert from "node:assert/strict";
import { parseManifest } from "../src/manifest.ts";
import { checkSignedOperations } from "../src/signed_ops.ts";

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
