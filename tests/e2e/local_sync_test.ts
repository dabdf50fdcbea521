/**
 * The one flush of the file system (`sync --file-system`, see
 * `syncFileSystem` in `src/apply/_fs.ts`) as the local attacker sees it:
 * root's `sync` shows its arguments to every user (`ps`), and the owner of
 * the install directory can swap `.patchops` for a link at the moment it
 * starts. Here a stand-in for `sync`, first on `PATH`, plays that attacker
 * deterministically: as uid 65534 (the directory's owner) it reads the
 * transaction id from its own arguments, plants a look-alike
 * `<evil>/txn/<id>/staging` that links to a root-only file outside, swaps
 * `.patchops` for a link to `<evil>`, and records where the argument it was
 * given resolves while the swap holds: that is what the real `sync`, which
 * it then runs, would open.
 *
 * Mutation caught: `syncFileSystem` naming the staging directory by its
 * real path (`Deno.realPathSync` of the pinned path, the code before this
 * test) made root's `sync` open `outside/target`.
 */

import assert from "node:assert/strict";
import { exec, makePatch, type Member, ROOT, snapshot, tempDir, writeTree } from "../_helpers.ts";

const isRoot = Deno.build.os === "linux" && Deno.uid() === 0;
const NOBODY = 65534;
/** More than `FEW_FILES` (src/apply/mod.ts): the staged files are flushed with one syncfs. */
const FILES = 100;

const FAKE_SYNC = `#!/bin/sh
last=; for a in "$@"; do last=$a; done
as_attacker() { setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups /bin/sh -c "$1" sh "$last"; }
as_attacker '
  id=$(printf "%s\\n" "$1" | sed -n "s|.*/txn/\\([^/]*\\)/staging\\$|\\1|p")
  if [ -n "$id" ]; then mkdir -p "$EVIL/txn/$id" && ln -sfn "$OUTSIDE/target" "$EVIL/txn/$id/staging"; fi
  mv "$APP/.patchops" "$APP/.patchops.real" && ln -s "$EVIL" "$APP/.patchops"'
where=$(readlink -f -- "$last")
as_attacker 'rm "$APP/.patchops" && mv "$APP/.patchops.real" "$APP/.patchops"'
printf '%s\\n' "$where" >>"$RECORD"
exec "$REAL_SYNC" "$@"
`;

function findSync(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/sync`).isFile) return `${dir}/sync`;
    } catch { /* not here */ }
  }
  return undefined;
}

Deno.test({
  name: "root's sync of the staged files never follows a .patchops swapped for a link",
  ignore: !isRoot || findSync() === undefined,
  async fn() {
    const [base, done] = await tempDir();
    try {
      await Deno.chmod(base, 0o755);
      const app = `${base}/app`;
      const outside = `${base}/outside`;
      const evil = `${base}/evil`;
      const bin = `${base}/bin`;
      const record = `${base}/record.txt`;
      const members: Member[] = [];
      const oldSpec: Record<string, string> = {};
      for (let i = 0; i < FILES; i++) {
        oldSpec[`f${i}.txt`] = `old ${i}`;
        members.push({ path: `f${i}.txt`, data: `new ${i}` });
      }
      await writeTree(app, oldSpec);
      await writeTree(outside, { target: "root only" });
      await Deno.chmod(`${outside}/target`, 0o600);
      await Deno.mkdir(evil);
      await Deno.mkdir(bin);
      await Deno.writeTextFile(`${bin}/sync`, FAKE_SYNC, { mode: 0o755 });
      const owned = await exec("chown", ["-R", `${NOBODY}:${NOBODY}`, app, evil]);
      assert.equal(owned.code, 0, owned.stderr);
      const manifest = await makePatch(base, members, { replace: { files: members.map((m) => m.path) } }, {
        extra: { version: "2.0" },
      });
      const outsideBefore = await snapshot(outside, { exclude: [] });

      const r = await exec(Deno.execPath(), [
        "run",
        "--quiet",
        "-A",
        `${ROOT}/main.ts`,
        "apply",
        manifest,
        "--dir",
        app,
        "--allow-unsigned",
        "--allow-untrusted-owner",
      ], {
        env: {
          PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
          APP: app,
          EVIL: evil,
          OUTSIDE: outside,
          RECORD: record,
          REAL_SYNC: findSync()!,
        },
      });
      assert.equal(r.code, 0, r.stderr);

      // The stand-in ran (the flush was tried) and each time what sync was given resolved,
      // with .patchops swapped for a link, to the real staging directory, wherever it had gone.
      const seen = (await Deno.readTextFile(record)).trim().split("\n");
      assert.ok(seen.length >= 1 && seen[0] !== "", "the flush of the staged files never ran sync");
      for (const where of seen) {
        assert.ok(!where.startsWith(`${outside}/`) && !where.startsWith(`${evil}/`), `root's sync opened "${where}"`);
        assert.match(where, new RegExp(`^${app}/\\.patchops\\.real/txn/[^/]+/staging$`));
      }
      assert.deepEqual(await snapshot(outside, { exclude: [] }), outsideBefore);
      const after = await snapshot(app);
      assert.equal(Object.keys(after).length, FILES);
      assert.equal(await Deno.readTextFile(`${app}/f7.txt`), "new 7");
    } finally {
      await done();
    }
  },
});
