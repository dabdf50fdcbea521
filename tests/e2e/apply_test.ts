/**
 * End-to-end tests of `apply` and `verify` through the command line, with
 * packages served over HTTP on 127.0.0.1.
 */

import assert from "node:assert/strict";
import { encodePax } from "../../src/archive/tar_writer.ts";
import {
  buildTar,
  concat,
  encodeHeader,
  exec,
  gzip,
  HAVE_MINISIGN,
  makePatch,
  type Member,
  minisignKeygen,
  type Ops,
  padding,
  ROOT,
  runCli,
  serveDir,
  snapshot,
  tempDir,
  writeTree,
} from "../_helpers.ts";

interface World {
  base: string;
  srv: string;
  app: string;
  outside: string;
  pub: string;
  sec: string;
  url: string;
  server: ReturnType<typeof serveDir>;
}

async function withWorld(
  fn: (w: World) => Promise<void>,
  faults = {},
): Promise<void> {
  const [base, done] = await tempDir();
  const srv = `${base}/srv`;
  const app = `${base}/app`;
  const outside = `${base}/outside`;
  await Deno.mkdir(srv);
  await writeTree(app, {
    "bin/run.sh": { content: "#!/bin/sh\necho v1\n", mode: 0o755 },
    "lib/core.jar": "core v1",
    "lib/old.jar": "old",
    "conf/app.yml": "port: 1",
    "data/keep.db": "precious",
  });
  await writeTree(outside, { "secret.txt": "do not touch" });
  const { pub, sec } = await minisignKeygen(base);
  const server = serveDir(srv, faults);
  try {
    await fn({ base, srv, app, outside, pub, sec, url: server.url, server });
  } finally {
    await server.close();
    await done();
  }
}

/** Snapshot of the install dir (including .patchops) and the outside dir. */
async function both(w: World, allowDownloads = false) {
  const app = await snapshot(w.app, { exclude: [] });
  if (allowDownloads) {
    // A broken-off download is kept for resuming: the one change allowed.
    for (const k of Object.keys(app)) {
      if (k === ".patchops" || k.startsWith(".patchops/downloads")) {
        delete app[k];
      }
    }
  }
  return {
    app,
    outside: await snapshot(w.outside, { exclude: [] }),
  };
}

