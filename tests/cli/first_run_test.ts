/**
 * A files-only `apply` on a fresh host fetches no npm package: the SQL
 * parser and drivers, and the curve library, load late (src/late.ts).
 */

import assert from "node:assert/strict";
import { exec, makePatch, minisignKeygen, ROOT, tempDir, writeTree } from "../_helpers.ts";

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string } }[];
}

/**
 * The npm packages Deno loads before `main.ts` runs: the code imports of
 * its graph, literal `import()`s included (Deno fetches those ahead),
 * type-only imports left out.
 */
async function npmReachable(entry: string): Promise<string[]> {
  const r = await exec(Deno.execPath(), ["info", "--json", entry], { cwd: ROOT });
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as {
    roots: string[];
    modules: InfoModule[];
    redirects?: Record<string, string>;
  };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>(info.roots);
  const queue = [...info.roots];
  const npm = new Set<string>();
  while (queue.length > 0) {
    const m = modules.get(queue.shift()!);
    for (const dep of m?.dependencies ?? []) {
      const target = dep.code?.specifier;
      if (target === undefined) continue;
      const resolved = info.redirects?.[target] ?? target;
      if (resolved.startsWith("npm:")) npm.add(`${resolved} (from ${m!.specifier.replace(`file://${ROOT}/`, "")})`);
      else if (!seen.has(resolved)) {
        seen.add(resolved);
        queue.push(resolved);
      }
    }
  }
  return [...npm].sort();
}

Deno.test("the CLI's module graph holds no npm package until a command that needs one runs", async () => {
  assert.deepEqual(await npmReachable("main.ts"), []);
  // The standalone entry links the late modules, so compile and bundle carry them.
  const linked = await npmReachable("standalone.ts");
  for (const pkg of ["node-sql-parser", "mysql2", "pg", "@noble/curves"]) {
    assert.ok(linked.some((l) => l.startsWith(`npm:/${pkg}@`)), `${pkg} missing from ${linked.join(", ")}`);
  }
});

Deno.test("a signed files-only apply with an empty DENO_DIR downloads no npm package", async () => {
  const [dir, done] = await tempDir();
  try {
    const { pub, sec } = await minisignKeygen(dir);
    const manifest = await makePatch(dir, [{ path: "a.txt", data: "two" }], { replace: { files: ["a.txt"] } }, {
      sec,
    });
    await writeTree(`${dir}/app`, { "a.txt": "one" });
    await Deno.mkdir(`${dir}/deno_dir`);
    const r = await exec(Deno.execPath(), [
      "run",
      "-A",
      `${ROOT}/main.ts`,
      "apply",
      manifest,
      "--dir",
      `${dir}/app`,
      "--public-key",
      pub,
    ], { cwd: ROOT, env: { DENO_DIR: `${dir}/deno_dir`, NO_COLOR: "1" } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/app/a.txt`), "two");
    assert.doesNotMatch(r.stderr, /Download .*registry/);
    const entries = await Array.fromAsync(Deno.readDir(`${dir}/deno_dir`)).then((es) => es.map((e) => e.name));
    if (entries.includes("npm")) assert.deepEqual(await Array.fromAsync(Deno.readDir(`${dir}/deno_dir/npm`)), []);
  } finally {
    await done();
  }
});
