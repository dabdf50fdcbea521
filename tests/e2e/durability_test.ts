/**
 * What reaches the disk before the journal: watched with strace, because a
 * missing fsync passes every functional test and shows only after a power
 * cut. Staged data must be durable before the journal names it, either by
 * one syncfs (when `sync` may be run) or by one fdatasync per staged file.
 */

import assert from "node:assert/strict";
import { have } from "../_env.ts";
import { exec, makePatch, type Member, minisignKeygen, ROOT, tempDir, writeTree } from "../_helpers.ts";

const HAVE_STRACE = await have("strace");
const FILES = 150;

async function traceApply(
  permissions: string[],
  files = FILES,
): Promise<{ lines: string[]; app: string; done: () => Promise<void> }> {
  const [base, done] = await tempDir();
  const app = `${base}/app`;
  await writeTree(app, { "lib/old.txt": "old", "keep.txt": "keep" });
  const { pub, sec } = await minisignKeygen(base);
  const members: Member[] = Array.from({ length: files }, (_, i) => ({ path: `lib/f${i}.txt`, data: `file ${i}` }));
  members.push({ path: "big.bin", data: new Uint8Array(3 << 20).fill(7) });
  const manifest = await makePatch(base, members, { replace: { files: ["big.bin"], directories: ["lib"] } }, { sec });
  const log = `${base}/strace.log`;
  const r = await exec("strace", [
    "-f",
    "-qq",
    "-e",
    "trace=syncfs,fsync,fdatasync,rename,renameat,renameat2",
    "-o",
    log,
    Deno.execPath(),
    "run",
    "--quiet",
    ...permissions,
    `${ROOT}/main.ts`,
    "apply",
    manifest,
    "--dir",
    app,
    "--public-key",
    pub,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return { lines: (await Deno.readTextFile(log)).split("\n"), app, done };
}

function indexOf(lines: string[], test: (line: string) => boolean, what: string): number {
  const i = lines.findIndex(test);
  assert.ok(i >= 0, `no ${what} in the trace`);
  return i;
}

const journalWritten = (l: string) => /rename\w*\(.*journal\.json\.tmp", .*journal\.json"/.test(l);
const firstCommitRename = (app: string) => (l: string) => l.includes(`"${app}/lib"`) && /rename/.test(l);

Deno.test({
  name: "with --allow-run=sync, one syncfs makes the staged files durable before the journal names them",
  ignore: !HAVE_STRACE,
  async fn() {
    const { lines, app, done } = await traceApply(["--allow-read", "--allow-write", "--allow-run=sync", "--no-prompt"]);
    try {
      const synced = indexOf(lines, (l) => /syncfs\(\d+\)\s+= 0/.test(l), "successful syncfs");
      const journal = indexOf(lines, journalWritten, "journal write");
      const commit = indexOf(lines, firstCommitRename(app), "rename into the install directory");
      assert.ok(synced < journal && journal < commit, `syncfs ${synced}, journal ${journal}, commit ${commit}`);
      const perFile = lines.slice(0, journal).filter((l) => /fdatasync\(/.test(l)).length;
      assert.ok(perFile < FILES / 2, `${perFile} fdatasync calls before the journal: syncfs should have replaced them`);
      assert.equal(await Deno.readTextFile(`${app}/lib/f7.txt`), "file 7");
    } finally {
      await done();
    }
  },
});

Deno.test({
  name: "without permission to run sync, every staged file is fdatasynced before the journal",
  ignore: !HAVE_STRACE,
  async fn() {
    const { lines, app, done } = await traceApply(["--allow-read", "--allow-write", "--no-prompt"]);
    try {
      assert.ok(!lines.some((l) => /syncfs\(/.test(l)), "syncfs ran without permission");
      const journal = indexOf(lines, journalWritten, "journal write");
      const commit = indexOf(lines, firstCommitRename(app), "rename into the install directory");
      assert.ok(journal < commit);
      // Concurrent calls are logged as "fdatasync(25 <unfinished ...>": count the calls made.
      const perFile = lines.slice(0, journal).filter((l) => /fdatasync\(\d+/.test(l)).length;
      assert.ok(perFile >= FILES + 1, `only ${perFile} fdatasync calls for ${FILES + 1} staged files`);
      assert.equal(await Deno.readTextFile(`${app}/lib/f7.txt`), "file 7");
    } finally {
      await done();
    }
  },
});

Deno.test({
  name: "with a handful of files, each is fdatasynced and no syncfs flushes the whole file system",
  ignore: !HAVE_STRACE,
  async fn() {
    const { lines, app, done } = await traceApply(["--allow-all", "--no-prompt"], 5);
    try {
      assert.ok(!lines.some((l) => /syncfs\(/.test(l)), "syncfs ran for 6 files");
      const journal = indexOf(lines, journalWritten, "journal write");
      const perFile = lines.slice(0, journal).filter((l) => /fdatasync\(\d+/.test(l)).length;
      assert.ok(perFile >= 6, `only ${perFile} fdatasync calls for 6 staged files`);
      assert.equal(await Deno.readTextFile(`${app}/lib/f3.txt`), "file 3");
    } finally {
      await done();
    }
  },
});

Deno.test("under umask 077 and without --allow-sys, staged files and directories keep the archive's modes", async () => {
  const [base, done] = await tempDir();
  try {
    const app = `${base}/app`;
    await writeTree(app, { "keep.txt": "keep" });
    const { pub, sec } = await minisignKeygen(base);
    const members: Member[] = [
      { path: "lib/", type: "directory", mode: 0o755 },
      { path: "lib/run.sh", data: "#!/bin/sh\n", mode: 0o755 },
      { path: "lib/conf.txt", data: "conf", mode: 0o644 },
      { path: "lib/secret.txt", data: "s", mode: 0o600 },
      { path: "lib/ro/", type: "directory", mode: 0o555 },
      { path: "lib/ro/inside.txt", data: "i", mode: 0o444 },
      { path: "lib/deep/er/file.txt", data: "d", mode: 0o640 },
    ];
    const manifest = await makePatch(base, members, { replace: { directories: ["lib"] } }, { sec });
    // Deno.umask() needs --allow-sys=umask; without it the mask is learnt from a probe file.
    const perms = "--allow-read --allow-write --no-prompt";
    const r = await exec("sh", [
      "-c",
      `umask 077 && exec "${Deno.execPath()}" run --quiet ${perms} "${ROOT}/main.ts" apply "${manifest}" --dir "${app}" --public-key "${pub}"`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const mode = (p: string) => (Deno.statSync(`${app}/${p}`).mode! & 0o777).toString(8);
    assert.deepEqual(
      [
        "lib",
        "lib/run.sh",
        "lib/conf.txt",
        "lib/secret.txt",
        "lib/ro",
        "lib/ro/inside.txt",
        "lib/deep",
        "lib/deep/er/file.txt",
      ]
        .map((p) => [p, mode(p)]),
      [
        ["lib", "755"],
        ["lib/run.sh", "755"],
        ["lib/conf.txt", "644"],
        ["lib/secret.txt", "600"],
        ["lib/ro", "555"],
        ["lib/ro/inside.txt", "444"],
        ["lib/deep", "755"],
        ["lib/deep/er/file.txt", "640"],
      ],
    );
    assert.ok(!Deno.readDirSync(`${app}/lib`).some((e) => e.name.startsWith(".umask")), "probe left behind");
    await Deno.chmod(`${app}/lib/ro`, 0o755);
  } finally {
    await done();
  }
});
