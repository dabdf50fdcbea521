/**
 * `patchops keygen --out <prefix>`.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { formatKeyId, formatPublicKey } from "../verify/minisign.ts";
import { formatSecretKey, generateSecretKey, publicKeyOf } from "../verify/secret_key.ts";
import { parseFlags, positionals, stringFlag } from "./_common.ts";
import { PASSWORD_ENV, readPassword } from "./_password.ts";
import { printErr, printOut } from "./_print.ts";

/** Usage line of the command. */
export const usage = `patchops keygen --out <prefix> [--unencrypted] [--force]   (password: stdin or ${PASSWORD_ENV})`;

/** Parsed flags of `keygen`. */
export interface KeygenFlags {
  out: string;
  unencrypted: boolean;
  force: boolean;
}

/** Parses `keygen`'s arguments. Pure; throws `UsageError`. */
export function parseKeygenArgs(args: string[]): KeygenFlags {
  const { values, positionals: pos } = parseFlags(args, {
    out: { type: "string" },
    unencrypted: { type: "boolean", short: "W" },
    "no-password": { type: "boolean" },
    force: { type: "boolean" },
  });
  positionals(pos, []);
  return {
    out: stringFlag(values, "out", true),
    unencrypted: values.unencrypted === true || values["no-password"] === true,
    force: values.force === true,
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: KeygenFlags): string {
  return `cannot create the key pair "${flags.out}"`;
}

async function writeNew(
  path: string,
  text: string,
  mode: number,
  force: boolean,
): Promise<void> {
  try {
    await Deno.writeTextFile(path, text, { createNew: !force, mode });
    await Deno.chmod(path, mode);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw new PatchopsError(
        "KeyInvalid",
        `"${path}" exists already (pass --force to overwrite)`,
      );
    }
    throw err;
  }
}

/** Runs `keygen`; returns the exit code. */
export async function run(flags: KeygenFlags): Promise<number> {
  let password: string | undefined;
  if (!flags.unencrypted) {
    password = await readPassword({ confirm: true });
    if (password === undefined) {
      // Scripts and CI call keygen without a terminal; a key they can use beats a failure, but say so.
      printErr(
        `warning: no password given (stdin empty, ${PASSWORD_ENV} unset): the secret key is stored unencrypted; keep "${flags.out}.key" private`,
      );
    }
  }
  const sk = generateSecretKey();
  const keyText = await formatSecretKey(sk, password);
  await writeNew(`${flags.out}.key`, keyText, 0o600, flags.force);
  await writeNew(
    `${flags.out}.pub`,
    formatPublicKey(publicKeyOf(sk)),
    0o644,
    flags.force,
  );
  printOut(
    `key ${formatKeyId(sk.keyId)}: public key ${flags.out}.pub, secret key ${flags.out}.key${
      password === undefined ? " (unencrypted)" : " (encrypted)"
    }`,
  );
  return 0;
}
