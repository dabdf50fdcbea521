/**
 * contrib/systemd: the pull-mode units pass `systemd-analyze verify`, and the
 * textfile exporter turns `status --json` into Prometheus metrics.
 */

import assert from "node:assert/strict";
import { parseApplyArgs } from "../../src/cli/apply.ts";
import { exec, makePatch, ROOT, runCli, tempDir } from "../_helpers.ts";

const UNITS = `${ROOT}/contrib/systemd`;
const HAVE_SYSTEMD_ANALYZE = await exec("systemd-analyze", ["--version"]).then((r) => r.code === 0, () => false);
const HAVE_JQ = await exec("jq", ["--version"]).then((r) => r.code === 0, () => false);

/**
 * A root directory for `systemd-analyze --root`: the host's own system units
 * (targets the units refer to), ours in /etc/systemd/system, and a stand-in
 * for the patchops binary, whose existence `verify` checks.
 */
async function unitRoot(): Promise<[string, () => Promise<void>]> {
  const [root, done] = await tempDir("patchops-systemd-");
  await Deno.mkdir(`${root}/usr/lib/systemd`, { recursive: true });
  await Deno.mkdir(`${root}/etc/systemd/system`, { recursive: true });
  await Deno.mkdir(`${root}/usr/local/bin`, { recursive: true });
  const cp = await exec("cp", ["-a", "/usr/lib/systemd/system", `${root}/usr/lib/systemd/`]);
  assert.equal(cp.code, 0, cp.stderr);
  for (const unit of ["patchops-update@.service", "patchops-update@.timer"]) {
    await Deno.copyFile(`${UNITS}/${unit}`, `${root}/etc/systemd/system/${unit}`);
  }
  await Deno.writeTextFile(`${root}/usr/local/bin/patchops`, "#!/bin/sh\n");
  await Deno.chmod(`${root}/usr/local/bin/patchops`, 0o755);
  return [root, done];
}

Deno.test({
  name: "the pull-mode service and timer pass systemd-analyze verify without a warning",
  ignore: !HAVE_SYSTEMD_ANALYZE,
  async fn() {
    const [root, done] = await unitRoot();
    try {
      const instance = (await exec("systemd-escape", ["--path", "/opt/app"])).stdout.trim();
      assert.equal(instance, "opt-app");
      const units = [`patchops-update@${instance}.service`, `patchops-update@${instance}.timer`];
      const r = await exec("systemd-analyze", ["verify", `--root=${root}`, ...units]);
      assert.equal(r.code, 0, r.stderr);
      // Unknown keys and unparsable values are only warnings: the output must be empty.
      assert.equal(r.stderr + r.stdout, "");

      const sec = await exec("systemd-analyze", ["security", "--offline=yes", `--root=${root}`, units[0]!]);
      const level = /Overall exposure level for .*: (\d+\.\d+)/.exec(sec.stdout + sec.stderr);
      assert.ok(level, sec.stdout + sec.stderr);
      assert.ok(Number(level[1]) <= 3, `exposure ${level[1]}`);
    } finally {
      await done();
    }
  },
});

Deno.test("the service's ExecStart is an apply command line that patchops accepts", () => {
  const unit = Deno.readTextFileSync(`${UNITS}/patchops-update@.service`);
  const line = /^ExecStart=(.*)$/m.exec(unit)?.[1];
  assert.ok(line);
  // What systemd would run for patchops-update@opt-app with the README's environment file.
  const env: Record<string, string> = {
    PATCHOPS_CHANNEL: "https://updates.example.com/app/stable/manifest.json",
    PATCHOPS_PUBLIC_KEY: "/etc/patchops/release.pub",
    PATCHOPS_APPLY_FLAGS: "--timeout 120 --keep 2",
  };
  const words = line.split(" ").flatMap((w) => {
    if (w === "%f") return ["/opt/app"];
    const braced = /^\$\{(\w+)\}$/.exec(w);
    if (braced) return [env[braced[1]!]!];
    const bare = /^\$(\w+)$/.exec(w);
    return bare ? env[bare[1]!]!.split(" ") : [w];
  });
  assert.deepEqual(words.slice(0, 2), ["/usr/local/bin/patchops", "apply"]);
  const flags = parseApplyArgs(words.slice(2));
  assert.equal(flags.manifest, env.PATCHOPS_CHANNEL);
  assert.equal(flags.dir, "/opt/app");
  assert.equal(flags.publicKey, env.PATCHOPS_PUBLIC_KEY);
  assert.equal(flags.timeoutSeconds, 120);
  assert.equal(flags.keep, 2);
  assert.equal(flags.json, false);
  assert.match(unit, /^ReadWritePaths=%f$/m);
});

Deno.test({
  name: "patchops-textfile writes the status as Prometheus metrics, escaping label values",
  ignore: !HAVE_JQ,
  async fn() {
    const [base, done] = await tempDir();
    try {
      const app = `${base}/app "blue"\\1`;
      await Deno.mkdir(app);
      const manifest = await makePatch(base, [{ path: "a.txt", data: "2" }], { replace: { files: ["a.txt"] } }, {
        extra: { version: "2.0" },
      });
      const applied = await runCli(["apply", manifest, "--dir", app, "--allow-unsigned"]);
      assert.equal(applied.code, 0, applied.stderr);
      const out = `${base}/textfile`;
      await Deno.mkdir(out);
      const run = (dir: string, result: string) =>
        new Deno.Command(`${UNITS}/patchops-textfile`, {
          args: [dir, out],
          env: { PATCHOPS: `${Deno.execPath()} run -A --quiet ${ROOT}/main.ts`, SERVICE_RESULT: result },
          stdout: "piped",
          stderr: "piped",
        }).output();
      assert.equal((await run(app, "success")).code, 0);
      const files = await Array.fromAsync(Deno.readDir(out), (e) => e.name);
      assert.equal(files.length, 1);
      const label = `dir="${base}/app \\"blue\\"\\\\1"`;
      const text = await Deno.readTextFile(`${out}/${files[0]}`);
      const lines = text.trimEnd().split("\n").map((l) => l.replace(/ \d{10}$/, " <time>"));
      assert.deepEqual(lines, [
        `patchops_status_ok{${label}} 1`,
        `patchops_version_info{${label},version="2.0"} 1`,
        `patchops_applied_timestamp_seconds{${label}} <time>`,
        `patchops_pending_transactions{${label}} 0`,
        `patchops_backups{${label}} 1`,
        `patchops_last_run_success{${label}} 1`,
        `patchops_last_run_timestamp_seconds{${label}} <time>`,
      ]);
      const appliedAt = JSON.parse((await runCli(["status", "--dir", app, "--json"])).stdout).appliedAt;
      assert.match(
        text,
        new RegExp(`^patchops_applied_timestamp_seconds\\{.*\\} ${Math.floor(Date.parse(appliedAt) / 1000)}$`, "m"),
      );

      // A failed run on a directory patchops cannot read: the exporter still reports, and succeeds.
      const missing = await run(`${base}/missing`, "exit-code");
      assert.equal(missing.code, 0, new TextDecoder().decode(missing.stderr));
      const failed = await Deno.readTextFile(`${out}/${files[0]!.replace(/app.*$/, "missing.prom")}`);
      assert.equal(
        failed.replace(/ \d{10}\n/g, " <time>\n"),
        [
          `patchops_status_ok{dir="${base}/missing"} 0`,
          `patchops_last_run_success{dir="${base}/missing"} 0`,
          `patchops_last_run_timestamp_seconds{dir="${base}/missing"} <time>`,
          "",
        ].join("\n"),
      );
    } finally {
      await done();
    }
  },
});
