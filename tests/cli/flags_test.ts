/**
 * The flag parsers of every command, called directly: pure functions, no
 * subprocess. A user's mistake is a `UsageError` (exit 2), never a crash.
 */

import assert from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { parseApplyArgs } from "../../src/cli/apply.ts";
import { parseCreateArgs } from "../../src/cli/create.ts";
import { parseKeygenArgs } from "../../src/cli/keygen.ts";
import { parseRecoverArgs } from "../../src/cli/recover.ts";
import { parseRollbackArgs } from "../../src/cli/rollback.ts";
import { parseSignArgs } from "../../src/cli/sign.ts";
import { parseSqlArgs } from "../../src/cli/sql.ts";
import { parseStatusArgs } from "../../src/cli/status.ts";
import { parseVerifyArgs } from "../../src/cli/verify.ts";
import { intFlag, positionals, stringFlag } from "../../src/cli/_common.ts";

function usage(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UsageError, `a UsageError, got ${err}`);
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("parseApplyArgs() reads every flag, with defaults for the rest", () => {
  assert.deepEqual(parseApplyArgs(["m.json", "--dir", "/opt/app"]), {
    manifest: "m.json",
    dir: "/opt/app",
    publicKey: undefined,
    allowUnsigned: false,
    requireSignedOperations: false,
    arch: undefined,
    dryRun: false,
    json: false,
    keep: 1,
    timeoutSeconds: 30,
    force: false,
    db: undefined,
    skipDb: false,
    allowDestructive: false,
    allowUnsignedOperations: false,
    allowUntrustedOwner: false,
    deadlineSeconds: 3600,
    speedLimit: 1024,
    speedTime: 60,
  });
  const all = parseApplyArgs([
    "--dir=/d",
    "https://x/m.json",
    "--public-key",
    "k.pub",
    "--allow-unsigned",
    "--require-signed-operations",
    "--arch",
    "aarch64",
    "--dry-run",
    "--json",
    "--keep",
    "0",
    "--timeout",
    "5",
    "--force",
    "--db",
    "sqlite:a.db",
    "--skip-db",
    "--allow-destructive",
    "--allow-unsigned-operations",
    "--allow-untrusted-owner",
    "--deadline",
    "60",
    "--speed-limit",
    "0",
    "--speed-time",
    "5",
  ]);
  assert.deepEqual(all, {
    manifest: "https://x/m.json",
    dir: "/d",
    publicKey: "k.pub",
    allowUnsigned: true,
    requireSignedOperations: true,
    arch: "aarch64",
    dryRun: true,
    json: true,
    keep: 0,
    timeoutSeconds: 5,
    force: true,
    db: "sqlite:a.db",
    skipDb: true,
    allowDestructive: true,
    allowUnsignedOperations: true,
    allowUntrustedOwner: true,
    deadlineSeconds: 60,
    speedLimit: 0,
    speedTime: 5,
  });
});

Deno.test("parseApplyArgs() turns every mistake into a UsageError naming it", () => {
  usage(() => parseApplyArgs([]), /missing <manifest>/);
  usage(() => parseApplyArgs(["m.json"]), /missing --dir/);
  usage(() => parseApplyArgs(["m.json", "--dir"]), /--dir/);
  usage(() => parseApplyArgs(["m.json", "--dir", ""]), /--dir must not be empty/);
  usage(() => parseApplyArgs(["m.json", "--dir", "d", "extra"]), /unexpected argument "extra"/);
  usage(() => parseApplyArgs(["m.json", "--dir", "d", "--bogus"]), /bogus/);
  usage(
    () => parseApplyArgs(["m.json", "--dir", "d", "--timeout", "0"]),
    /--timeout must be a whole number of at least 1, got "0"/,
  );
  usage(() => parseApplyArgs(["m.json", "--dir", "d", "--keep", "-1"]), /--keep/);
  usage(() => parseApplyArgs(["m.json", "--dir", "d", "--keep", "1.5"]), /--keep must be a whole number/);
  usage(() => parseApplyArgs(["m.json", "--dir", "d", "--dry-run=yes"]), /dry-run/);
});

Deno.test("parseVerifyArgs() takes no --dir and defaults its timeout", () => {
  assert.deepEqual(parseVerifyArgs(["m.json", "--allow-unsigned", "--timeout", "9"]), {
    manifest: "m.json",
    publicKey: undefined,
    allowUnsigned: true,
    requireSignedOperations: false,
    allowUnsignedOperations: false,
    deadlineSeconds: 3600,
    speedLimit: 1024,
    speedTime: 60,
    arch: undefined,
    timeoutSeconds: 9,
  });
  usage(() => parseVerifyArgs(["m.json", "--dir", "d"]), /dir/);
  usage(() => parseVerifyArgs([]), /missing <manifest>/);
});

