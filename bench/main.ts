/**
 * `deno task bench`: patchops apply against the tools it replaces, in one
 * run on one machine.
 *
 * Two patches are built (large: four 64 MiB files, half incompressible;
 * small: 10,000+ real files copied from /usr/share), served over HTTP on
 * 127.0.0.1, and each is installed on a fresh empty tree by:
 *   (a) `tar -xzf` of the local archive;
 *   (b) a careful script: curl, `sha256sum -c`, `minisign -V`, `tar -xzf`;
 *   (c) `patchops apply` (which also fsyncs everything and keeps a backup).
 * After one untimed warm-up round, medians over several runs (the order of
 * the three turning from run to run), the ratios c/a and c/b, and the peak
 * RSS of (c) are printed; `--huge` adds a 1 GiB patch to show RSS does not grow
 * with the patch; `--many` adds the memory figure: peak RSS of (c) alone
 * installing 200,000 small files in 400 directories (issue 12: at most
 * 100 MiB), median of PATCHOPS_BENCH_MANY_RUNS runs (default 3). `--write` stores the table in bench/RESULTS.md. `--keep`
 * leaves the work directory (packages, trees, key) for measuring by hand.
 *
 * Needs curl, sha256sum, minisign, tar and GNU time (/usr/bin/time).
 */

import { createPatch } from "../src/create/mod.ts";
import { formatPublicKey } from "../src/verify/minisign.ts";
import { generateSecretKey, publicKeyOf } from "../src/verify/secret_key.ts";
import { formatBytes } from "../src/format.ts";
import { deltaBench } from "./delta.ts";
import { firstRunBench } from "./first_run.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const RUNS = Number(Deno.env.get("PATCHOPS_BENCH_RUNS") ?? "5");
/**
 * Apply runs per kind in the delta shape: the full and delta applies of a pair differ by tenths of a second, so
 * fewer runs let one slow run decide (PATCHOPS_BENCH_DELTA_RUNS).
 */
const DELTA_RUNS = Number(Deno.env.get("PATCHOPS_BENCH_DELTA_RUNS") ?? 7);
/** (c) runs with the permission and V8 flags that `deno task compile` bakes into the binary. */
const COMPILE_FLAGS = (JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks.compile as string)
  .split(/\s+/).filter((f) => /^--(allow-|no-prompt|v8-flags)/.test(f));
const args = new Set(Deno.args);

async function sh(cmd: string): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command("bash", { args: ["-c", cmd], stdout: "piped", stderr: "piped" }).output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
}

async function need(tool: string, probe: string): Promise<void> {
  if ((await sh(probe)).code !== 0) {
    console.error(`bench needs ${tool} (on Debian: apt-get install curl minisign tar time coreutils)`);
    Deno.exit(2);
  }
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}

function textBytes(n: number, seed: number): Uint8Array {
  const line = new TextEncoder().encode(`log line ${seed}: the quick brown fox jumps over the lazy dog 0123456789\n`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += line.length) out.set(line.subarray(0, Math.min(line.length, n - i)), i);
  return out;
}

async function buildLarge(dir: string, files: number): Promise<void> {
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  for (let i = 0; i < files; i++) {
    const mib = 64 << 20;
    await Deno.writeFile(`${dir}/data/blob${i}.bin`, i % 2 === 0 ? randomBytes(mib) : textBytes(mib, i));
  }
}

