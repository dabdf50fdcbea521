/**
 * A patch of a few thousand small files plus large files and a directory
 * replacement, with its old and new trees, for the crash tests.
 */

import { buildTar, concat, exec, gzip, type Member, sha256, snapshot, writeTree } from "../_helpers.ts";

export interface CrashFixture {
  /** Pristine old tree, copied for each trial. */
  oldTemplate: string;
  oldSnap: Record<string, string>;
  newSnap: Record<string, string>;
  manifest: string;
  /** Number of commit steps the patch takes. */
  steps: number;
}

function big(seed: number, mib: number): Uint8Array {
  // Half random, half compressible: realistic and quick to generate.
  const out = new Uint8Array(mib << 20);
  for (let i = 0; i < out.length; i += 65_536) {
    if ((i >> 16) % 2 === 0) {
      out.set(crypto.getRandomValues(new Uint8Array(65_536)), i);
    } else out.fill(seed & 0xff, i, i + 65_536);
  }
  return out;
}

/** Builds the fixture under `base`. */
export async function buildCrashFixture(
  base: string,
  files = 3000,
): Promise<CrashFixture> {
  const oldSpec: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    oldSpec[`d${i % 40}/f${i}.txt`] = `old ${i}\n`;
  }
  for (let i = 0; i < 200; i++) oldSpec[`plugins/p${i}.js`] = `old plugin ${i}`;
  await writeTree(`${base}/old`, oldSpec);
  const oldBig = big(1, 4);
  await Deno.writeFile(`${base}/old/big1.bin`, oldBig);

  const members: Member[] = [];
  const replaceFiles: string[] = [];
  const deleteFiles: string[] = [];
  const newSpec: Record<string, string> = { ...oldSpec };
  for (let i = 0; i < files; i++) {
    const p = `d${i % 40}/f${i}.txt`;
    if (i % 10 === 0) {
      deleteFiles.push(p);
      delete newSpec[p];
    } else if (i % 3 !== 0) {
      members.push({ path: p, data: `new ${i}\n` });
      replaceFiles.push(p);
      newSpec[p] = `new ${i}\n`;
    }
  }
  for (let i = 0; i < files / 6; i++) {
    const p = `added/a${i % 17}/n${i}.txt`;
    members.push({ path: p, data: `added ${i}` });
    replaceFiles.push(p);
    newSpec[p] = `added ${i}`;
  }
  for (const k of Object.keys(newSpec)) {
    if (k.startsWith("plugins/")) delete newSpec[k];
  }
  members.push({ path: "plugins/", type: "directory" });
  for (let i = 0; i < 150; i++) {
    members.push({ path: `plugins/q${i}.js`, data: `new plugin ${i}` });
    newSpec[`plugins/q${i}.js`] = `new plugin ${i}`;
  }
  const newBig1 = big(2, 4);
  const newBig2 = big(3, 4);
  members.push({ path: "big1.bin", data: newBig1 }, {
    path: "big2.bin",
    data: newBig2,
  });
  replaceFiles.push("big1.bin", "big2.bin");

  await writeTree(`${base}/new`, newSpec);
  // Deletes leave their directories behind, even when emptied.
  for (let d = 0; d < 40; d++) {
    await Deno.mkdir(`${base}/new/d${d}`, { recursive: true });
  }
  await Deno.writeFile(`${base}/new/big1.bin`, newBig1);
  await Deno.writeFile(`${base}/new/big2.bin`, newBig2);

  const gz = await gzip(buildTar(members));
  await Deno.writeFile(`${base}/patch.tar.gz`, gz);
  const manifest = `${base}/patch.json`;
  await Deno.writeTextFile(
    manifest,
    JSON.stringify({
      url: "patch.tar.gz",
      hash: `sha256:${sha256(gz)}`,
      version: "2.0",
      operations: {
        replace: { files: replaceFiles, directories: ["plugins"] },
        delete: { files: deleteFiles },
      },
    }),
  );
  return {
    oldTemplate: `${base}/old`,
    oldSnap: await snapshot(`${base}/old`),
    newSnap: await snapshot(`${base}/new`),
    manifest,
    steps: replaceFiles.length + deleteFiles.length + 1,
  };
}

/** Copies the pristine old tree to `dir` (replacing it). */
export async function freshCopy(fx: CrashFixture, dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const r = await exec("cp", ["-a", fx.oldTemplate, dir]);
  if (r.code !== 0) throw new Error(r.stderr);
}

export { concat };
