/**
 * `deno task demo`: the main job end to end on embedded defaults, in a temp
 * directory. Every step runs the real command line and shows its output.
 */

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const FLAGS = [
  "--allow-read",
  "--allow-write",
  "--allow-net=127.0.0.1",
  "--allow-sys=hostname,statfs",
  "--v8-flags=--max-semi-space-size=1",
];
const bold = (s: string) => (Deno.noColor ? s : `\x1b[1m${s}\x1b[0m`);
const dim = (s: string) => (Deno.noColor ? s : `\x1b[2m${s}\x1b[0m`);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `patchops <args>`, echoing the command and its output. */
async function patchops(args: string[], show = true): Promise<Outcome> {
  const shown = args.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(
    " ",
  );
  if (show) {
    console.log(`\n${bold("$ patchops " + shown.replaceAll(work, "$DEMO"))}`);
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...FLAGS, `${ROOT}/main.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const r = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  if (show) {
    if (r.stdout.trim()) {
      console.log(r.stdout.trimEnd().replaceAll(work, "$DEMO"));
    }
    if (r.stderr.trim()) {
      console.log(dim(r.stderr.trimEnd().replaceAll(work, "$DEMO")));
    }
  }
  return r;
}

function must(r: Outcome, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed with exit code ${r.code}`);
}

async function writeTree(
  root: string,
  files: Record<
    string,
    string | { link: string } | { mode: number; text: string }
  >,
) {
  for (const [path, v] of Object.entries(files)) {
    const abs = `${root}/${path}`;
    await Deno.mkdir(abs.slice(0, abs.lastIndexOf("/")), { recursive: true });
    if (typeof v === "string") await Deno.writeTextFile(abs, v);
    else if ("link" in v) await Deno.symlink(v.link, abs);
    else {
      await Deno.writeTextFile(abs, v.text);
      await Deno.chmod(abs, v.mode);
    }
  }
}

async function listTree(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await Array.fromAsync(
    Deno.readDir(rel ? `${root}/${rel}` : root),
  );
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (p === ".patchops") continue;
    if (e.isDirectory) out.push(`${p}/`, ...(await listTree(root, p)));
    else if (e.isSymlink) {
      out.push(`${p} -> ${await Deno.readLink(`${root}/${p}`)}`);
    } else {out.push(
        `${p} (${(await Deno.readTextFile(`${root}/${p}`)).split("\n")[0]})`,
      );}
  }
  return out;
}