async function buildSmall(dir: string, count: number): Promise<number> {
  await Deno.mkdir(`${dir}/data`, { recursive: true });
  const list = await sh(`find /usr/share -type f -size -256k -readable 2>/dev/null | head -n ${count}`);
  const files = list.out.split("\n").filter(Boolean);
  let n = 0;
  for (const f of files) {
    const rel = f.replace(/^\/usr\/share\//, "").replace(/[^\w./+-]/g, "_");
    const target = `${dir}/data/${rel}`;
    try {
      await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      await Deno.copyFile(f, target);
      n++;
    } catch {
      // Name clashes after sanitising, unreadable files: skip.
    }
  }
  return n;
}

/** 200,000 small files in 400 directories, for the memory figure. */
async function buildMany(dir: string): Promise<void> {
  for (let d = 0; d < 400; d++) {
    const sub = `${dir}/data/d${String(d).padStart(3, "0")}`;
    await Deno.mkdir(sub, { recursive: true });
    for (let f = 0; f < 500; f++) {
      Deno.writeTextFileSync(`${sub}/f${String(f).padStart(3, "0")}.txt`, `file ${d} ${f}\n`);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Result {
  name: string;
  a: number;
  b: number;
  c: number;
  rssKiB: number;
  bytes: number;
  files: string;
  /** Every run's a/b/c seconds. */
  runs: string;
}

async function timed(cmd: string): Promise<{ secs: number; rssKiB: number }> {
  const r = await sh(`/usr/bin/time -f '%e %M' bash -c ${JSON.stringify(cmd)} 2>&1 >/dev/null | tail -n 1`);
  const [secs, rss] = r.out.trim().split(/\s+/).map(Number);
  if (r.code !== 0 || secs === undefined || Number.isNaN(secs)) throw new Error(`failed: ${cmd}\n${r.out}${r.err}`);
  return { secs, rssKiB: rss ?? 0 };
}

async function bench(name: string, work: string, url: string, runs: number): Promise<Result> {
  const out = `${work}/out-${name}`;
  const pkg = `${out}/patch.tar.gz`;
  const sha = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`)).hash.slice(7);
  const deno = `${Deno.execPath()} run --quiet ${COMPILE_FLAGS.join(" ")} ${ROOT}/main.ts`;
  const cmds = {
    a: (dir: string) => `tar -xzf ${pkg} -C ${dir}`,
    b: (dir: string) =>
      `cd ${dir}.dl && curl -sSf -o p.tar.gz ${url}/out-${name}/patch.tar.gz && ` +
      `echo "${sha}  p.tar.gz" | sha256sum -c --quiet && ` +
      `minisign -Vq -p ${work}/key.pub -m p.tar.gz -x ${pkg}.minisig && tar -xzf p.tar.gz -C ${dir}`,
    c: (dir: string) => `${deno} apply ${url}/out-${name}/manifest.json --dir ${dir} --public-key ${work}/key.pub`,
  };
  const times: Record<"a" | "b" | "c", number[]> = { a: [], b: [], c: [] };
  const rss: number[] = [];
  // Every run gets a new directory, and nothing is removed until the bench is over: for
  // a minute or more after thousands of files are deleted, ext4 skips their inodes as
  // "recently deleted" one by one on every file it creates (perf: find_inode_bit), which
  // made whichever contestant came next several times slower.
  const trees = `${work}/installs-${name}`;
  await Deno.mkdir(trees);
  // The order turns from run to run, so that a slow spell of the disk (right after the
  // large patch, all three ran twice as slow for a while) does not always hit the same one.
  const order = ["a", "b", "c"] as const;
  // One untimed round first (as hyperfine's --warmup): the trees just built are still
  // being written back, and the first runs after building were up to three times slower.
  for (const k of order) {
    const dir = `${trees}/warmup-${k}`;
    await Deno.mkdir(dir);
    await Deno.mkdir(`${dir}.dl`);
    await sh("sync");
    await timed(cmds[k](dir));
  }
  for (let i = 0; i < runs; i++) {
    for (const k of [...order.slice(i % 3), ...order.slice(0, i % 3)]) {
      const dir = `${trees}/${k}${i}`;
      await Deno.mkdir(dir);
      await Deno.mkdir(`${dir}.dl`);
      await sh("sync");
      const t = await timed(cmds[k](dir));
      times[k].push(t.secs);
      if (k === "c") rss.push(t.rssKiB);
    }
    console.error(`  ${name} run ${i + 1}: a ${times.a[i]} s, b ${times.b[i]} s, c ${times.c[i]} s`);
  }
  const m = JSON.parse(await Deno.readTextFile(`${out}/manifest.json`));
  const stat = await Deno.stat(pkg);
  return {
    name,
    a: median(times.a),
    b: median(times.b),
    c: median(times.c),
    rssKiB: Math.max(...rss),
    bytes: stat.size,
    files: `${m.operations.replace.directories.length} dir`,
    runs: times.a.map((a, i) => `${a}/${times.b[i]}/${times.c[i]}`).join(", "),
  };
}

/** Peak RSS of (c) alone on the `many` patch, median of a few runs, each into a fresh directory. */
async function memoryFigure(work: string, url: string): Promise<string> {
  const runs = Number(Deno.env.get("PATCHOPS_BENCH_MANY_RUNS") ?? "3");
  const deno = `${Deno.execPath()} run --quiet ${COMPILE_FLAGS.join(" ")} ${ROOT}/main.ts`;
  const pkg = await Deno.stat(`${work}/out-many/patch.tar.gz`);
  const rss: number[] = [];
  const secs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = `${work}/installs-many-${i}`;
    await Deno.mkdir(dir);
    await sh("sync");
    const t = await timed(`${deno} apply ${url}/out-many/manifest.json --dir ${dir} --public-key ${work}/key.pub`);
    rss.push(t.rssKiB);
    secs.push(t.secs);
    console.error(`  many run ${i + 1}: ${t.secs} s, peak RSS ${(t.rssKiB / 1024).toFixed(0)} MiB`);
  }
  return `Memory: (c) installing 200,000 files in 400 directories (${formatBytes(pkg.size)} package): peak RSS ${
    (median(rss) / 1024).toFixed(0)
  } MiB (median of ${runs}; runs ${rss.map((k) => (k / 1024).toFixed(0)).join(", ")} MiB), ${
    median(secs).toFixed(1)
  } s.`;
}

await need("curl", "command -v curl");
await need("minisign", "command -v minisign");
await need("GNU time", "test -x /usr/bin/time");
await need("sha256sum", "command -v sha256sum");

const work = await Deno.makeTempDir({ prefix: "patchops-bench-" });
let stopServer = () => {};
try {
  const sk = generateSecretKey();
  await Deno.writeTextFile(`${work}/key.pub`, formatPublicKey(publicKeyOf(sk)));
  const empty = `${work}/empty`;
  await Deno.mkdir(empty);
  const shapes: [string, (dir: string) => Promise<unknown>][] = [
    ["large", (d) => buildLarge(d, 4)],
    ["small", (d) => buildSmall(d, 12_000)],
  ];
  if (args.has("--huge")) shapes.push(["huge", (d) => buildLarge(d, 16)]);
  if (args.has("--many")) shapes.push(["many", buildMany]);
  // Only on request (they fetch from npm): PATCHOPS_BENCH_ONLY=delta, PATCHOPS_BENCH_ONLY=first-run.
  shapes.push(["delta", () => Promise.resolve()], ["first-run", () => Promise.resolve()]);
  const only = Deno.env.get("PATCHOPS_BENCH_ONLY");
  shapes.splice(
    0,
    shapes.length,
    ...shapes.filter(([n]) => only ? only.split(",").includes(n) : n !== "delta" && n !== "first-run"),
  );
  if (shapes.some(([n]) => n === "first-run")) console.log(`\n${await firstRunBench(work)}\n`);
  for (const [name, build] of shapes) {
    if (name === "delta" || name === "first-run") continue;
    console.error(`building the ${name} patch...`);
    await build(`${work}/tree-${name}`);
    await createPatch(empty, `${work}/tree-${name}`, `${work}/out-${name}`, { secretKey: sk, version: "1" });
  }
  // The server runs in a process of its own, as a real one would: in this process it
  // shared a heap with the trees just built.
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `--allow-read=${work}`, "--allow-net=127.0.0.1", `${ROOT}/bench/serve.ts`, work],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  stopServer = () => {
    try {
      server.kill();
    } catch {
      // Already gone.
    }
  };
  const port = (await new Response(server.stdout).body!.getReader().read()).value;
  const url = `http://127.0.0.1:${new TextDecoder().decode(port).trim()}`;
  const results: Result[] = [];
  const memory: string[] = [];
  for (const [name] of shapes) {
    if (name === "first-run") continue;
    if (name === "delta") {
      console.error("measuring delta...");
      const deno = `${Deno.execPath()} run --quiet ${COMPILE_FLAGS.join(" ")} ${ROOT}/main.ts`;
      memory.push(...await deltaBench(work, url, sk, { sh, timed, deno, root: ROOT, runs: DELTA_RUNS }));
      continue;
    }
    if (name === "many") {
      memory.push(await memoryFigure(work, url));
      continue;
    }
    console.error(`measuring ${name} (${name === "huge" ? 1 : RUNS} runs)...`);
    results.push(await bench(name, work, url, name === "huge" ? 1 : RUNS));
  }
  const cpu = (await sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")).out.trim();
  const mem = (await sh("free -g | awk '/Mem:/ {print $2}'")).out.trim();
  const fs = (await sh(`df -T ${work} | awk 'NR==2 {print $2}'`)).out.trim();
  const lines = [
    `Machine: ${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} cores (${cpu}), ${mem} GiB RAM, ${fs} file system; Deno ${Deno.version.deno}.`,
    `Medians of ${RUNS} runs (huge: 1 run) after one untimed warm-up round, seconds; each run installs into a fresh empty directory, the order of a, b and c turning from run to run. ` +
    `(c) is \`deno run ${COMPILE_FLAGS.join(" ")} main.ts apply\`, the flags of \`deno task compile\`.`,
    "",
    "| patch | package | (a) tar -xzf | (b) curl+sha256sum+minisign+tar | (c) patchops apply | c/a | c/b | peak RSS (c) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map((r) =>
      `| ${r.name} | ${formatBytes(r.bytes)} | ${r.a.toFixed(2)} | ${r.b.toFixed(2)} | ${r.c.toFixed(2)} | ${
        (r.c / r.a).toFixed(2)
      } | ${(r.c / r.b).toFixed(2)} | ${(r.rssKiB / 1024).toFixed(0)} MiB |`
    ),
  ];
  lines.push("", "Every run, a/b/c seconds, in order:", "", ...results.map((r) => `- ${r.name}: ${r.runs}`));
  if (memory.length > 0) lines.push("", ...memory);
  console.log(lines.join("\n"));
  if (args.has("--write")) {
    await Deno.writeTextFile(
      `${ROOT}/bench/RESULTS.md`,
      `# Benchmark results\n\nProduced by \`deno task bench --huge --many --write\`.\n\n${lines.join("\n")}\n`,
    );
    await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", `${ROOT}/bench/RESULTS.md`] }).output();
  }
} finally {
  stopServer();
  if (args.has("--keep")) console.error(`kept ${work}`);
  else await Deno.remove(work, { recursive: true }).catch(() => {});
}
