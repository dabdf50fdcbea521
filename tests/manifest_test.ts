import assert from "node:assert/strict";
import { parseManifest } from "../src/manifest.ts";

const base = new URL("https://updates.example.com/app/v2/manifest.json");
const pkg = (extra: Record<string, unknown> = {}) => ({
  url: "patch.tar.gz",
  hash: `sha256:${"ab".repeat(32)}`,
  operations: { replace: { files: ["app.jar"] } },
  ...extra,
});

Deno.test("parseManifest() resolves a relative url against the manifest and tolerates absent lists", () => {
  const m = parseManifest(
    pkg({ operations: { delete: { directories: ["old/"] } } }),
    base,
  );
  assert.equal(m.url.href, "https://updates.example.com/app/v2/patch.tar.gz");
  assert.deepEqual(m.operations, {
    replaceFiles: [],
    replaceDirectories: [],
    deleteFiles: [],
    deleteDirectories: ["old"],
  });
  assert.equal(m.sha256, "ab".repeat(32));
});

Deno.test("parseManifest() picks the architecture from an enhanced manifest", () => {
  const doc = {
    version: "1.2.0",
    patch: {
      x86_64: pkg({ url: "x86.tar.gz" }),
      aarch64: pkg({ url: "/arm/a.tar.gz" }),
    },
  };
  assert.equal(
    parseManifest(doc, base, { arch: "x86_64" }).url.pathname,
    "/app/v2/x86.tar.gz",
  );
  const arm = parseManifest(doc, base, { arch: "arm64" });
  assert.equal(arm.url.pathname, "/arm/a.tar.gz");
  assert.equal(arm.version, "1.2.0");
  assert.throws(
    () => parseManifest({ patch: { x86_64: pkg() } }, base, { arch: "aarch64" }),
    /no patch for architecture "aarch64" \(manifest has: x86_64\)/,
  );
});

Deno.test("parseManifest() errors name the field and the value", () => {
  assert.throws(
    () => parseManifest(pkg({ hash: "md5:abc" }), base),
    /field "hash" .*got "md5:abc"/,
  );
  assert.throws(
    () => parseManifest(pkg({ url: undefined }), base),
    /field "url" is missing/,
  );
  assert.throws(
    () =>
      parseManifest(
        pkg({ operations: { replace: { files: ["../etc/passwd"] } } }),
        base,
      ),
    /field "operations.replace.files\[0\]": path "..\/etc\/passwd" contains ".."/,
  );
  assert.throws(
    () =>
      parseManifest(
        pkg({ operations: { replace: { files: "app.jar" } } }),
        base,
      ),
    /field "operations.replace.files" must be an array/,
  );
  assert.throws(
    () => parseManifest(pkg({ url: "ftp://x/y" }), base),
    /unsupported scheme/,
  );
});

Deno.test("parseManifest() refuses operations that repeat or nest", () => {
  assert.throws(
    () =>
      parseManifest(
        pkg({
          operations: { replace: { files: ["a"] }, delete: { files: ["a"] } },
        }),
        base,
      ),
    /"a" appears in both "replace.files" and "delete.files"/,
  );
  assert.throws(
    () =>
      parseManifest(
        pkg({
          operations: { replace: { directories: ["lib"], files: ["lib/x"] } },
        }),
        base,
      ),
    /"lib\/x" in "replace.files" lies inside "lib"/,
  );
});

// Mutations caught: only neighbours in sorted order compared ("a/b" after "a-b" passed as not
// inside "a"); the stack emptied at the first path that does not begin with its top, instead of
// popped down to the last one that does ("a/b/c" after "a/b-" passed).
Deno.test("parseManifest() finds a path inside another wherever the sort puts paths between them", () => {
  const nested = (files: string[], directories: string[]) =>
    assert.throws(
      () => parseManifest(pkg({ operations: { replace: { files, directories } } }), base),
      /lies inside/,
      JSON.stringify({ files, directories }),
    );
  // "-" (0x2d) and "." (0x2e) sort before "/" (0x2f), so unrelated paths come between.
  nested(["a-b", "a.c", "a/b"], ["a"]);
  nested(["a/b-", "x", "a/b/c"], ["a/b"]);
  nested(["z/y/x/w"], ["z", "zz"]);
  const fine = parseManifest(
    pkg({ operations: { replace: { files: ["a-b", "a.c", "ab/c", "a/b"], directories: ["a/bc", "b"] } } }),
    base,
  );
  assert.deepEqual(fine.operations.replaceDirectories, ["a/bc", "b"]);
});

Deno.test("parseManifest() refuses a path longer than Linux opens", () => {
  const deep = Array(2049).fill("a").join("/");
  assert.throws(
    () => parseManifest(pkg({ operations: { replace: { files: [deep] } } }), base),
    /path "a\/a\/.*\.\.\." is longer than 4096 characters/,
  );
  assert.equal(
    parseManifest(pkg({ operations: { replace: { files: [deep.slice(2)] } } }), base).operations.replaceFiles[0],
    deep.slice(2),
  );
});
