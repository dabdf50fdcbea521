/**
 * The library from a project outside the repository, as the README shows
 * it: linked by deno.json `links`, imported by its package name, type-checked
 * and run.
 */

import assert from "node:assert/strict";
import { exec, makePatch, ROOT, tempDir, writeTree } from "../_helpers.ts";

const SCRIPT = `
import {
  applyPatch,
  type ApplyResult,
  loadManifest,
  PatchopsError,
  type ProgressEvent,
  readInstallState,
  rollbackLast,
} from "@patchops/patchops";

const [manifestPath, dir] = Deno.args as [string, string];
const phases = new Set<ProgressEvent["phase"]>();
const manifest = await loadManifest(manifestPath);
const result: ApplyResult = await applyPatch(manifest, dir, {
  allowUnsigned: true,
  onProgress: (e) => phases.add(e.phase),
});
const state = await readInstallState(dir);
try {
  await applyPatch(manifest, dir, { allowUnsigned: true, dryRun: true, force: false });
} catch (err) {
  if (!(err instanceof PatchopsError)) throw err;
}
const back = await rollbackLast(dir);
console.log(JSON.stringify({ version: result.version, recorded: state.version, phases: [...phases], back: back.version ?? null }));
`;

Deno.test("an outside project links the package, imports mod.ts by name, type-checks and applies a patch", async () => {
  const [dir, done] = await tempDir();
  try {
    await writeTree(`${dir}/app`, { "a.txt": "v1" });
    const m = await makePatch(dir, [{ path: "a.txt", data: "v2" }], { replace: { files: ["a.txt"] } }, {
      extra: { version: "2.0" },
    });
    await Deno.mkdir(`${dir}/consumer`);
    await Deno.writeTextFile(
      `${dir}/consumer/deno.json`,
      JSON.stringify({ links: [ROOT], imports: { "@patchops/patchops": "jsr:@patchops/patchops@^0.1.0" } }),
    );
    await Deno.writeTextFile(`${dir}/consumer/main.ts`, SCRIPT);
    const opts = { cwd: `${dir}/consumer` };
    const checked = await exec(Deno.execPath(), ["check", "main.ts"], opts);
    assert.equal(checked.code, 0, checked.stderr);
    const ran = await exec(Deno.execPath(), ["run", "--quiet", "-A", "main.ts", m, `${dir}/app`], opts);
    assert.equal(ran.code, 0, ran.stderr);
    const out = JSON.parse(ran.stdout);
    assert.equal(out.version, "2.0");
    assert.equal(out.recorded, "2.0");
    assert.ok(out.phases.includes("commit"), ran.stdout);
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "v1");
    // The README's example type-checks as it is printed.
    const readme = await Deno.readTextFile(`${ROOT}/README.md`);
    const example = readme.slice(readme.indexOf("## Library")).match(/```ts\n([\s\S]*?)```/)![1]!;
    await Deno.writeTextFile(`${dir}/consumer/readme.ts`, example);
    const readmeChecked = await exec(Deno.execPath(), ["check", "readme.ts"], opts);
    assert.equal(readmeChecked.code, 0, readmeChecked.stderr);
    // A wrong type is caught: the declarations are really checked.
    await Deno.writeTextFile(`${dir}/consumer/bad.ts`, `${SCRIPT}\nconst n: number = result.version;\n`);
    const bad = await exec(Deno.execPath(), ["check", "bad.ts"], opts);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /TS2322/);
  } finally {
    await done();
  }
});
