/**
 * patchops: applies signed incremental patches to install directories as
 * crash-safe transactions. This file only dispatches to `src/cli/`.
 *
 * @module
 */

import { describeError, PatchopsError, UsageError } from "./src/errors.ts";
import { printErr, printOut } from "./src/cli/_print.ts";
import { suggest } from "./src/cli/_flags.ts";
import { createOutput, type Output } from "./src/cli/_output.ts";
import denoJson from "./deno.json" with { type: "json" };
import { late } from "./src/late.ts";

/** What every `src/cli/<command>.ts` exports. */
interface Command<F> {
  usage: string;
  help: string;
  parse(args: string[]): F;
  describe(flags: F): string;
  run(flags: F, out: Output): Promise<number>;
  /** What an interrupt left behind, in words (apply: the kept partial download). */
  kept?(flags: F): Promise<string>;
  /** The command stops itself on `out.signal`; others are cut off where they stand. */
  abortable?: boolean;
}

type Loader = () => Promise<Command<unknown>>;

// Commands load on demand: `apply` on a small host should not pay for the SQL drivers.
// Those that need npm packages load through `late` (src/late.ts says why).
const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  apply: {
    summary: "apply a signed patch to an install directory as one transaction",
    load: async () => {
      const m = await import("./src/cli/apply.ts");
      return { ...m, parse: m.parseApplyArgs } as Command<unknown>;
    },
  },
  verify: {
    summary: "fetch and check a patch (hash, signature, members) without installing it",
    load: async () => {
      const m = await import("./src/cli/verify.ts");
      return { ...m, parse: m.parseVerifyArgs } as Command<unknown>;
    },
  },
  status: {
    summary: "show the installed version, history, pending work, backups and downloads",
    load: async () => {
      const m = await import("./src/cli/status.ts");
      return { ...m, parse: m.parseStatusArgs } as Command<unknown>;
    },
  },
  adopt: {
    summary: "record the version of a tree that patchops did not install",
    load: async () => {
      const m = await import("./src/cli/adopt.ts");
      return { ...m, parse: m.parseAdoptArgs } as Command<unknown>;
    },
  },
  rollback: {
    summary: "undo the last applied patch from its backup",
    load: async () => {
      const m = await import("./src/cli/rollback.ts");
      return { ...m, parse: m.parseRollbackArgs } as Command<unknown>;
    },
  },
  recover: {
    summary: "repair what an interrupted run left (also done by every command that locks)",
    load: async () => {
      const m = await import("./src/cli/recover.ts");
      return { ...m, parse: m.parseRecoverArgs } as Command<unknown>;
    },
  },
  create: {
    summary: "build a patch package and manifest from two trees",
    load: async () => {
      const m = await late<typeof import("./src/cli/create.ts")>("./cli/create.ts");
      return { ...m, parse: m.parseCreateArgs } as Command<unknown>;
    },
  },
  keygen: {
    summary: "create a minisign key pair",
    load: async () => {
      const m = await late<typeof import("./src/cli/keygen.ts")>("./cli/keygen.ts");
      return { ...m, parse: m.parseKeygenArgs } as Command<unknown>;
    },
  },
  sign: {
    summary: "sign a file with a minisign secret key",
    load: async () => {
      const m = await late<typeof import("./src/cli/sign.ts")>("./cli/sign.ts");
      return { ...m, parse: m.parseSignArgs } as Command<unknown>;
    },
  },
  sql: {
    summary: "diff two schemas (sql diff) or migrate a database (sql apply)",
    load: async () => {
      const m = await late<typeof import("./src/cli/sql.ts")>("./cli/sql.ts");
      return { ...m, parse: m.parseSqlArgs } as Command<unknown>;
    },
  },
};

/** The version printed by `--version`. */
export const VERSION: string = denoJson.version;

function globalHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "patchops: apply signed incremental patches safely",
    "",
    "usage: patchops <command> [flags]",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    "",
    'Run "patchops help <command>" or "patchops <command> --help" for its flags.',
    "  -h, --help     show this help",
    "  -V, --version  show the version",
  ].join("\n");
}

