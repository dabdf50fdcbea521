/**
 * The local attacker: a user who can write the install directory, and so
 * `.patchops/`, plants links, journals and state for root's next run. Every
 * case must end in one clear `error:` line naming the path, and nothing may
 * change in the install directory or in the "outside" directory beside it
 * (including the files the planted links point at).
 *
 * Mutations these tests caught (each tried once, then reverted):
 * - `Workspace.openBase` without the LAYOUT check: "a planted backups link"
 *   wrote the backup into outside/.
 * - `validateJournal` accepting any step path: "a planted journal" renamed
 *   outside/victim.txt.
 * - `checkInstallDirTrust` returning at once: "an install directory owned by
 *   another user" applied.
 * - `checkOwnEntry` ignoring the owner: "a working area owned by another
 *   user" was used.
 */

import assert from "node:assert/strict";
import { makePatch, runCli, serveDir, snapshot, tempDir, writeTree } from "../_helpers.ts";

const ID = "20260101T000000.000Z-deadbeef";
const NOBODY = 65534;

interface Scene {
  base: string;
  app: string;
  outside: string;
  manifest: string;
  done: () => Promise<void>;
}

async function scene(): Promise<Scene> {
  const [base, done] = await tempDir();
  const app = `${base}/app`;
  const outside = `${base}/outside`;
  await writeTree(app, { "a.txt": "v1", "sub/b.txt": "b1" });
  await writeTree(outside, { "victim.txt": "precious", "victim/keep.txt": "keep" });
  const manifest = await makePatch(
    base,
    [
      { path: "a.txt", data: "v2" },
      { path: "sub/b.txt", data: "b2" },
    ],
    { replace: { files: ["a.txt", "sub/b.txt"] } },
    { extra: { version: "2.0" } },
  );
  return { base, app, outside, manifest, done };
}

async function both(s: Scene) {
  return {
    app: await snapshot(s.app, { exclude: [] }),
    outside: await snapshot(s.outside, { exclude: [] }),
  };
}

const COMMANDS = (s: Scene): [string, string[]][] => [
  ["apply", ["apply", s.manifest, "--dir", s.app, "--allow-unsigned"]],
  ["recover", ["recover", "--dir", s.app]],
  ["rollback", ["rollback", "--dir", s.app]],
  ["status", ["status", "--dir", s.app]],
];

/** Runs every command against the planted scene; each must refuse, naming `names`, and change nothing. */
async function allRefuse(s: Scene, names: RegExp, only?: string[]) {
  for (const [name, args] of COMMANDS(s)) {
    if (only && !only.includes(name)) continue;
    const before = await both(s);
    const r = await runCli(args);
    assert.equal(r.code, 1, `${name}: expected failure, got ${r.code}\n${r.stdout}\n${r.stderr}`);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
    assert.equal(errors.length, 1, `${name}: ${r.stderr}`);
    assert.match(errors[0]!, names, name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.deepEqual(await both(s), before, `${name}: install and outside dirs unchanged`);
  }
}

function journal(id: string, steps: unknown[], extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    format: 1,
    id,
    kind: "apply",
    state: "prepared",
    source: `txn/${id}/staging`,
    backup: `txn/${id}/backup`,
    origin: "0".repeat(64),
    version: "2.0",
    createdAt: "2026-01-01T00:00:00.000Z",
    steps,
    ...extra,
  });
}

async function plantBase(s: Scene) {
  await Deno.mkdir(`${s.app}/.patchops`, { mode: 0o700 });
  await Deno.chmod(`${s.app}/.patchops`, 0o700);
}

