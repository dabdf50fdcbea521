/**
 * contrib/ansible: the patchops.fleet collection driven by the real
 * ansible-playbook against three local "hosts" (connection local, one install
 * directory each), with patches made by `create` and served over HTTP.
 */

import assert from "node:assert/strict";
import { usage as applyUsage } from "../../src/cli/apply.ts";
import { exec, ROOT, runCli, serveDir, snapshot, tempDir, writeTree } from "../_helpers.ts";

const HAVE_ANSIBLE = await exec("ansible-playbook", ["--version"]).then((r) => r.code === 0, () => false);

const HOSTS = ["h1", "h2", "h3"];

/** Quotes a word for the module's shell-like split of `command`. */
function shellQuote(word: string): string {
  return /^[\w./=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

interface Recap {
  ok: number;
  changed: number;
  failed: number;
  rescued: number;
}

/** The PLAY RECAP lines of ansible's default output, by host. */
function recap(stdout: string): Record<string, Recap> {
  const out: Record<string, Recap> = {};
  const re = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)\s+skipped=\d+\s+rescued=(\d+)/gm;
  for (const m of stdout.matchAll(re)) {
    out[m[1]!] = { ok: Number(m[2]), changed: Number(m[3]), failed: Number(m[4]), rescued: Number(m[5]) };
  }
  return out;
}

/** The JSON of the first `fatal: [host]: FAILED! => {...}` line for `host`. */
function fatal(stdout: string, host: string): Record<string, unknown> {
  const line = stdout.split("\n").find((l) => l.startsWith(`fatal: [${host}]: FAILED! => `));
  assert.ok(line, `no failure reported for ${host}:\n${stdout}`);
  return JSON.parse(line.slice(line.indexOf("=> ") + 3));
}

async function setup() {
  const [base, done] = await tempDir("patchops-ansible-");
  const health = (v2: boolean) => ({
    content: v2
      ? `#!/bin/sh\n# 2.0 does not come up on a host marked unhealthy\n[ ! -e "$(dirname "$0")/../unhealthy" ]\n`
      : "#!/bin/sh\nexit 0\n",
    mode: 0o755,
  });
  await Deno.mkdir(`${base}/empty`);
  await writeTree(`${base}/v1`, { "bin/app": "app 1.0\n", "bin/health": health(false), "lib/core.txt": "core 1\n" });
  await writeTree(`${base}/v2`, {
    "bin/app": "app 2.0\n",
    "bin/health": health(true),
    "lib/core.txt": "core 2\n",
    "lib/new.txt": "new in 2.0\n",
  });
  const must = async (p: Promise<{ code: number; stderr: string }>) => {
    const r = await p;
    assert.equal(r.code, 0, r.stderr);
  };
  await must(runCli(["keygen", "--out", `${base}/release`, "--unencrypted"]));
  const create = (from: string, to: string, version: string, more: string[]) =>
    runCli([
      "create",
      "--from",
      `${base}/${from}`,
      "--to",
      `${base}/${to}`,
      "--out",
      `${base}/site/${version}`,
      "--secret-key",
      `${base}/release.key`,
      "--version",
      version,
      ...more,
    ]);
  await Promise.all([
    must(create("empty", "v1", "1.0", [])),
    must(create("v1", "v2", "2.0", ["--from-version", "1.0"])),
  ]);
  const server = serveDir(`${base}/site`);

  // The collection, found the way an installed one is: <path>/ansible_collections/<namespace>/<name>.
  await Deno.mkdir(`${base}/collections/ansible_collections/patchops`, { recursive: true });
  await Deno.symlink(`${ROOT}/contrib/ansible`, `${base}/collections/ansible_collections/patchops/fleet`);
  await Deno.writeTextFile(`${base}/ansible.cfg`, "[defaults]\n");
  const hosts: Record<string, { patchops_dir: string }> = {};
  for (const h of HOSTS) {
    await Deno.mkdir(`${base}/hosts/${h}`, { recursive: true });
    hosts[h] = { patchops_dir: `${base}/hosts/${h}` };
  }
  // JSON is YAML: Ansible's yaml inventory plugin reads it.
  const inventory = `${base}/inventory.json`;
  await Deno.writeTextFile(
    inventory,
    JSON.stringify({
      all: {
        children: {
          patchops: {
            hosts,
            vars: {
              ansible_connection: "local",
              ansible_python_interpreter: "{{ ansible_playbook_python }}",
              patchops_public_key: `${base}/release.pub`,
              patchops_command: [Deno.execPath(), "run", "-A", "--quiet", `${ROOT}/main.ts`].map(shellQuote).join(" "),
              patchops_health_command: "{{ patchops_dir }}/bin/health",
              patchops_health_retries: 0,
              patchops_health_delay: 0,
            },
          },
        },
      },
    }),
  );
  const env = {
    ANSIBLE_CONFIG: `${base}/ansible.cfg`,
    ANSIBLE_COLLECTIONS_PATH: `${base}/collections`,
    ANSIBLE_LOCAL_TEMP: `${base}/ansible-local`,
    ANSIBLE_REMOTE_TEMP: `${base}/ansible-remote`,
    ANSIBLE_NOCOLOR: "1",
    // Ansible refuses to run without a UTF-8 locale.
    LC_ALL: "C.UTF-8",
    ANSIBLE_PIPELINING: "true",
    ANSIBLE_RETRY_FILES_ENABLED: "false",
    ANSIBLE_DEPRECATION_WARNINGS: "false",
  };
  async function ansible(command: string, args: string[]) {
    const out = await new Deno.Command(command, { args: ["-i", inventory, ...args], cwd: base, env, stdin: "null" })
      .output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    return { code: out.code, stdout, stderr, all: `${stdout}\n${stderr}`, recap: recap(stdout) };
  }
  /** Runs the collection's rolling-update playbook, `serial` hosts a batch. */
  const rollout = (version: string, serial: number, ...more: string[]) =>
    ansible("ansible-playbook", [
      "patchops.fleet.rolling_update",
      "-e",
      JSON.stringify({ patchops_manifest: `${server.url}/${version}/manifest.json`, patchops_serial: serial }),
      ...more,
    ]);
  /** Each host's recorded version and its bin/app. */
  async function versions(): Promise<Record<string, [string | null, string | null]>> {
    const out: Record<string, [string | null, string | null]> = {};
    await Promise.all(HOSTS.map(async (h) => {
      const r = await runCli(["status", "--dir", hosts[h]!.patchops_dir, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const app = await Deno.readTextFile(`${hosts[h]!.patchops_dir}/bin/app`).catch(() => null);
      out[h] = [JSON.parse(r.stdout).version, app?.trim() ?? null];
    }));
    return out;
  }
  const dir = (h: string) => hosts[h]!.patchops_dir;
  return {
    ansible,
    rollout,
    versions,
    dir,
    async done() {
      await server.close();
      await done();
    },
  };
}

Deno.test({
  name:
    "the rolling-update playbook checks without changing, applies once, stops at a failing host and rolls back an unhealthy one",
  ignore: !HAVE_ANSIBLE,
  async fn(t) {
    const s = await setup();
    try {
      await t.step("check mode reports the change, shows the plan and changes nothing", async () => {
        const before = await Promise.all(HOSTS.map((h) => snapshot(s.dir(h), { exclude: [] })));
        const r = await s.rollout("1.0", 3, "--check", "--diff");
        assert.equal(r.code, 0, r.all);
        for (const h of HOSTS) assert.deepEqual(r.recap[h], { ok: 2, changed: 1, failed: 0, rescued: 0 }, r.all);
        assert.match(r.stdout, /^-\(none recorded\)\n\+1\.0\n\ncreate {2}bin\ncreate {2}lib\n/m);
        assert.deepEqual(await Promise.all(HOSTS.map((h) => snapshot(s.dir(h), { exclude: [] }))), before);
      });

      await t.step("the first run applies on every host", async () => {
        const r = await s.rollout("1.0", 3);
        assert.equal(r.code, 0, r.all);
        for (const h of HOSTS) {
          assert.equal(r.recap[h]?.changed, 1, r.all);
          assert.equal(r.recap[h]?.failed, 0, r.all);
        }
        const now = await s.versions();
        for (const h of HOSTS) assert.deepEqual(now[h], ["1.0", "app 1.0"]);
      });

      await t.step("a second run changes nothing", async () => {
        const r = await s.rollout("1.0", 3);
        assert.equal(r.code, 0, r.all);
        for (const h of HOSTS) assert.deepEqual(r.recap[h], { ok: 3, changed: 0, failed: 0, rescued: 0 }, r.all);
      });

      await t.step("a host whose directory is broken fails alone and the rollout stops", async () => {
        // h2's working area is a plain file: patchops cannot lock the directory.
        await Deno.rename(`${s.dir("h2")}/.patchops`, `${s.dir("h2")}/.patchops.aside`);
        await Deno.writeTextFile(`${s.dir("h2")}/.patchops`, "not a directory\n");
        const r = await s.rollout("2.0", 2);
        await Deno.remove(`${s.dir("h2")}/.patchops`);
        await Deno.rename(`${s.dir("h2")}/.patchops.aside`, `${s.dir("h2")}/.patchops`);
        assert.equal(r.code, 2, r.all);
        // First batch: h1 updated, h2 failed; max_fail_percentage 0 keeps the second batch (h3) from starting.
        assert.deepEqual(Object.keys(r.recap).sort(), ["h1", "h2"], r.all);
        assert.equal(r.recap.h1?.changed, 1, r.all);
        assert.equal(r.recap.h1?.failed, 0, r.all);
        assert.equal(r.recap.h2?.failed, 1, r.all);
        assert.equal(r.recap.h2?.changed, 0, r.all);
        const failure = fatal(r.stdout, "h2");
        assert.equal(failure.rc, 1);
        assert.match(
          String(failure.msg),
          /^patchops apply failed: cannot apply ".*" to ".*h2" \(".*h2\/\.patchops" is not a directory: refusing to use it\)$/,
        );
        assert.match(r.stdout, /NO MORE HOSTS LEFT/);
        assert.deepEqual(await s.versions(), {
          h1: ["2.0", "app 2.0"],
          h2: ["1.0", "app 1.0"],
          h3: ["1.0", "app 1.0"],
        });
      });

      await t.step("a host whose new version fails the health check is rolled back", async () => {
        await Deno.writeTextFile(`${s.dir("h3")}/unhealthy`, "");
        const r = await s.rollout("2.0", 2);
        assert.equal(r.code, 2, r.all);
        assert.equal(r.recap.h1?.changed, 0, r.all);
        assert.equal(r.recap.h2?.changed, 1, r.all);
        for (const h of ["h1", "h2"]) assert.equal(r.recap[h]?.failed, 0, r.all);
        assert.deepEqual(r.recap.h3, { ok: 3, changed: 2, failed: 1, rescued: 1 }, r.all);
        assert.match(
          r.stdout,
          /fatal: \[h3\]: FAILED! => .*Wait for the new version to come up: non-zero return code \(rolled back to 1\.0\)/,
        );
        assert.deepEqual(await s.versions(), {
          h1: ["2.0", "app 2.0"],
          h2: ["2.0", "app 2.0"],
          h3: ["1.0", "app 1.0"],
        });
        assert.equal(await Deno.readTextFile(`${s.dir("h3")}/lib/core.txt`), "core 1\n");
        await assert.rejects(Deno.lstat(`${s.dir("h3")}/lib/new.txt`), Deno.errors.NotFound);
      });

      await t.step("patchops_rollback rolls back only where from_version is installed", async () => {
        const r = await s.ansible("ansible", [
          "patchops",
          "--limit",
          "h2,h3",
          "-m",
          "patchops.fleet.patchops_rollback",
          "-a",
          "dir={{ patchops_dir }} command='{{ patchops_command }}' from_version=2.0",
        ]);
        assert.equal(r.code, 0, r.all);
        assert.match(r.stdout, /^h2 \| CHANGED => /m);
        assert.match(r.stdout, /^h3 \| SUCCESS => /m);
        const now = await s.versions();
        assert.deepEqual([now.h2, now.h3], [["1.0", "app 1.0"], ["1.0", "app 1.0"]]);
      });
    } finally {
      await s.done();
    }
  },
});

Deno.test({
  name: "ansible-doc renders the three modules, and every apply option is a flag of patchops apply",
  ignore: !HAVE_ANSIBLE,
  async fn() {
    const [base, done] = await tempDir("patchops-ansible-doc-");
    try {
      await Deno.mkdir(`${base}/ansible_collections/patchops`, { recursive: true });
      await Deno.symlink(`${ROOT}/contrib/ansible`, `${base}/ansible_collections/patchops/fleet`);
      await Deno.writeTextFile(`${base}/ansible.cfg`, "[defaults]\n");
      const names = ["apply", "status", "rollback"].map((m) => `patchops.fleet.patchops_${m}`);
      const out = await new Deno.Command("ansible-doc", {
        args: ["--json", ...names],
        env: { ANSIBLE_COLLECTIONS_PATH: base, ANSIBLE_CONFIG: `${base}/ansible.cfg` },
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      const docs = JSON.parse(new TextDecoder().decode(out.stdout));
      for (const name of names) {
        const d = docs[name];
        assert.ok(d?.doc?.short_description, `${name}: ${stderr}`);
        assert.match(d.examples, new RegExp(`^- name: .*\\n  ${name.replaceAll(".", "\\.")}:`, "m"));
        assert.equal(d.return.version?.type, "str", name);
        assert.equal(d.doc.options.dir?.required, true, name);
      }
      const options = Object.keys(docs[names[0]!].doc.options).filter((o) =>
        !["manifest", "dir", "command"].includes(o)
      );
      assert.equal(options.length, 10);
      for (const o of options) assert.ok(applyUsage.includes(`--${o.replaceAll("_", "-")}`), o);
    } finally {
      await done();
    }
  },
});