Deno.test("parseCreateArgs() requires --from, --to and --out and checks --mtime and --compression", () => {
  const base = ["--from", "a", "--to", "b", "--out", "o"];
  assert.deepEqual(parseCreateArgs(base), {
    from: "a",
    to: "b",
    out: "o",
    url: undefined,
    secretKey: undefined,
    version: undefined,
    fromVersion: undefined,
    notes: undefined,
    mtime: 0,
    schema: undefined,
    schemaDialect: undefined,
    compression: "gzip",
    arch: undefined,
  });
  const full = parseCreateArgs([
    ...base,
    "--url",
    "https://u/p.tar.zst",
    "--secret-key",
    "s.key",
    "--version",
    "2.0",
    "--from-version",
    "1.0",
    "--notes",
    "n",
    "--mtime",
    "1700000000",
    "--schema",
    "s.sql",
    "--schema-dialect",
    "postgres",
    "--compression",
    "zstd",
  ]);
  assert.equal(full.mtime, 1700000000);
  assert.equal(full.compression, "zstd");
  assert.equal(full.fromVersion, "1.0");
  usage(() => parseCreateArgs(["--from", "a", "--to", "b"]), /missing --out/);
  usage(
    () => parseCreateArgs([...base, "--mtime", "yesterday"]),
    /--mtime must be seconds since 1970, got "yesterday"/,
  );
  usage(() => parseCreateArgs([...base, "--compression", "xz"]), /--compression must be gzip or zstd, got "xz"/);
  usage(() => parseCreateArgs([...base, "stray"]), /unexpected argument "stray"/);
});

Deno.test("parseKeygenArgs(), parseSignArgs(), parseRecoverArgs(), parseRollbackArgs() and parseStatusArgs()", () => {
  assert.deepEqual(parseKeygenArgs(["--out", "k"]), { out: "k", unencrypted: false, force: false });
  assert.deepEqual(parseKeygenArgs(["--out", "k", "-W", "--force"]), { out: "k", unencrypted: true, force: true });
  assert.equal(parseKeygenArgs(["--out", "k", "--no-password"]).unencrypted, true);
  usage(() => parseKeygenArgs([]), /missing --out/);

  assert.deepEqual(parseSignArgs(["f.tar.gz", "--secret-key", "s", "--trusted-comment", "v2"]), {
    file: "f.tar.gz",
    secretKey: "s",
    trustedComment: "v2",
  });
  usage(() => parseSignArgs(["--secret-key", "s"]), /missing <file>/);
  usage(() => parseSignArgs(["f"]), /missing --secret-key/);

  assert.deepEqual(parseRecoverArgs(["--dir", "d"]), { dir: "d", allowUntrustedOwner: false, discardDownloads: false });
  assert.deepEqual(parseRecoverArgs(["--dir", "d", "--discard-downloads", "--allow-untrusted-owner"]), {
    dir: "d",
    allowUntrustedOwner: true,
    discardDownloads: true,
  });
  usage(() => parseRecoverArgs(["d"]), /unexpected argument "d"/);

  assert.deepEqual(parseRollbackArgs(["--dir", "d"]), { dir: "d", keep: 1, allowUntrustedOwner: false });
  assert.deepEqual(parseRollbackArgs(["--dir", "d", "--keep", "3"]), { dir: "d", keep: 3, allowUntrustedOwner: false });
  usage(() => parseRollbackArgs(["--dir", "d", "--keep", "x"]), /--keep must be a whole number of at least 0, got "x"/);

  assert.deepEqual(parseStatusArgs(["--dir", "d", "--json"]), { dir: "d", json: true, allowUntrustedOwner: false });
  usage(() => parseStatusArgs([]), /missing --dir/);
});

Deno.test("parseSqlArgs() reads both subcommands and refuses unknown dialects, subcommands and database URLs", () => {
  assert.deepEqual(parseSqlArgs(["diff", "a.sql", "b.sql"]), {
    sub: "diff",
    from: "a.sql",
    to: "b.sql",
    dialect: "mysql",
    allowDestructive: false,
  });
  assert.equal(
    (parseSqlArgs(["diff", "a.sql", "b.sql", "--dialect", "sqlite"]) as { dialect: string }).dialect,
    "sqlite",
  );
  assert.deepEqual(parseSqlArgs(["apply", "t.sql", "--db", "sqlite:x.db", "--dry-run", "--lock-timeout", "0"]), {
    sub: "apply",
    target: "t.sql",
    db: "sqlite:x.db",
    dryRun: true,
    allowDestructive: false,
    lockTimeoutSeconds: 0,
  });
  assert.equal(
    (parseSqlArgs(["apply", "t.sql", "--db", "sqlite:x.db"]) as { lockTimeoutSeconds: number }).lockTimeoutSeconds,
    60,
  );
  usage(() => parseSqlArgs([]), /missing sql subcommand/);
  usage(() => parseSqlArgs(["drop"]), /unknown sql subcommand "drop"/);
  usage(() => parseSqlArgs(["diff", "a.sql"]), /missing <to\.sql>/);
  usage(
    () => parseSqlArgs(["diff", "a.sql", "b.sql", "--dialect", "oracle"]),
    /--dialect must be one of mysql, mariadb, postgres, sqlite, got "oracle"/,
  );
  usage(() => parseSqlArgs(["apply", "t.sql"]), /missing --db/);
  assert.throws(() => parseSqlArgs(["apply", "t.sql", "--db", "oracle://x"]));
});

Deno.test("stringFlag(), intFlag() and positionals() say exactly what is wrong", () => {
  assert.equal(stringFlag({ a: "x" }, "a", true), "x");
  assert.equal(stringFlag({}, "a"), undefined);
  usage(() => stringFlag({}, "a", true), /^missing --a$/);
  assert.equal(intFlag({}, "n", 7), 7);
  assert.equal(intFlag({ n: "0012" }, "n", 7), 12);
  usage(() => intFlag({ n: "2" }, "n", 7, 3), /at least 3, got "2"/);
  usage(() => intFlag({ n: "1e3" }, "n", 7), /got "1e3"/);
  assert.deepEqual(positionals(["a", "b"], ["x", "y"]), ["a", "b"]);
  usage(() => positionals([], ["x", "y"]), /^missing <x> <y>$/);
});
