/**
 * patchops: applies signed incremental patches to install directories as
 * crash-safe transactions. This file only dispatches to `src/cli/`.
 *
 * @module
 */

import { describeError, UsageError } from "./src/errors.ts";
import { printErr, printOut } from "./src/cli/_print.ts";
interface Command<F> {
  usage: string;
  parse(args: string[]): F;
  describe(flags: F): string;
  run(flags: F): Promise<number>;
}

// Commands load on demand: `apply` on a small host should not pay for the SQL drivers.
const COMMANDS: Record<string, () => Promise<Command<unknown>>> = {
  apply: async () => {
    const m = await import("./src/cli/apply.ts");
    return { ...m, parse: m.parseApplyArgs } as Command<unknown>;
  },
  verify: async () => {
    const m = await import("./src/cli/verify.ts");
    return { ...m, parse: m.parseVerifyArgs } as Command<unknown>;
  },
  recover: async () => {
    const m = await import("./src/cli/recover.ts");
    return { ...m, parse: m.parseRecoverArgs } as Command<unknown>;
  },
  rollback: async () => {
    const m = await import("./src/cli/rollback.ts");
    return { ...m, parse: m.parseRollbackArgs } as Command<unknown>;
  },
  status: async () => {
    const m = await import("./src/cli/status.ts");
    return { ...m, parse: m.parseStatusArgs } as Command<unknown>;
  },
  create: async () => {
    const m = await import("./src/cli/create.ts");
    return { ...m, parse: m.parseCreateArgs } as Command<unknown>;
  },
  keygen: async () => {
    const m = await import("./src/cli/keygen.ts");
    return { ...m, parse: m.parseKeygenArgs } as Command<unknown>;
  },
  sign: async () => {
    const m = await import("./src/cli/sign.ts");
    return { ...m, parse: m.parseSignArgs } as Command<unknown>;
  },
  sql: async () => {
    const m = await import("./src/cli/sql.ts");
    return { ...m, parse: m.parseSqlArgs } as Command<unknown>;
  },
};

async function help(): Promise<string> {
  const usages = await Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).usage));
  return ["patchops: apply signed incremental patches safely", "", "usage:", ...usages.map((u) => `  ${u}`)].join("\n");
}

/** Runs the command line `args` and returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (
    name === undefined || name === "help" || name === "--help" || name === "-h"
  ) {
    // Asked for, help is a result (stdout); without a command it is a usage error (stderr, exit 2).
    if (name === undefined) {
      printErr(await help());
      return 2;
    }
    printOut(await help());
    return 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    printErr(`error: unknown command "${name}"`);
    printErr(await help());
    return 2;
  }
  const cmd = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    printOut(`usage: ${cmd.usage}`);
    return 0;
  }
  let flags: unknown;
  try {
    flags = cmd.parse(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      printErr(`error: ${err.message}`);
      printErr(`usage: ${cmd.usage}`);
      return 2;
    }
    throw err;
  }
  try {
    return await cmd.run(flags);
  } catch (err) {
    if (err instanceof UsageError) {
      printErr(`error: ${err.message}`);
      printErr(`usage: ${cmd.usage}`);
      return 2;
    }
    printErr(`error: ${cmd.describe(flags)} (${describeError(err)}${flagHint(err, flags)})`);
    return 1;
  }
}

/** The command-line wording of what the library's error leaves to the caller. */
function flagHint(err: unknown, flags: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "UntrustedOwner" && !(flags as { allowUntrustedOwner?: boolean }).allowUntrustedOwner) {
    return "; pass --allow-untrusted-owner to accept that risk (see the README's security model)";
  }
  if (code === "OperationsUnsigned" && !(flags as { allowUnsignedOperations?: boolean }).allowUnsignedOperations) {
    return "; pass --allow-unsigned-operations to accept it";
  }
  return "";
}

if (import.meta.main) Deno.exit(await main(Deno.args));
