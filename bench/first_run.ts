/**
 * The first run from a checkout: what `apply` (a signed files-only patch)
 * and `sql diff` fetch into an empty DENO_DIR. Run by
 * `PATCHOPS_BENCH_ONLY=first-run deno task bench` (it reaches the npm
 * registry, as Deno itself does on a fresh host).
 *
 * @module
 */

import { createPatch } from "../src/create/mod.ts";
import { formatPublicKey } from "../src/verify/minisign.ts";
import { generateSecretKey, publicKeyOf } from "../src/verify/secret_key.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

function sizeOf(path: string): number {
  let total = 0;
  for (const e of Deno.readDirSync(path)) {
    const p = `${path}/${e.name}`;
    const st = Deno.lstatSync(p);
    total += st.isDirectory ? sizeOf(p) : st.size;
  }
  return total;
}

/** npm packages unpacked in a DENO_DIR (a scope counts its packages). */
function npmPackages(denoDir: string): number {
  const registry = `${denoDir}/npm/registry.npmjs.org`;
  let n = 0;
  try {
    for (const e of Deno.readDirSync(registry)) {
      n += e.name.startsWith("@") ? [...Deno.readDirSync(`${registry}/${e.name}`)].length : 1;
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return n;
}

async function fresh(args: string[]): Promise<{ packages: number; bytes: number }> {
  const denoDir = await Deno.makeTempDir({ prefix: "patchops-first-run-" });
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-A", `${ROOT}/main.ts`, ...args],
      env: { DENO_DIR: denoDir },
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(`${args[0]} failed: ${new TextDecoder().decode(r.stderr)}`);
    return { packages: npmPackages(denoDir), bytes: sizeOf(denoDir) };
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
}

/** Prints the table the README's "first run" section shows. */
export async function firstRunBench(work: string): Promise<string> {
  const sk = generateSecretKey();
  await Deno.writeTextFile(`${work}/first.pub`, formatPublicKey(publicKeyOf(sk)));
  for (const [dir, text] of [["v1", "one"], ["v2", "two"], ["app", "one"]]) {
    await Deno.mkdir(`${work}/${dir}`, { recursive: true });
    await Deno.writeTextFile(`${work}/${dir}/a.txt`, text!);
  }
  await createPatch(`${work}/v1`, `${work}/v2`, `${work}/first-out`, { secretKey: sk, version: "2" });
  await Deno.writeTextFile(`${work}/a.sql`, "CREATE TABLE t (id INT);\n");
  await Deno.writeTextFile(`${work}/b.sql`, "CREATE TABLE t (id INT, name TEXT);\n");
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const apply = await fresh([
    "apply",
    `${work}/first-out/manifest.json`,
    "--dir",
    `${work}/app`,
    "--public-key",
    `${work}/first.pub`,
  ]);
  const diff = await fresh(["sql", "diff", `${work}/a.sql`, `${work}/b.sql`]);
  return [
    "| command from a checkout, empty DENO_DIR | npm packages fetched | DENO_DIR afterwards |",
    "| --- | --- | --- |",
    `| apply of a signed files-only patch | ${apply.packages} | ${mb(apply.bytes)} |`,
    `| sql diff a.sql b.sql | ${diff.packages} | ${mb(diff.bytes)} |`,
  ].join("\n");
}
