/**
 * patchops run by an ordinary user (no CAP_DAC_OVERRIDE), through the
 * bundled single file: a package that holds a read-only (0555) directory
 * must not wedge clean-up, and a failure keeps its own error.
 *
 * Mutation caught: `removeIfExists` without the make-writable retry left
 * `txn/<id>/staging/ro` behind and the next apply failed with "Permission
 * denied" during recovery.
 */

import assert from "node:assert/strict";
import { makePatch, ROOT, tempDir, writeTree } from "../_helpers.ts";

const NOBODY = 65534;
const isRoot = Deno.build.os === "linux" && Deno.uid() === 0;

async function runAsNobody(bundle: string, home: string, args: string[]) {
  const out = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      "env",
      `DENO_DIR=${home}/deno`,
      `HOME=${home}`,
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      "--no-config",
      bundle,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "as an ordinary user, a failed apply of a package with a 0555 directory cleans up and keeps its own error",
  ignore: !isRoot,
  fn: async () => {
    const [base, done] = await tempDir();
    try {
      await Deno.chmod(base, 0o755);
      const bundle = `${base}/patchops.js`;
      const built = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--quiet", `${ROOT}/main.ts`, "-o", bundle],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
      const home = `${base}/home`;
      const app = `${base}/app`;
      await Deno.mkdir(home);
      await writeTree(app, { "a.txt": "v1" });
      for (const p of [home, app, `${app}/a.txt`]) await Deno.chown(p, NOBODY, NOBODY);
      const srv = `${base}/srv`;
      await Deno.mkdir(srv);
      const members = (v: string) => [
        { path: "ro", type: "directory" as const, mode: 0o555 },
        { path: "ro/x.txt", data: `x ${v}` },
        { path: "a.txt", data: v },
      ];
      const broken = await makePatch(srv, members("v2"), {
        replace: { directories: ["ro"], files: ["a.txt", "missing.txt"] },
      }, { name: "broken", extra: { version: "2.0" } });
      const r1 = await runAsNobody(bundle, home, ["apply", broken, "--dir", app, "--allow-unsigned"]);
      assert.equal(r1.code, 1, r1.stderr);
      assert.match(r1.stderr, /error: .*"missing\.txt", which the package lacks/);
      assert.doesNotMatch(r1.stderr, /Permission denied|clean-up failed/);
      // The working area this run created is gone again, staging and all.
      await assert.rejects(Deno.lstat(`${app}/.patchops`), Deno.errors.NotFound);

      // Three good patches: the last prunes a kept backup that holds the 0555 directory.
      for (const v of ["2.0", "3.0", "4.0"]) {
        const m = await makePatch(srv, members(v), { replace: { directories: ["ro"], files: ["a.txt"] } }, {
          name: `p${v}`,
          extra: { version: v },
        });
        const r = await runAsNobody(bundle, home, ["apply", m, "--dir", app, "--allow-unsigned"]);
        assert.equal(r.code, 0, `${v}: ${r.stderr}`);
        assert.equal(await Deno.readTextFile(`${app}/ro/x.txt`), `x ${v}`);
      }
      assert.equal((await Deno.stat(`${app}/ro`)).mode! & 0o777, 0o555);
      const backups = [...Deno.readDirSync(`${app}/.patchops/backups`)];
      assert.equal(backups.length, 1, "older backups pruned");
      const rb = await runAsNobody(bundle, home, ["rollback", "--dir", app]);
      assert.equal(rb.code, 0, rb.stderr);
      assert.equal(await Deno.readTextFile(`${app}/ro/x.txt`), "x 3.0");
    } finally {
      await new Deno.Command("chmod", { args: ["-R", "u+w", base] }).output();
      await done();
    }
  },
});