async function applyRefused(
  w: World,
  manifest: string,
  extra: string[] = [],
  allowDownloads = false,
): Promise<string> {
  const before = await both(w, allowDownloads);
  const r = await runCli(["apply", manifest, "--dir", w.app, ...extra]);
  assert.equal(
    r.code,
    1,
    `expected failure, got ${r.code}\n${r.stdout}\n${r.stderr}`,
  );
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
  assert.equal(errors.length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.deepEqual(
    await both(w, allowDownloads),
    before,
    "install and outside dirs unchanged",
  );
  return errors[0]!;
}

const test = (name: string, fn: (w: World) => Promise<void>, faults = {}) =>
  Deno.test({ name, ignore: !HAVE_MINISIGN, fn: () => withWorld(fn, faults) });

test("apply replaces files and directories, deletes paths, and keeps modes and links", async (w) => {
  const members: Member[] = [
    { path: "./bin/", type: "directory" },
    { path: "./bin/run.sh", data: "#!/bin/sh\necho v2\n", mode: 0o755 },
    { path: "./lib/", type: "directory", mode: 0o750 },
    { path: "./lib/core.jar", data: "core v2" },
    { path: "./lib/ünï.jar", data: "" },
    { path: "./lib/current", type: "symlink", link: "core.jar" },
    { path: "./lib/hard.jar", type: "hardlink", link: "./lib/core.jar" },
    { path: "./lib/empty/", type: "directory" },
    { path: "./new/deep/file.txt", data: "fresh" },
  ];
  const ops: Ops = {
    replace: {
      files: ["bin/run.sh", "new/deep/file.txt"],
      directories: ["lib/"],
    },
    delete: { files: ["conf/app.yml", "conf/missing.yml"] },
  };
  await makePatch(w.srv, members, ops, {
    sec: w.sec,
    extra: { version: "2.0.0" },
  });
  const r = await runCli([
    "apply",
    `${w.url}/patch.json`,
    "--dir",
    w.app,
    "--public-key",
    w.pub,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /applied 2\.0\.0 .*2 files replaced, 1 directory replaced, 1 path deleted/,
  );
  assert.match(r.stderr, /warning: nothing to delete at "conf\/missing\.yml"/);
  const after = await snapshot(w.app);
  assert.match(after["bin/run.sh"]!, /^file 755 /);
  assert.match(after["lib"]!, /^dir 750/);
  assert.equal(after["lib/current"], "symlink -> core.jar");
  assert.equal(after["lib/old.jar"], undefined, "directory replaced wholesale");
  assert.equal(after["lib/ünï.jar"]?.startsWith("file 644"), true);
  assert.equal(after["lib/empty"], "dir 755");
  assert.equal(after["conf/app.yml"], undefined);
  assert.equal(after["data/keep.db"]?.startsWith("file"), true);
  assert.equal(await Deno.readTextFile(`${w.app}/new/deep/file.txt`), "fresh");
  const core = await Deno.stat(`${w.app}/lib/core.jar`);
  const hard = await Deno.stat(`${w.app}/lib/hard.jar`);
  assert.equal(core.ino, hard.ino, "hard link preserved");

  const status = await runCli(["status", "--dir", w.app, "--json"]);
  assert.equal(status.code, 0, status.stderr);
  assert.equal(JSON.parse(status.stdout).version, "2.0.0");
});

// Archives from other tools: tests/e2e/interop_test.ts.
test("apply takes base64 signatures and the host's architecture from an enhanced manifest", async (w) => {
  const host = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  const other = host === "x86_64" ? "aarch64" : "x86_64";
  const patch: Record<string, unknown> = {};
  for (const arch of [host, other]) {
    const m = await makePatch(w.srv, [{ path: "lib/core.jar", data: `core for ${arch}` }], {
      replace: { files: ["lib/core.jar"] },
      // The version is signed into each package's header; the enhanced manifest's own must agree.
    }, { sec: w.sec, base64Signature: true, name: arch, extra: { version: "3.0" } });
    patch[arch] = JSON.parse(await Deno.readTextFile(m));
  }
  assert.doesNotMatch(String((patch[host] as { signature: string }).signature), /untrusted comment/);
  await Deno.writeTextFile(`${w.srv}/enhanced.json`, JSON.stringify({ version: "3.0", patch }));
  const r = await runCli(["apply", `${w.url}/enhanced.json`, "--dir", w.app, "--public-key", w.pub]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await Deno.readTextFile(`${w.app}/lib/core.jar`), `core for ${host}`);
  const status = await runCli(["status", "--dir", w.app, "--json"]);
  assert.equal(JSON.parse(status.stdout).version, "3.0");
});

// Mutations caught: MinisignVerifier ignoring the Ed25519 result; the key id comparison removed
// (the wrong key then fails later with another message).
test("apply refuses a hash mismatch, a wrong key, a signature of other bytes and a missing signature", async (w) => {
  const members = [{ path: "lib/core.jar", data: "evil" }];
  const ops = { replace: { files: ["lib/core.jar"] } };
  const bad = await makePatch(w.srv, members, ops, {
    sec: w.sec,
    hash: `sha256:${"0".repeat(64)}`,
  });
  assert.match(
    await applyRefused(w, bad, ["--public-key", w.pub]),
    /hash mismatch/,
  );

  const other = await minisignKeygen(w.base, "other");
  const good = await makePatch(w.srv, members, ops, { sec: w.sec });
  assert.match(
    await applyRefused(w, good, ["--public-key", other.pub]),
    /made with key/,
  );

  // A valid signature, but over different bytes: hash matches, signature does not.
  const sigOfOther = await makePatch(
    w.srv,
    [{ path: "x", data: "other" }],
    ops,
    { sec: w.sec, name: "o" },
  );
  const m = JSON.parse(await Deno.readTextFile(good));
  m.signature = JSON.parse(await Deno.readTextFile(sigOfOther)).signature;
  await Deno.writeTextFile(good, JSON.stringify(m));
  assert.match(
    await applyRefused(w, good, ["--public-key", w.pub]),
    /signature does not match/,
  );

  delete m.signature;
  await Deno.writeTextFile(good, JSON.stringify(m));
  assert.match(
    await applyRefused(w, good, ["--public-key", w.pub]),
    /no signature/,
  );
  assert.match(await applyRefused(w, good), /no public key given/);
});

const hostile: [string, (Member | Uint8Array)[] | Uint8Array, Ops, RegExp][] = [
  ["an absolute member path", [{ path: "/etc/evil", data: "x" }], {
    replace: { files: ["etc/evil"] },
  }, /absolute/],
  ["a ../ member path", [{ path: "../evil", data: "x" }], {
    replace: { files: ["evil"] },
  }, /contains "\.\."/],
  [
    "a pax path override escaping",
    concat([
      encodeHeader({
        name: "PaxHeaders/x",
        typeflag: "x",
        size: encodePax({ path: "a/../../evil" }).length,
      }),
      encodePax({ path: "a/../../evil" }),
      padding(encodePax({ path: "a/../../evil" }).length),
      encodeHeader({ name: "innocent", typeflag: "0", size: 1 }),
      new Uint8Array([120]),
      padding(1),
      new Uint8Array(1024),
    ]),
    { replace: { files: ["innocent"] } },
    /contains "\.\."/,
  ],
  [
    "a GNU long name escaping",
    concat([
      encodeHeader({
        name: "././@LongLink",
        typeflag: "L",
        size: 10,
        magic: "gnu",
      }),
      new TextEncoder().encode("../../evil"),
      padding(10),
      encodeHeader({ name: "innocent", typeflag: "0", size: 1, magic: "gnu" }),
      new Uint8Array([120]),
      padding(1),
      new Uint8Array(1024),
    ]),
    { replace: { files: ["innocent"] } },
    /contains "\.\."/,
  ],
  [
    "a member written through a symlink",
    [{ path: "lib", type: "symlink", link: "data" }, {
      path: "lib/x",
      data: "x",
    }],
    { replace: { files: ["lib"] } },
    /through the symlink "lib"/,
  ],
  [
    "a symlink leading outside",
    [{ path: "lib/esc", type: "symlink", link: "../../outside/secret.txt" }],
    { replace: { files: ["lib/esc"] } },
    /leaves the install directory/,
  ],
  [
    "an absolute symlink",
    [{ path: "lib/esc", type: "symlink", link: "/etc/passwd" }],
    { replace: { files: ["lib/esc"] } },
    /leaves the install directory/,
  ],
  [
    "a symlink chain escaping",
    [{ path: "r", type: "symlink", link: "." }, {
      path: "a/l",
      type: "symlink",
      link: "../r/..",
    }],
    { replace: { files: ["a/l", "r"] } },
    /leaves the install directory/,
  ],
  [
    // Inside when staged (r is no link yet), outside once r -> . arrives: only the final check sees it.
    "a symlink that escapes through a later symlink",
    [{ path: "a/l", type: "symlink", link: "../r/.." }, { path: "r", type: "symlink", link: "." }],
    { replace: { files: ["a/l", "r"] } },
    /leaves the install directory/,
  ],
  [
    "a hard link leading outside",
    [{ path: "lib/h", type: "hardlink", link: "../outside/secret.txt" }],
    { replace: { files: ["lib/h"] } },
    /hard link to "\.\.\/outside\/secret\.txt", which contains "\.\."/,
  ],
  [
    "a hard link to a path not in the archive",
    [{ path: "lib/h", type: "hardlink", link: "data/keep.db" }],
    { replace: { files: ["lib/h"] } },
    /not an earlier file/,
  ],
  [
    "a device node",
    concat([
      encodeHeader({ name: "dev", typeflag: "3", devmajor: 1, devminor: 3 }),
      new Uint8Array(1024),
    ]),
    { replace: { files: ["dev"] } },
    /device/,
  ],
  [
    "a FIFO",
    concat([
      encodeHeader({ name: "fifo", typeflag: "6" }),
      new Uint8Array(1024),
    ]),
    { replace: { files: ["fifo"] } },
    /FIFO/,
  ],
  [
    "a truncated archive",
    buildTar([{ path: "lib/core.jar", data: "x".repeat(5000) }]).subarray(
      0,
      3000,
    ),
    { replace: { files: ["lib/core.jar"] } },
    /truncated/,
  ],
  [
    "a member in the reserved directory",
    [{ path: ".patchops/state.json", data: "{}" }],
    { replace: { files: ["lib/core.jar"] } },
    /reserved/,
  ],
  [
    "an operation naming a missing member",
    [{ path: "lib/core.jar", data: "x" }],
    { replace: { files: ["lib/core.jar", "lib/absent.jar"] } },
    /lib\/absent\.jar", which the package lacks/,
  ],
  [
    "an operation escaping the directory",
    [{ path: "x", data: "x" }],
    { replace: { files: ["../outside/secret.txt"] } },
    /contains "\.\."/,
  ],
  [
    "an absolute operation path",
    [{ path: "x", data: "x" }],
    { delete: { directories: ["/tmp"] } },
    /absolute/,
  ],
  [
    "an operation on the reserved directory",
    [{ path: "x", data: "x" }],
    { delete: { directories: [".patchops"] } },
    /reserved/,
  ],
  [
    "a file operation naming a directory member",
    [{ path: "lib/", type: "directory" }],
    { replace: { files: ["lib"] } },
    /is a directory in the package/,
  ],
];

// Mutations caught (each by its case): ".." accepted by normalizeRelativePath(); the reserved
// directory accepted; stage.ts writing through an archive symlink, dropping the final symlink
// re-check ("escapes through a later symlink"), accepting a device node, taking a hard link's
// target without the path policy, or linking to a path not staged earlier.
for (const [what, archive, ops, message] of hostile) {
  test(`apply refuses ${what} and changes nothing`, async (w) => {
    await makePatch(w.srv, archive, ops, { sec: w.sec });
    assert.match(
      await applyRefused(w, `${w.url}/patch.json`, ["--public-key", w.pub]),
      message,
    );
  });
}

test("apply refuses a corrupt gzip stream and a non-gzip package", async (w) => {
  const gz = await gzip(
    buildTar([{ path: "lib/core.jar", data: "x".repeat(10_000) }]),
  );
  const corrupt = gz.slice();
  corrupt.fill(0x55, 20, 40);
  await makePatch(w.srv, corrupt, { replace: { files: ["lib/core.jar"] } }, {
    sec: w.sec,
  });
  assert.match(
    await applyRefused(w, `${w.url}/patch.json`, ["--public-key", w.pub, "--allow-unsigned-operations"]),
    /corrupt|invalid/,
  );
  await makePatch(w.srv, buildTar([{ path: "a", data: "b" }]), {
    replace: { files: ["a"] },
  }, { sec: w.sec });
  // makePatch gzips raw tar input, so write an uncompressed package by hand.
  const raw = buildTar([{ path: "a", data: "b" }]);
  await Deno.writeFile(`${w.srv}/raw.tar.gz`, raw);
  const m = {
    url: "raw.tar.gz",
    hash: `sha256:${(await import("../_helpers.ts")).sha256(raw)}`,
    operations: {},
  };
  await Deno.writeTextFile(`${w.srv}/raw.json`, JSON.stringify(m));
  assert.match(
    await applyRefused(w, `${w.url}/raw.json`, ["--allow-unsigned"]),
    /neither gzip- nor zstd-compressed/,
  );
});

test("apply refuses to write through an existing symlink that leads outside", async (w) => {
  await Deno.symlink(w.outside, `${w.app}/ext`);
  await makePatch(w.srv, [{ path: "ext/secret.txt", data: "pwned" }], {
    replace: { files: ["ext/secret.txt"] },
  }, {
    sec: w.sec,
  });
  assert.match(
    await applyRefused(w, `${w.url}/patch.json`, ["--public-key", w.pub]),
    /symlink "ext", which leads outside/,
  );
  await makePatch(w.srv, [{ path: "x", data: "x" }], {
    delete: { files: ["ext/secret.txt"] },
  }, { sec: w.sec });
  assert.match(
    await applyRefused(w, `${w.url}/patch.json`, ["--public-key", w.pub]),
    /leads outside/,
  );
});

test(
  "apply reports HTTP errors, refused connections, redirect loops and short bodies",
  async (w) => {
    const noise = concat(
      [0, 1, 2, 3].map(() => crypto.getRandomValues(new Uint8Array(65_536))),
    );
    const members = [{ path: "lib/core.jar", data: noise }];
    const ops = { replace: { files: ["lib/core.jar"] } };
    for (
      const [name, re] of [
        ["e404", /HTTP 404/],
        ["loop", /too many redirects/],
        ["short", /connection (closed|lost) after/],
        ["stall", /stalled/],
      ] as const
    ) {
      await makePatch(w.srv, members, ops, { sec: w.sec, name });
      assert.match(
        await applyRefused(w, `${w.url}/${name}.json`, [
          "--public-key",
          w.pub,
          "--timeout",
          "1",
        ], true),
        re,
        name,
      );
    }
    const dead = await makePatch(w.srv, members, ops, {
      sec: w.sec,
      name: "dead",
    });
    const m = JSON.parse(await Deno.readTextFile(dead));
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const freePort = (listener.addr as Deno.NetAddr).port;
    listener.close();
    m.url = `http://127.0.0.1:${freePort}/dead.tar.gz`;
    await Deno.writeTextFile(dead, JSON.stringify(m));
    assert.match(
      await applyRefused(w, dead, ["--public-key", w.pub]),
      /connection refused/,
    );
  },
  {
    "/e404.tar.gz": { kind: "status", status: 404 },
    "/loop.tar.gz": { kind: "redirect", to: "/loop.tar.gz" },
    "/short.tar.gz": { kind: "drop", after: 1000 },
    "/stall.tar.gz": { kind: "stall", after: 1000 },
  },
);

test("apply --dry-run prints the plan and changes nothing; verify checks without a directory", async (w) => {
  await makePatch(w.srv, [{ path: "lib/core.jar", data: "v2" }], {
    replace: { files: ["lib/core.jar", "lib/new.jar"] },
  }, { sec: w.sec });
  // lib/new.jar is missing from the package: verify must say so.
  let r = await runCli([
    "verify",
    `${w.url}/patch.json`,
    "--public-key",
    w.pub,
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^error: cannot verify .*lib\/new\.jar", which the package lacks/m,
  );

  await makePatch(w.srv, [{ path: "lib/core.jar", data: "v2" }, {
    path: "lib/new.jar",
    data: "n",
  }], {
    replace: { files: ["lib/core.jar", "lib/new.jar"] },
  }, { sec: w.sec });
  r = await runCli(["verify", `${w.url}/patch.json`, "--public-key", w.pub]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /signature ok/);

  const before = await both(w);
  r = await runCli([
    "apply",
    `${w.url}/patch.json`,
    "--dir",
    w.app,
    "--public-key",
    w.pub,
    "--dry-run",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /replace lib\/core\.jar/);
  assert.match(r.stdout, /create {2}lib\/new\.jar/);
  assert.deepEqual(await both(w), before);
});

test("apply works with only scoped permissions", async (w) => {
  await makePatch(w.srv, [{ path: "lib/core.jar", data: "scoped" }], {
    replace: { files: ["lib/core.jar"] },
  }, {
    sec: w.sec,
  });
  const pubKey = (await Deno.readTextFile(w.pub)).split("\n")[1]!;
  const r = await runCli([
    "apply",
    `${w.url}/patch.json`,
    "--dir",
    w.app,
    "--public-key",
    pubKey,
  ], {
    permissions: [
      `--allow-read=${w.app}`,
      `--allow-write=${w.app}`,
      "--allow-net=127.0.0.1",
      "--no-prompt",
    ],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await Deno.readTextFile(`${w.app}/lib/core.jar`), "scoped");
});

test("a patch with a symlink fails cleanly under scoped read/write and applies under the README's recipe", async (w) => {
  await makePatch(
    w.srv,
    [{ path: "lib/core.jar", data: "linked" }, {
      path: "lib/current",
      type: "symlink",
      link: "core.jar",
    }],
    { replace: { files: ["lib/core.jar", "lib/current"] } },
    { sec: w.sec },
  );
  const before = await Deno.readTextFile(`${w.app}/lib/core.jar`);
  const apply = (permissions: string[]) =>
    runCli(["apply", `${w.url}/patch.json`, "--dir", w.app, "--public-key", w.pub], {
      permissions: [...permissions, "--allow-net=127.0.0.1", "--no-prompt"],
    });
  const scoped = await apply([`--allow-read=${w.app},${w.pub}`, `--allow-write=${w.app}`]);
  assert.equal(scoped.code, 1);
  assert.match(scoped.stderr, /requires unscoped --allow-read and --allow-write/);
  assert.equal(await Deno.readTextFile(`${w.app}/lib/core.jar`), before);
  const recipe = await apply(["--allow-read", "--allow-write"]);
  assert.equal(recipe.code, 0, recipe.stderr);
  assert.equal(await Deno.readLink(`${w.app}/lib/current`), "core.jar");
  assert.equal(await Deno.readTextFile(`${w.app}/lib/current`), "linked");
});

test("apply works under the permission flags that deno task compile bakes in", async (w) => {
  const task: string = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks.compile;
  const flags = task.split(/\s+/).filter((f) => /^--(allow-|no-prompt|v8-flags)/.test(f));
  assert.ok(
    flags.includes("--no-prompt") &&
      flags.some((f) => f === "--allow-all" || f.startsWith("--allow-net")),
    task,
  );
  await makePatch(w.srv, [{ path: "lib/core.jar", data: "compiled" }], {
    replace: { files: ["lib/core.jar"] },
  }, {
    sec: w.sec,
  });
  const r = await runCli([
    "apply",
    `${w.url}/patch.json`,
    "--dir",
    w.app,
    "--public-key",
    w.pub,
  ], {
    permissions: flags,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await Deno.readTextFile(`${w.app}/lib/core.jar`), "compiled");
});

Deno.test("command-line misuse exits 2 with a usage hint", async () => {
  for (
    const args of [
      ["apply"],
      ["apply", "m.json"],
      ["apply", "m.json", "--dir"],
      ["apply", "m", "--dir", "d", "--bogus"],
      [
        "nonsense",
      ],
    ]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^error: /m);
    assert.match(r.stderr, /usage/);
  }
});

test("apply accepts archives written by Python's tarfile (PAX and GNU, unicode, hard links)", async (w) => {
  const script = `
import io, tarfile, sys
for fmt, name in ((tarfile.PAX_FORMAT, "pax"), (tarfile.GNU_FORMAT, "gnu")):
    with tarfile.open(sys.argv[1] + "/" + name + ".tar.gz", "w:gz", format=fmt) as t:
        d = tarfile.TarInfo("lib/"); d.type = tarfile.DIRTYPE; d.mode = 0o750; t.addfile(d)
        data = b"python " + name.encode()
        f = tarfile.TarInfo("lib/" + "ü" * 60 + "/" + "long" * 30 + ".jar"); f.size = len(data); f.mode = 0o640
        t.addfile(f, io.BytesIO(data))
        e = tarfile.TarInfo("lib/empty.txt"); e.size = 0; t.addfile(e)
        h = tarfile.TarInfo("lib/hard.jar"); h.type = tarfile.LNKTYPE; h.linkname = f.name; t.addfile(h)
        s = tarfile.TarInfo("lib/sym"); s.type = tarfile.SYMTYPE; s.linkname = "empty.txt"; t.addfile(s)
`;
  const made = await exec("python3", ["-c", script, w.base]);
  assert.equal(made.code, 0, made.stderr);
  for (const name of ["pax", "gnu"]) {
    await makePatch(w.srv, await Deno.readFile(`${w.base}/${name}.tar.gz`), { replace: { directories: ["lib"] } }, {
      sec: w.sec,
      name,
    });
    // Python's own gzip output carries no patchops header: accepted as a package made by another tool.
    const r = await runCli([
      "apply",
      `${w.url}/${name}.json`,
      "--dir",
      w.app,
      "--public-key",
      w.pub,
      "--allow-unsigned-operations",
      "--force",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const long = `${w.app}/lib/${"ü".repeat(60)}/${"long".repeat(30)}.jar`;
    assert.equal(await Deno.readTextFile(long), `python ${name}`);
    assert.equal(((await Deno.stat(long)).mode ?? 0) & 0o777, 0o640);
    assert.equal(((await Deno.stat(`${w.app}/lib`)).mode ?? 0) & 0o777, 0o750);
    assert.equal((await Deno.stat(`${w.app}/lib/hard.jar`)).ino, (await Deno.stat(long)).ino);
    assert.equal(await Deno.readLink(`${w.app}/lib/sym`), "empty.txt");
    assert.equal((await Deno.stat(`${w.app}/lib/empty.txt`)).size, 0);
  }
});
