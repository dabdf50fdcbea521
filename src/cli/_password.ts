/**
 * Where a secret key's password comes from: the `PATCHOPS_KEY_PASSWORD`
 * environment variable, else standard input (a prompt without echo on a
 * terminal, the first line otherwise).
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** The environment variable holding a key password. */
export const PASSWORD_ENV = "PATCHOPS_KEY_PASSWORD";

function fromEnv(): string | undefined {
  const granted = Deno.permissions.querySync({ name: "env", variable: PASSWORD_ENV })
    .state === "granted";
  return granted ? Deno.env.get(PASSWORD_ENV) : undefined;
}

async function promptHidden(question: string): Promise<string> {
  const enc = new TextEncoder();
  Deno.stderr.writeSync(enc.encode(question));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null || buf[0] === 0x0d || buf[0] === 0x0a) break;
      if (buf[0] === 0x03) throw new UsageError("cancelled");
      if (buf[0] === 0x7f) bytes.pop();
      else bytes.push(buf[0]!);
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stderr.writeSync(enc.encode("\n"));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

async function firstLineOfStdin(): Promise<string | undefined> {
  const text = await new Response(Deno.stdin.readable).text();
  const line = text.split(/\r?\n/)[0];
  return line === undefined || line === "" ? undefined : line;
}

/**
 * Reads a password. With `confirm`, a terminal user types it twice. Returns
 * `undefined` when none is given (empty stdin, no variable).
 */
export async function readPassword(
  options?: { confirm?: boolean },
): Promise<string | undefined> {
  const env = fromEnv();
  if (env !== undefined && env !== "") return env;
  if (Deno.stdin.isTerminal()) {
    const first = await promptHidden("Password: ");
    if (options?.confirm) {
      const again = await promptHidden("Password (again): ");
      if (again !== first) throw new UsageError("the passwords do not match");
    }
    return first === "" ? undefined : first;
  }
  return await firstLineOfStdin();
}
