import assert from "node:assert/strict";
import { helpText, parseFlagTable, suggest } from "../../src/cli/_flags.ts";
import { UsageError } from "../../src/errors.ts";
import { flags as applyFlags, parseApplyArgs } from "../../src/cli/apply.ts";
import { parseAdoptArgs } from "../../src/cli/adopt.ts";
import { parseSqlArgs } from "../../src/cli/sql.ts";
import { parseKeygenArgs } from "../../src/cli/keygen.ts";

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  assert.fail("no UsageError");
}

Deno.test("parseApplyArgs() suggests the flag a typo meant", () => {
  assert.equal(
    usageMessage(() => parseApplyArgs(["m.json", "--dir", "d", "--dryrun"])),
    "unknown flag --dryrun (did you mean --dry-run?)",
  );
  assert.equal(usageMessage(() => parseApplyArgs(["m", "--dir", "d", "--bogus-thing"])), "unknown flag --bogus-thing");
});

Deno.test("parseApplyArgs() gives one line for a negative --keep, a missing value and a repeated flag", () => {
  assert.equal(
    usageMessage(() => parseApplyArgs(["m", "--dir", "d", "--keep", "-1"])),
    '--keep must be a whole number of at least 0, got "-1"',
  );
  assert.equal(usageMessage(() => parseApplyArgs(["m", "--dir"])), "--dir needs a value <dir>");
  assert.equal(usageMessage(() => parseApplyArgs(["m", "--dir", "--force"])), "--dir needs a value <dir>");
  assert.equal(usageMessage(() => parseApplyArgs(["m", "--dir", "a", "--dir", "b"])), "--dir is given more than once");
  assert.equal(
    usageMessage(() => parseApplyArgs(["m", "--dir", "d", "--force=yes"])),
    '--force takes no value, got "yes"',
  );
  assert.equal(usageMessage(() => parseApplyArgs(["--dir", "d"])), "missing <manifest>");
});

Deno.test("parseApplyArgs() reads --name=value, defaults and -- ending the flags", () => {
  const f = parseApplyArgs(["--dir=/srv/app", "--keep", "3", "--", "--odd-name.json"]);
  assert.equal(f.dir, "/srv/app");
  assert.equal(f.keep, 3);
  assert.equal(f.manifest, "--odd-name.json");
  assert.equal(f.timeoutSeconds, 30);
  assert.equal(f.json, false);
});

Deno.test("short aliases and hidden spellings still parse", () => {
  assert.equal(parseKeygenArgs(["--out", "k", "-W"]).unencrypted, true);
  assert.equal(parseKeygenArgs(["--out", "k", "--no-password"]).unencrypted, true);
  assert.match(usageMessage(() => parseKeygenArgs(["--out", "k", "-X"])), /^unknown flag -X/);
});

Deno.test("suggest() finds near misses and unique prefixes, not unrelated words", () => {
  const commands = ["apply", "verify", "status", "adopt", "rollback", "recover", "create", "keygen", "sign", "sql"];
  assert.equal(suggest("aply", commands), "apply");
  assert.equal(suggest("stauts", commands), "status");
  assert.equal(suggest("rollbak", commands), "rollback");
  assert.equal(suggest("deploy", commands), undefined);
  assert.equal(suggest("--allow-unt", ["--allow-untrusted-owner", "--allow-unsigned"]), "--allow-untrusted-owner");
});

Deno.test("apply --help has one line per flag with its default", () => {
  const text = helpText("apply", "x", "<manifest>", applyFlags);
  for (const name of Object.keys(applyFlags)) {
    const lines = text.split("\n").filter((l) => l.trimStart().startsWith(`--${name} `) || l.trim() === `--${name}`);
    assert.equal(lines.length, 1, name);
  }
  assert.match(text, /--keep <n> +committed backups kept for rollback \(default: 1\)/);
  assert.match(text, /--timeout <s> +.*\(default: 30\)/);
  assert.match(text, /--dir <dir> +.*\(required\)/);
});

Deno.test("parseFlagTable() treats a lone dash as a positional", () => {
  assert.deepEqual(parseFlagTable(["-"], {}).positionals, ["-"]);
});

Deno.test("adopt and sql parse their own flags", () => {
  assert.deepEqual(parseAdoptArgs(["--dir", "d", "--version", "1.0"]), {
    dir: "d",
    version: "1.0",
    force: false,
    allowUntrustedOwner: false,
  });
  assert.equal(usageMessage(() => parseAdoptArgs(["--dir", "d"])), "missing --version");
  assert.equal(usageMessage(() => parseSqlArgs(["dif"])), 'unknown sql subcommand "dif" (did you mean "diff"?)');
});
