/**
 * Progress: a live line in a real terminal (tmux), plain lines otherwise,
 * NDJSON with --json, and the pure render function.
 */

import assert from "node:assert/strict";
import { have } from "../_env.ts";
import { fitWidth, formatDuration, RateMeter, renderProgress } from "../../src/cli/_progress.ts";
import { concat, exec, makePatch, ROOT, runCli, tempDir, writeTree } from "../_helpers.ts";

const HAVE_TMUX = await have("tmux");

/** Serves `root`, sending each file slowly so that progress has time to show. */
function slowServer(root: string) {
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    async (req) => {
      const data = await Deno.readFile(`${root}${new URL(req.url).pathname}`).catch(() => undefined);
      if (!data) return new Response("no", { status: 404 });
      let off = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (off >= data.length) return c.close();
          await new Promise((r) => setTimeout(r, 40));
          c.enqueue(data.slice(off, off + 64 * 1024));
          off += 64 * 1024;
        },
      });
      return new Response(body, { headers: { "content-length": String(data.length) } });
    },
  );
  return { url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`, close: () => controller.abort() };
}

async function setup(dir: string) {
  await writeTree(`${dir}/app`, { "a.bin": "old" });
  const noise = concat(Array.from({ length: 32 }, () => crypto.getRandomValues(new Uint8Array(65_536))));
  await makePatch(`${dir}/srv`, [{ path: "a.bin", data: noise }], { replace: { files: ["a.bin"] } });
}

Deno.test("renderProgress() draws each phase on one line, with singular and plural right", () => {
  assert.equal(
    renderProgress({ phase: "download", bytes: 1048576, total: 4194304, files: 3, elapsedMs: 1000 }, {
      rate: 1048576,
      etaSeconds: 3,
    }),
    "download 25% 1.0 MiB of 4.0 MiB at 1.0 MiB/s, ETA 3 s, 3 files staged",
  );
  assert.equal(
    renderProgress({ phase: "download", bytes: 10, total: 4194304, files: 1, elapsedMs: 100 }),
    "download 0% 10 B of 4.0 MiB, 1 file staged",
  );
  assert.equal(renderProgress({ phase: "commit", steps: 5, totalSteps: 9, elapsedMs: 10 }), "commit 5/9 steps");
  assert.equal(renderProgress({ phase: "commit", steps: 0, totalSteps: 1, elapsedMs: 10 }), "commit 0/1 step");
  assert.equal(renderProgress({ phase: "sync", files: 1, elapsedMs: 10 }), "sync 1 staged file to disk");
  assert.equal(renderProgress({ phase: "done", elapsedMs: 2500 }), "done in 2.5 s");
});

Deno.test("renderProgress() shows final values when a phase is over", () => {
  const last = { phase: "download", bytes: 4100000, total: 4194304, files: 0, elapsedMs: 900 } as const;
  assert.equal(renderProgress(last, { final: true, rate: 2097152 }), "download 100% 4.0 MiB at 2.0 MiB/s");
  assert.equal(
    renderProgress({ phase: "commit", steps: 6, totalSteps: 7, elapsedMs: 10 }, { final: true }),
    "commit 7/7 steps",
  );
});

Deno.test("fitWidth() cuts a line to the terminal's width, never wrapping", () => {
  const line = "download 25% 1.0 MiB of 4.0 MiB at 1.0 MiB/s, ETA 3 s, 3 files staged";
  assert.equal(fitWidth(line, 40), `${line.slice(0, 38)}…`);
  assert.ok(Array.from(fitWidth(line, 40)).length < 40);
  assert.equal(fitWidth(line, 120), line);
  assert.equal(formatDuration(200), "3 min 20 s");
});

Deno.test("RateMeter counts only this run's bytes and waits before an ETA", () => {
  const m = new RateMeter();
  // 20 MiB resumed from an earlier run are there at the first sample; then 1 MiB/s.
  m.add(0, 20 << 20);
  assert.equal(m.rate(), undefined);
  m.add(500, (20 << 20) + (512 << 10));
  assert.equal(m.rate(), undefined);
  assert.equal(m.eta(40 << 20), undefined);
  for (let t = 1000; t <= 3000; t += 500) m.add(t, (20 << 20) + (t / 1000) * (1 << 20));
  assert.equal(m.rate(), 1 << 20);
  assert.equal(m.eta(40 << 20), 17);
  // Bytes read back from a kept partial download are below the floor: no sample, no speed.
  const resumed = new RateMeter();
  resumed.add(0, 64 << 10, 20 << 20);
  resumed.add(100, 20 << 20, 20 << 20);
  resumed.add(1100, (20 << 20) + (1 << 20), 20 << 20);
  assert.equal(resumed.rate(), 1 << 20);
  // The window slides: a later, slower stretch shows.
  for (let t = 3500; t <= 12000; t += 500) m.add(t, (23 << 20) + ((t - 3000) / 1000) * (256 << 10));
  assert.equal(m.rate(), 256 << 10);
});

Deno.test("apply --json emits NDJSON progress events and a result on stdout", async () => {
  const [dir, done] = await tempDir();
  await Deno.mkdir(`${dir}/srv`);
  const server = slowServer(`${dir}/srv`);
  try {
    await setup(dir);
    const r = await runCli(["apply", `${server.url}/patch.json`, "--dir", `${dir}/app`, "--allow-unsigned", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const phases = new Set(events.filter((e) => e.event === "progress").map((e) => e.phase));
    for (const p of ["download", "verify", "commit", "done"]) assert.ok(phases.has(p), `phase ${p}: ${[...phases]}`);
    const downloads = events.filter((e) => e.phase === "download");
    assert.ok(downloads.length >= 3, "several download events");
    assert.ok(
      downloads.every((e) => typeof e.bytes === "number" && e.total === downloads[0].total && e.elapsedMs >= 0),
    );
    assert.equal(events.at(-1).event, "result");
    assert.equal(events.at(-1).filesReplaced, 1);
    // Not a terminal: plain lines on stderr, no carriage returns.
    const plain = await runCli([
      "apply",
      `${server.url}/patch.json`,
      "--dir",
      `${dir}/app`,
      "--allow-unsigned",
      "--force",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /^download \d+% .* of 2\.0 MiB/m);
    assert.doesNotMatch(plain.stderr, /\r/);
  } finally {
    server.close();
    await done();
  }
});

for (const width of [40, 120]) {
  Deno.test({
    name: `apply draws a live progress line cut to a ${width}-column terminal (tmux)`,
    ignore: !HAVE_TMUX,
    async fn() {
      const [dir, done] = await tempDir();
      await Deno.mkdir(`${dir}/srv`);
      const server = slowServer(`${dir}/srv`);
      const session = `patchops-test-${Deno.pid}-${width}`;
      try {
        await setup(dir);
        const cmd =
          `${Deno.execPath()} run --quiet -A ${ROOT}/main.ts apply ${server.url}/patch.json --dir ${dir}/app --allow-unsigned; echo EXIT=$?; sleep 30`;
        const started = await exec("tmux", [
          "new-session",
          "-d",
          "-s",
          session,
          "-x",
          String(width),
          "-y",
          "30",
          "env",
          "-u",
          "NO_COLOR",
          "bash",
          "-c",
          cmd,
        ]);
        assert.equal(started.code, 0, started.stderr);
        let sawLive = false;
        let screen = "";
        for (let i = 0; i < 100; i++) {
          await new Promise((r) => setTimeout(r, 100));
          screen = (await exec("tmux", ["capture-pane", "-p", "-t", session])).stdout;
          if (/^download \d+% /m.test(screen) && !/EXIT=/.test(screen)) sawLive = true;
          if (/EXIT=\d/.test(screen)) break;
        }
        assert.ok(sawLive, `a live download line was drawn:\n${screen}`);
        assert.match(screen, /EXIT=0/);
        const lines = screen.split("\n");
        // Redrawn in place and cut, never wrapped: one line per phase, none filling the width.
        assert.equal(lines.filter((l) => l.startsWith("download")).length, 1, screen);
        for (const l of lines.filter((l) => /^(download|verify|sync|commit|done)/.test(l))) {
          assert.ok(Array.from(l).length < width, `${l.length}: ${l}`);
        }
        // The last lines are the truth: the download complete, every commit step done.
        assert.match(screen, /^download 100% /m);
        assert.match(screen, /^commit 1\/1 step/m);
        if (width === 120) assert.match(screen, /^download 100% 2\.0 MiB at [\d.]+ [KM]iB\/s$/m);
        assert.match(screen, /^applied sha256:/m);
      } finally {
        await exec("tmux", ["kill-session", "-t", session]).catch(() => {});
        server.close();
        await done();
      }
    },
  });
}