const work = await Deno.makeTempDir({ prefix: "patchops-demo-" });
const controller = new AbortController();
let server: Deno.HttpServer | undefined;
try {
  console.log(bold("patchops demo") + dim(`  (working in ${work})`));
  console.log("\n1. A sample app, version 1.0 and version 2.0");
  const v1 = {
    "bin/app.sh": { mode: 0o755, text: "#!/bin/sh\necho 'app 1.0'\n" },
    "lib/core.jar": "core 1.0",
    "lib/legacy.jar": "legacy code, dropped in 2.0",
    "plugins/report.js": "report 1.0",
    "plugins/export.js": "export 1.0",
    "conf/app.yml": "port: 8080\n",
    "README.txt": "sample app 1.0",
  };
  await writeTree(`${work}/v1`, v1);
  await writeTree(`${work}/v2`, {
    ...v1,
    "bin/app.sh": { mode: 0o755, text: "#!/bin/sh\necho 'app 2.0'\n" },
    "lib/core.jar": "core 2.0",
    "lib/current.jar": { link: "core.jar" },
    "README.txt": "sample app 2.0",
    "docs/CHANGES.txt": "2.0: new core, docs, plugin cleanup",
  });
  await Deno.remove(`${work}/v2/lib/legacy.jar`);
  await Deno.remove(`${work}/v2/plugins/export.js`);
  await new Deno.Command("cp", {
    args: ["-a", `${work}/v1`, `${work}/install`],
  }).output();
  console.log(
    dim("   installed tree: " + (await listTree(`${work}/install`)).join(", ")),
  );

  console.log("\n2. The publisher makes a key and a signed patch");
  must(
    await patchops(["keygen", "--out", `${work}/release`, "--unencrypted"]),
    "keygen",
  );
  must(
    await patchops([
      "create",
      "--from",
      `${work}/v1`,
      "--to",
      `${work}/v2`,
      "--out",
      `${work}/site`,
      "--secret-key",
      `${work}/release.key`,
      "--version",
      "2.0",
    ]),
    "create",
  );
  console.log(
    "\n3. The update server: the patch is served over HTTP on 127.0.0.1",
  );
  server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onListen: () => {},
  }, async (req) => {
    const path = new URL(req.url).pathname;
    try {
      const data = await Deno.readFile(
        `${work}/site${decodeURIComponent(path)}`,
      );
      return new Response(data, {
        headers: { "content-length": String(data.length) },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const url = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
  console.log(dim(`   ${url}/manifest.json`));

  console.log("\n4. The operator verifies and applies it");
  must(
    await patchops([
      "verify",
      `${url}/manifest.json`,
      "--public-key",
      `${work}/release.pub`,
    ]),
    "verify",
  );
  must(
    await patchops([
      "apply",
      `${url}/manifest.json`,
      "--dir",
      `${work}/install`,
      "--public-key",
      `${work}/release.pub`,
    ]),
    "apply",
  );
  console.log(
    dim("   installed tree: " + (await listTree(`${work}/install`)).join(", ")),
  );
  must(await patchops(["status", "--dir", `${work}/install`]), "status");

  console.log(
    "\n5. A tampered manifest (operations changed in transit) is refused",
  );
  const manifest = JSON.parse(
    await Deno.readTextFile(`${work}/site/manifest.json`),
  );
  manifest.operations.delete.directories.push("conf");
  await Deno.writeTextFile(
    `${work}/site/evil.json`,
    JSON.stringify(manifest, null, 2),
  );
  const evil = await patchops([
    "verify",
    `${url}/evil.json`,
    "--public-key",
    `${work}/release.pub`,
  ]);
  if (evil.code !== 1) throw new Error("the tampered manifest was not refused");

  console.log("\n6. Rolling back to the version before, from the kept backup");
  must(await patchops(["rollback", "--dir", `${work}/install`]), "rollback");
  console.log(
    dim("   installed tree: " + (await listTree(`${work}/install`)).join(", ")),
  );

  console.log("\n7. A schema diff for MySQL/MariaDB (destructive changes are withheld as comments)");
  await Deno.writeTextFile(
    `${work}/schema-1.sql`,
    "CREATE TABLE users (id int PRIMARY KEY, name varchar(40), legacy text);\n",
  );
  await Deno.writeTextFile(
    `${work}/schema-2.sql`,
    "CREATE TABLE users (id int PRIMARY KEY, name varchar(80) NOT NULL DEFAULT '', email varchar(200),\n" +
      "  KEY by_email (email));\n",
  );
  const diff = await patchops(["sql", "diff", `${work}/schema-1.sql`, `${work}/schema-2.sql`, "--dialect", "mariadb"]);
  if (diff.code !== 3) throw new Error(`sql diff should withhold the destructive change (exit 3), got ${diff.code}`);

  console.log("\n8. A patch that carries a database migration, applied to PostgreSQL (PGlite, in-process)");
  await writeTree(`${work}/v3`, { "README.txt": "sample app 3.0" });
  await new Deno.Command("cp", { args: ["-a", "--no-clobber", `${work}/install/.`, `${work}/v3`] }).output();
  await Deno.remove(`${work}/v3/.patchops`, { recursive: true }).catch(() => {});
  await Deno.writeTextFile(
    `${work}/app-schema.sql`,
    "CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, total numeric(10,2) DEFAULT 0);\n",
  );
  must(
    await patchops([
      "create",
      "--from",
      `${work}/install`,
      "--to",
      `${work}/v3`,
      "--out",
      `${work}/site3`,
      "--secret-key",
      `${work}/release.key`,
      "--version",
      "3.0",
      "--schema",
      `${work}/app-schema.sql`,
      "--schema-dialect",
      "postgres",
    ]),
    "create with a schema",
  );
  must(
    await patchops([
      "apply",
      `${work}/site3/manifest.json`,
      "--dir",
      `${work}/install`,
      "--public-key",
      `${work}/release.pub`,
      "--db",
      `pglite:${work}/pgdata`,
    ]),
    "apply with a migration",
  );

  console.log(`\n${bold("Summary")}`);
  const rows = [
    ["keygen", "minisign-compatible key pair", "release.pub, release.key"],
    ["create", "signed, reproducible patch", "site/patch.tar.gz, site/manifest.json"],
    ["apply", "1.0 -> 2.0 over HTTP, verified", "one transaction, backup kept"],
    ["verify", "tampered operations refused", "exit 1, nothing touched"],
    ["rollback", "back to 1.0 from the backup", "one transaction"],
    ["sql diff", "MariaDB schema diff", "exit 3: a drop withheld"],
    ["apply --db", "files + PostgreSQL migration", "database first, then the files"],
  ];
  for (const [cmd, what, result] of rows) console.log(`  ${cmd!.padEnd(12)}${what!.padEnd(32)}${result}`);
  console.log(
    `\nDemo finished: everything above ran the real patchops commands.`,
  );
} finally {
  controller.abort();
  await server?.finished;
  await Deno.remove(work, { recursive: true }).catch(() => {});
}