/** Prints our own multi-line text (help) on stdout, line by line. */
function printLines(text: string): void {
  for (const line of text.split("\n")) printOut(line);
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Runs the command line `args` and returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === "--version" || name === "-V" || name === "version") {
    printOut(`patchops ${VERSION}`);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h") {
    // Asked for, help is a result (stdout); without a command it is a usage error (stderr, exit 2).
    if (name === undefined) {
      printErr(globalHelp());
      return 2;
    }
    printLines(globalHelp());
    return 0;
  }
  if (name === "help") {
    const topic = rest[0];
    if (topic === undefined) {
      printLines(globalHelp());
      return 0;
    }
    const entry = COMMANDS[topic];
    if (entry === undefined) return unknownCommand(topic, false);
    printLines((await entry.load()).help);
    return 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) return unknownCommand(name, rest.includes("--json"));
  const cmd = await entry.load();
  const json = rest.includes("--json");
  if (rest.includes("--help") || rest.includes("-h")) {
    printLines(cmd.help);
    return 0;
  }
  const abort = new AbortController();
  const out = createOutput({ json, signal: abort.signal, command: name });
  let flags: unknown;
  try {
    flags = cmd.parse(rest);
  } catch (err) {
    if (err instanceof UsageError) return usageError(name, cmd, err.message, out);
    throw err;
  }
  let caught: Deno.Signal | undefined;
  let wake: (s: Deno.Signal) => void = () => {};
  const interrupted = new Promise<Deno.Signal>((resolve) => wake = resolve);
  let count = 0;
  const listeners = (["SIGINT", "SIGTERM"] as const).map((s) => {
    const listener = () => {
      caught ??= s;
      abort.abort();
      // A command that stops itself gets a moment; a second signal cuts it off.
      if (!cmd.abortable || ++count > 1) wake(s);
    };
    Deno.addSignalListener(s, listener);
    return [s, listener] as const;
  });
  try {
    const outcome = await Promise.race([cmd.run(flags, out), interrupted.then(() => undefined)]);
    // Each command's run prints its own result event (tests/e2e/cli_test.ts holds every one to it).
    if (outcome !== undefined) return outcome;
    return await reportInterrupt(cmd, flags, out, caught!);
  } catch (err) {
    if (caught !== undefined) return await reportInterrupt(cmd, flags, out, caught);
    if (err instanceof UsageError) return usageError(name, cmd, err.message, out);
    const code = exitCodeOf(err);
    const message = `${cmd.describe(flags)} (${describeError(err)}${flagHint(err, flags)})`;
    printErr(`error: ${message}`);
    if (out.json) {
      out.event("error", { code: (err as { code?: string }).code ?? "Failed", message, exitCode: code });
    }
    return code;
  } finally {
    for (const [s, l] of listeners) Deno.removeSignalListener(s, l);
  }
}

async function reportInterrupt(cmd: Command<unknown>, flags: unknown, out: Output, signal: Deno.Signal) {
  const exitCode = SIGNAL_EXIT[signal] ?? 1;
  let kept = "";
  try {
    kept = (await cmd.kept?.(flags)) ?? "";
  } catch {
    // What was kept is a courtesy; the interrupt is the news.
  }
  const message = `${cmd.describe(flags)} (interrupted by ${signal}${kept ? `; ${kept}` : ""})`;
  printErr(`error: ${message}`);
  if (out.json) out.event("error", { code: "Interrupted", signal, message, exitCode });
  return exitCode;
}

function unknownCommand(name: string, json: boolean): number {
  const guess = suggest(name, Object.keys(COMMANDS));
  const message = `unknown command "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}`;
  printErr(`error: ${message}`);
  printErr("usage: patchops <command> [flags]");
  printErr('Run "patchops --help" for the list of commands.');
  if (json) console.log(JSON.stringify({ event: "error", code: "Usage", message, exitCode: 2 }));
  return 2;
}

function usageError(name: string, cmd: Command<unknown>, message: string, out: Output): number {
  printErr(`error: ${message}`);
  for (const line of cmd.help.split("\n").filter((l) => l.startsWith("usage: "))) printErr(line);
  printErr(`Run "patchops ${name} --help" for its flags.`);
  if (out.json) out.event("error", { code: "Usage", message, exitCode: 2 });
  return 2;
}

/** Exit code of a failure: 3 for withheld destructive SQL, 1 for every other failure. */
function exitCodeOf(err: unknown): number {
  return err instanceof PatchopsError && err.code === "DestructiveWithheld" ? 3 : 1;
}

/** The command-line wording of what the library's error leaves to the caller. */
function flagHint(err: unknown, flags: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "UntrustedOwner" && !(flags as { allowUntrustedOwner?: boolean }).allowUntrustedOwner) {
    return "; pass --allow-untrusted-owner to accept that risk (see the README's security model)";
  }
  const f = flags as { allowUnsignedOperations?: boolean; requireSignedOperations?: boolean };
  if (code === "OperationsUnsigned" && f.requireSignedOperations) return " (--require-signed-operations)";
  if (code === "OperationsUnsigned" && !f.allowUnsignedOperations) {
    return "; pass --allow-unsigned-operations to accept it";
  }
  if (code === "KeyRequired") return "; pass --public-key, or --allow-unsigned to rely on the hash alone";
  if (code === "DestructiveWithheld" && !(flags as { allowDestructive?: boolean }).allowDestructive) {
    return "; pass --allow-destructive to run them";
  }
  if (code === "DbRequired") return "; pass --db <url>, or --skip-db to apply the files only";
  if (code === "PackageHooksNotAllowed") return "; pass --allow-package-hooks to run them (verify lists them)";
  if (code === "VersionGuard" && !(flags as { force?: boolean }).force) return "; pass --force to override";
  if (code === "OutputExists" && !(flags as { force?: boolean }).force) return "; pass --force to overwrite it";
  return "";
}

if (import.meta.main) Deno.exit(await main(Deno.args));
