/**
 * patchops: applies signed incremental patches to install directories as
 * crash-safe transactions. This file only dispatches to `src/cli/`.
 *
 * @module
 */

import { describeError, UsageError } from "./src/errors.ts";
import * as apply from "./src/cli/apply.ts";
import * as create from "./src/cli/create.ts";
import * as keygen from "./src/cli/keygen.ts";
import * as sign from "./src/cli/sign.ts";
import * as sqlCmd from "./src/cli/sql.ts";
import * as recover from "./src/cli/recover.ts";
import * as rollback from "./src/cli/rollback.ts";
import * as status from "./src/cli/status.ts";
import * as verify from "./src/cli/verify.ts";

interface Command<F> {
  usage: string;
  parse(args: string[]): F;
  describe(flags: F): string;
  run(flags: F): Promise<number>;
}

function command<F>(c: Command<F>): Command<unknown> {
  return c as Command<unknown>;
}

const COMMANDS: Record<string, Command<unknown>> = {
  apply: command({ ...apply, parse: apply.parseApplyArgs }),
  verify: command({ ...verify, parse: verify.parseVerifyArgs }),
  recover: command({ ...recover, parse: recover.parseRecoverArgs }),
  rollback: command({ ...rollback, parse: rollback.parseRollbackArgs }),
  status: command({ ...status, parse: status.parseStatusArgs }),
  create: command({ ...create, parse: create.parseCreateArgs }),
  keygen: command({ ...keygen, parse: keygen.parseKeygenArgs }),
  sign: command({ ...sign, parse: sign.parseSignArgs }),
  sql: command({ ...sqlCmd, parse: sqlCmd.parseSqlArgs }),
};

function help(): string {
  return [
    "patchops: apply signed incremental patches safely",
    "",
    "usage:",
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
  ].join("\n");
}

/** Runs the command line `args` and returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (
    name === undefined || name === "help" || name === "--help" || name === "-h"
  ) {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    console.error(`error: unknown command "${name}"`);
    console.error(help());
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: ${cmd.usage}`);
    return 0;
  }
  let flags: unknown;
  try {
    flags = cmd.parse(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}`);
      console.error(`usage: ${cmd.usage}`);
      return 2;
    }
    throw err;
  }
  try {
    return await cmd.run(flags);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}`);
      console.error(`usage: ${cmd.usage}`);
      return 2;
    }
    console.error(`error: ${cmd.describe(flags)} (${describeError(err)})`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