const links: [string, (s: Scene) => Promise<void>, RegExp][] = [
  ["the working area itself", async (s) => {
    await Deno.symlink(s.outside, `${s.app}/.patchops`);
  }, /"[^"]*\/app\/\.patchops" is a symbolic link/],
  ["backups", async (s) => {
    await plantBase(s);
    await Deno.symlink(`${s.outside}/victim`, `${s.app}/.patchops/backups`);
  }, /\.patchops\/backups" is a symbolic link/],
  ["txn", async (s) => {
    await plantBase(s);
    await Deno.symlink(`${s.outside}/victim`, `${s.app}/.patchops/txn`);
  }, /\.patchops\/txn" is a symbolic link/],
  ["downloads", async (s) => {
    await plantBase(s);
    await Deno.symlink(`${s.outside}/victim`, `${s.app}/.patchops/downloads`);
  }, /\.patchops\/downloads" is a symbolic link/],
  ["the lock file", async (s) => {
    await plantBase(s);
    await Deno.symlink(`${s.outside}/victim.txt`, `${s.app}/.patchops/lock`);
  }, /\.patchops\/lock" is a symbolic link/],
  ["state.json", async (s) => {
    await plantBase(s);
    await Deno.symlink(`${s.outside}/victim.txt`, `${s.app}/.patchops/state.json`);
  }, /\.patchops\/state\.json" is a symbolic link/],
  ["state.json.tmp", async (s) => {
    await plantBase(s);
    await Deno.symlink(`${s.outside}/victim.txt`, `${s.app}/.patchops/state.json.tmp`);
  }, /\.patchops\/state\.json\.tmp" is a symbolic link/],
];

for (const [what, plant, names] of links) {
  Deno.test(`every command refuses a planted link at ${what} and follows nothing`, async () => {
    const s = await scene();
    try {
      await plant(s);
      await allRefuse(s, names);
    } finally {
      await s.done();
    }
  });
}

Deno.test("a working area owned by another user, or writable by others, is refused", async () => {
  const s = await scene();
  try {
    await plantBase(s);
    await Deno.chown(`${s.app}/.patchops`, NOBODY, NOBODY);
    await allRefuse(s, /\.patchops" is owned by uid 65534/);
    await Deno.chown(`${s.app}/.patchops`, 0, 0);
    await Deno.chmod(`${s.app}/.patchops`, 0o777);
    await allRefuse(s, /\.patchops" is writable by group or others/);
  } finally {
    await s.done();
  }
});

Deno.test("a planted journal with escaping step paths, ids or sources is refused, never acted on", async () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    [
      "step path",
      () => journal(ID, [{ action: "replace", path: "../outside/victim.txt", hadTarget: true, parents: [] }]),
      /step 0 path/,
    ],
    [
      "absolute step path",
      () => journal(ID, [{ action: "delete", path: "/etc/passwd", hadTarget: true, parents: [] }]),
      /step 0 path/,
    ],
    ["id", () => journal("../../outside", []), /id is not a transaction id/],
    ["source", (outside) => journal(ID, [], { source: `../../${outside}` }), /source is not/],
    [
      "parent",
      () =>
        journal(ID, [{ action: "replace", path: "a.txt", hadTarget: true, parents: [{ path: "../x", mode: 493 }] }]),
      /parents/,
    ],
  ];
  for (const [what, text, names] of cases) {
    const s = await scene();
    try {
      await plantBase(s);
      await Deno.mkdir(`${s.app}/.patchops/txn/${ID}`, { recursive: true, mode: 0o700 });
      await Deno.mkdir(`${s.app}/.patchops/txn/${ID}/backup`, { mode: 0o700 });
      await Deno.writeTextFile(`${s.app}/.patchops/txn/${ID}/journal.json`, text(s.outside), { mode: 0o600 });
      await allRefuse(s, new RegExp(`journal "[^"]*${ID}/journal\\.json" is not valid.*${names.source}`));
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    } finally {
      await s.done();
    }
  }
});

Deno.test("a transaction directory not named by a transaction id is refused", async () => {
  const s = await scene();
  try {
    await plantBase(s);
    await Deno.mkdir(`${s.app}/.patchops/txn/..evil`, { recursive: true, mode: 0o700 });
    await allRefuse(s, /txn\/\.\.evil" is not a transaction id/);
  } finally {
    await s.done();
  }
});

Deno.test("a planted state file or backup journal is validated before use", async () => {
  const s = await scene();
  try {
    await plantBase(s);
    await Deno.writeTextFile(
      `${s.app}/.patchops/state.json`,
      JSON.stringify({ format: 1, version: "9.9\u001b[2J", history: [] }),
      { mode: 0o600 },
    );
    await allRefuse(s, /state file "[^"]*state\.json" is not valid \(version contains control characters\)/, [
      "apply",
      "status",
    ]);
    await Deno.remove(`${s.app}/.patchops/state.json`);
    await Deno.mkdir(`${s.app}/.patchops/backups/${ID}/tree`, { recursive: true, mode: 0o700 });
    await Deno.chmod(`${s.app}/.patchops/backups`, 0o700);
    await Deno.chmod(`${s.app}/.patchops/backups/${ID}`, 0o700);
    await Deno.writeTextFile(
      `${s.app}/.patchops/backups/${ID}/journal.json`,
      journal(ID, [{ action: "replace", path: "../outside/victim.txt", hadTarget: true, parents: [] }], {
        state: "committed",
      }),
      { mode: 0o600 },
    );
    await allRefuse(s, /journal "[^"]*backups\/[^"]*journal\.json" is not valid \(step 0 path/, ["rollback"]);
  } finally {
    await s.done();
  }
});

Deno.test("an install directory owned by another user, or with a group-writable directory on a target's path, is refused unless accepted", async () => {
  const s = await scene();
  try {
    await Deno.chown(s.app, NOBODY, NOBODY);
    await allRefuse(s, /app" is owned by uid 65534.*--allow-untrusted-owner/, ["apply", "status"]);
    const accepted = await runCli([
      "apply",
      s.manifest,
      "--dir",
      s.app,
      "--allow-unsigned",
      "--allow-untrusted-owner",
    ]);
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(await Deno.readTextFile(`${s.app}/sub/b.txt`), "b2");

    const t = await scene();
    try {
      await Deno.chmod(`${t.app}/sub`, 0o775);
      await allRefuse(t, /"sub" in "[^"]*" is writable by its group/, ["apply"]);
      await Deno.chmod(`${t.app}/sub`, 0o755);
      await Deno.chmod(t.base, 0o777);
      await allRefuse(t, /above it is writable by all users/, ["apply"]);
    } finally {
      await t.done();
    }
  } finally {
    await s.done();
  }
});

Deno.test("a planted partial download link is refused, and the file it points at is not truncated", async () => {
  const s = await scene();
  const server = serveDir(s.base);
  try {
    const sha = JSON.parse(await Deno.readTextFile(s.manifest)).hash.slice("sha256:".length);
    await plantBase(s);
    await Deno.mkdir(`${s.app}/.patchops/downloads`, { mode: 0o700 });
    await Deno.symlink(`${s.outside}/victim.txt`, `${s.app}/.patchops/downloads/${sha}.part`);
    const before = await both(s);
    const r = await runCli(["apply", `${server.url}/patch.json`, "--dir", s.app, "--allow-unsigned"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`error: .*downloads/${sha}\.part" is a symbolic link`));
    assert.deepEqual(await both(s), before);
  } finally {
    await server.close();
    await s.done();
  }
});

Deno.test("accepting an untrusted owner is refused where renames cannot be pinned (scoped permissions)", async () => {
  const s = await scene();
  try {
    await Deno.chown(s.app, NOBODY, NOBODY);
    const before = await both(s);
    const r = await runCli(["apply", s.manifest, "--dir", s.app, "--allow-unsigned", "--allow-untrusted-owner"], {
      permissions: [`--allow-read=${s.base}`, `--allow-write=${s.app}`, "--no-prompt"],
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /error: .*is owned by uid 65534; accepting that is safe only with directories pinned/);
    assert.deepEqual(await both(s), before);
  } finally {
    await s.done();
  }
});
