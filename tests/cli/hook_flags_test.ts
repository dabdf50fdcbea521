import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { parseApplyArgs } from "../../src/cli/apply.ts";
import { parseCreateArgs } from "../../src/cli/create.ts";
import { parseRecoverArgs } from "../../src/cli/recover.ts";
import { parseRollbackArgs } from "../../src/cli/rollback.ts";

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err.message;
  }
  assert.fail("no UsageError");
}

const CREATE = ["--from", "a", "--to", "b", "--out", "o"];

Deno.test("create --hook may be given once per stage, as <stage>=<file>", () => {
  assert.deepEqual(parseCreateArgs([...CREATE, "--hook", "pre-apply=x.sh", "--hook=post-apply=/p/y=z"]).hooks, [
    { stage: "pre-apply", file: "x.sh" },
    { stage: "post-apply", file: "/p/y=z" },
  ]);
  assert.deepEqual(parseCreateArgs(CREATE).hooks, []);
  assert.equal(
    usageMessage(() => parseCreateArgs([...CREATE, "--hook", "pre-rollback=x"])),
    '--hook stage must be pre-apply or post-apply, got "pre-rollback"',
  );
  assert.equal(
    usageMessage(() => parseCreateArgs([...CREATE, "--hook", "x.sh"])),
    '--hook must be <stage>=<file>, got "x.sh"',
  );
  assert.equal(
    usageMessage(() => parseCreateArgs([...CREATE, "--hook", "pre-apply="])),
    '--hook must be <stage>=<file>, got "pre-apply="',
  );
  assert.equal(
    usageMessage(() => parseCreateArgs([...CREATE, "--hook", "pre-apply=a", "--hook", "pre-apply=b"])),
    "--hook pre-apply is given more than once",
  );
  // Other flags still refuse repetition.
  assert.equal(
    usageMessage(() => parseCreateArgs([...CREATE, "--version", "1", "--version", "2"])),
    "--version is given more than once",
  );
});

Deno.test("apply, rollback and recover read the hook flags", () => {
  const a = parseApplyArgs([
    "m",
    "--dir",
    "d",
    "--hooks-dir",
    "h",
    "--hook-timeout",
    "5",
    "--rollback-on-hook-failure",
  ]);
  assert.deepEqual([a.hooksDir, a.hookTimeout, a.rollbackOnHookFailure, a.allowPackageHooks], ["h", 5, true, false]);
  const d = parseApplyArgs(["m", "--dir", "d", "--allow-package-hooks"]);
  assert.deepEqual([d.hooksDir, d.hookTimeout, d.rollbackOnHookFailure, d.allowPackageHooks], [
    undefined,
    300,
    false,
    true,
  ]);
  assert.equal(
    usageMessage(() => parseApplyArgs(["m", "--dir", "d", "--hook-timeout", "0"])),
    '--hook-timeout must be a whole number of at least 1, got "0"',
  );
  assert.equal(parseRollbackArgs(["--dir", "d", "--hooks-dir", "h"]).hooksDir, "h");
  const r = parseRecoverArgs(["--dir", "d", "--run-hooks"]);
  assert.deepEqual([r.runHooks, r.hooksDir], [true, undefined]);
  assert.equal(parseRecoverArgs(["--dir", "d"]).runHooks, false);
});
