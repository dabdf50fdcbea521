/**
 * The `delta` shape of `deno task bench` (`PATCHOPS_BENCH_ONLY=delta`):
 * version pairs no one here wrote, fetched with `npm pack` (kept in
 * `.bench-cache/`), made into a full-file package and a `create --delta`
 * package, and set beside what `zstd --patch-from --long=27 -19`, `bsdiff`
 * and `xdelta3 -9` make of the same changed files (their deltas summed,
 * without any package around them). Then both packages are applied over
 * 127.0.0.1 to fresh copies of the old tree: seconds and peak RSS.
 *
 * Needs npm, zstd, bsdiff and xdelta3 (Debian: apt-get install npm zstd bsdiff xdelta3).
 * `PATCHOPS_BENCH_PAIRS=typescript,node-sql-parser` runs only the pairs named.
 */

import { createPatch } from "../src/create/mod.ts";
import { formatBytes } from "../src/format.ts";
import type { SecretKey } from "../src/verify/secret_key.ts";

/** The version pairs: [label, old spec, new spec]. */
export const PAIRS: [string, string, string][] = [
  ["deno binary", "@deno/linux-x64-glibc@2.9.5", "@deno/linux-x64-glibc@2.9.6"],
  ["typescript", "typescript@6.0.2", "typescript@6.0.3"],
  ["node-sql-parser", "node-sql-parser@5.3.13", "node-sql-parser@5.4.0"],
];

type Sh = (cmd: string) => Promise<{ code: number; out: string; err: string }>;
type Timed = (cmd: string) => Promise<{ secs: number; rssKiB: number }>;

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** `npm pack`s `spec` into the cache once; returns the tarball's path. */
async function packed(sh: Sh, cache: string, spec: string): Promise<string> {
  const name = spec.replace(/^@/, "").replace(/[/@]/g, "-") + ".tgz";
  try {
    await Deno.stat(`${cache}/${name}`);
    return `${cache}/${name}`;
  } catch {
    // Not cached yet.
  }
  const r = await sh(`cd ${q(cache)} && npm pack --silent ${q(spec)}`);
  if (r.code !== 0) throw new Error(`npm pack ${spec} failed: ${r.err}`);
  const made = r.out.trim().split("\n").at(-1)!;
  if (made !== name) await Deno.rename(`${cache}/${made}`, `${cache}/${name}`);
  return `${cache}/${name}`;
}

async function files(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(rel ? `${root}/${rel}` : root)) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await files(root, p));
    else if (e.isFile) out.push(p);
  }
  return out;
}

