import assert from "node:assert/strict";
import { exec, ROOT } from "../_helpers.ts";

Deno.test("deno task demo runs end to end and exits 0", async () => {
  const task: string = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)).tasks.demo;
  const args = task.split(/\s+/).slice(1).map((a) => (a.endsWith(".ts") ? `${ROOT}/${a}` : a));
  const r = await exec(Deno.execPath(), args, { cwd: ROOT });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /applied 2\.0 to \$DEMO\/install/);
  assert.match(r.stdout, /error: cannot verify .*differ from the signed list/);
  assert.match(r.stdout, /rolled back \$DEMO\/install from 2\.0/);
  assert.match(r.stdout, /^-- ALTER TABLE `users` DROP COLUMN `legacy`;$/m);
  assert.match(r.stdout, /database: 1 statement\(s\) ran; the schema matches the patch/);
  assert.match(r.stdout, /Demo finished/);
});
