/**
 * The one-syncfs flush must work on the paths the workspace hands out,
 * which name pinned directories through /proc/self/fd.
 *
 * Mutation caught: passing the /proc/self/fd path to `sync` unchanged (it
 * then names the child's own descriptor, fails, and every staged file was
 * fsynced one by one instead: 200,000 fsyncs for a 200,000-file package).
 */

import assert from "node:assert/strict";
import { canSyncFileSystem, syncFileSystem } from "../../src/apply/_fs.ts";
import { tempDir } from "../_helpers.ts";

Deno.test({
  name: "syncFileSystem() flushes a directory named through /proc/self/fd",
  ignore: !canSyncFileSystem(),
  fn: async () => {
    const [dir, done] = await tempDir();
    const fd = Deno.openSync(dir, { read: true });
    try {
      const n = [...Deno.readDirSync("/proc/self/fd")].map((e) => e.name).find((name) => {
        try {
          return Deno.readLinkSync(`/proc/self/fd/${name}`) === Deno.realPathSync(dir);
        } catch {
          return false;
        }
      });
      assert.ok(n !== undefined, "the directory's descriptor is listed in /proc/self/fd");
      assert.equal(await syncFileSystem(`/proc/self/fd/${n}`), true);
      assert.equal(await syncFileSystem(dir), true);
    } finally {
      fd.close();
      await done();
    }
  },
});