async function same(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([Deno.readFile(a), Deno.readFile(b)]);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Sums each tool's delta sizes over the files that changed between `old` and `neu`. */
async function toolSizes(sh: Sh, old: string, neu: string, tmp: string): Promise<Record<string, number>> {
  const sums: Record<string, number> = { zstd: 0, bsdiff: 0, xdelta3: 0 };
  for (const p of await files(neu)) {
    const o = `${old}/${p}`, n = `${neu}/${p}`;
    try {
      await Deno.stat(o);
    } catch {
      continue;
    }
    if (await same(o, n)) continue;
    const cmds: Record<string, string> = {
      zstd: `zstd -q -f --patch-from=${q(o)} --long=27 -19 ${q(n)} -o ${tmp}/d.zst`,
      bsdiff: `bsdiff ${q(o)} ${q(n)} ${tmp}/d.bsdiff`,
      xdelta3: `xdelta3 -9 -f -e -s ${q(o)} ${q(n)} ${tmp}/d.xdelta3`,
    };
    const outs: Record<string, string> = { zstd: "d.zst", bsdiff: "d.bsdiff", xdelta3: "d.xdelta3" };
    for (const [tool, cmd] of Object.entries(cmds)) {
      const r = await sh(cmd);
      if (r.code !== 0) throw new Error(`${cmd}: ${r.err}`);
      sums[tool]! += (await Deno.stat(`${tmp}/${outs[tool]}`)).size;
    }
  }
  return sums;
}

/** Runs the delta shape; returns the lines of its table. */
export async function deltaBench(
  work: string,
  url: string,
  sk: SecretKey,
  tools: { sh: Sh; timed: Timed; deno: string; root: string; runs: number },
): Promise<string[]> {
  const { sh, timed, deno, root, runs } = tools;
  for (const t of ["npm", "zstd", "bsdiff", "xdelta3"]) {
    if ((await sh(`command -v ${t}`)).code !== 0) {
      throw new Error(`the delta bench needs ${t} (on Debian: apt-get install npm zstd bsdiff xdelta3)`);
    }
  }
  const cache = `${root}/.bench-cache`;
  await Deno.mkdir(cache, { recursive: true });
  const rows: string[] = [];
  const only = Deno.env.get("PATCHOPS_BENCH_PAIRS")?.split(",");
  for (const [label, a, b] of PAIRS.filter(([l]) => !only || only.includes(l))) {
    const dir = `${work}/delta-${label.replaceAll(" ", "-")}`;
    await Deno.mkdir(`${dir}/old`, { recursive: true });
    await Deno.mkdir(`${dir}/new`);
    for (const [spec, into] of [[a, "old"], [b, "new"]]) {
      const tgz = await packed(sh, cache, spec!);
      const r = await sh(`tar -xzf ${q(tgz)} -C ${dir}/${into}`);
      if (r.code !== 0) throw new Error(r.err);
    }
    console.error(`  ${label}: creating packages...`);
    const old = `${dir}/old/package`, neu = `${dir}/new/package`;
    const full = (await createPatch(old, neu, `${dir}/full`, { secretKey: sk, version: "2" })).bytes;
    const t0 = performance.now();
    const made = await createPatch(old, neu, `${dir}/delta`, { secretKey: sk, version: "2", delta: {} });
    const createSecs = (performance.now() - t0) / 1000;
    const delta = made.bytes;
    // The deltas alone, as the package compresses them (together, zstd -19), without tar or signed header.
    const x = `${dir}/delta-x`;
    await Deno.mkdir(x);
    const ex = await sh(`tar --zstd -xf ${q(made.packagePath)} -C ${x}`);
    if (ex.code !== 0) throw new Error(ex.err);
    const header = JSON.parse(await Deno.readTextFile(`${x}/.patchops/operations.json`));
    const members = Object.keys(header.deltas ?? {}).map((p) => q(`${x}/${p}`)).join(" ");
    const alone = Number((await sh(`cat ${members} | zstd -19 -q -c | wc -c`)).out.trim());
    console.error(`  ${label}: running zstd, bsdiff, xdelta3...`);
    const sizes = await toolSizes(sh, old, neu, dir);
    const best = Math.min(sizes.zstd!, sizes.bsdiff!, sizes.xdelta3!);
    const applied: Record<string, { secs: number[]; rss: number[] }> = {
      full: { secs: [], rss: [] },
      delta: { secs: [], rss: [] },
    };
    for (let i = 0; i < runs; i++) {
      for (const kind of i % 2 ? ["delta", "full"] : ["full", "delta"]) {
        const into = `${dir}/install-${kind}-${i}`;
        const cp = await sh(`cp -a ${old} ${into} && sync`);
        if (cp.code !== 0) throw new Error(cp.err);
        const rel = dir.slice(work.length + 1);
        const t = await timed(
          `${deno} apply ${url}/${rel}/${kind}/manifest.json --dir ${into} --public-key ${work}/key.pub`,
        );
        applied[kind]!.secs.push(t.secs);
        applied[kind]!.rss.push(t.rssKiB);
        const check = await sh(`diff -r --exclude=.patchops ${into} ${neu}`);
        if (check.code !== 0) throw new Error(`${label} ${kind}: the applied tree differs from the new one`);
        await Deno.remove(into, { recursive: true });
      }
    }
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const mib = (k: number[]) => `${(Math.max(...k) / 1024).toFixed(0)} MiB`;
    rows.push(
      `| ${label} | ${made.deltas} | ${formatBytes(full)} | **${formatBytes(delta)}** | ${formatBytes(alone)} | ${
        formatBytes(sizes.zstd!)
      } | ${formatBytes(sizes.bsdiff!)} | ${formatBytes(sizes.xdelta3!)} | ${(delta / best).toFixed(2)} | ${
        (alone / best).toFixed(2)
      } | ${createSecs.toFixed(1)} | ${med(applied.full!.secs).toFixed(2)} / ${mib(applied.full!.rss)} | ${
        med(applied.delta!.secs).toFixed(2)
      } / ${mib(applied.delta!.rss)} |`,
    );
    console.error(`  ${rows.at(-1)}`);
  }
  return [
    `Delta packages (\`create --delta\`) on npm version pairs; tool columns are the tools' deltas of the changed files, summed, with no package around them; "deltas alone" is the package's delta members compressed as the package compresses them (together, zstd -19), without tar headers or signed header; "ratio" is the delta package (and the deltas alone) over the smallest of the three tools; apply is the median of ${runs} runs over 127.0.0.1 onto a copy of the old tree, seconds / peak RSS.`,
    "",
    "| pair | files as deltas | full package | delta package | deltas alone | zstd --patch-from --long=27 -19 | bsdiff | xdelta3 -9 | ratio | ratio, deltas alone | create --delta s | apply full | apply delta |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ];
}
