/**
 * `patchops keygen --out <prefix>`.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { formatKeyId, formatPublicKey } from "../verify/minisign.ts";
import { formatSecretKey, generateSecretKey, publicKeyOf } from "../verify/secret_key.ts";
import { COMMON_FLAGS, type FlagTable, parseFlags, positionals, stringFlag } from "./_common.ts";
import { helpText, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { PASSWORD_ENV, readPassword } from "./_password.ts";
import { printErr, printOut } from "./_print.ts";

/** Flags of `keygen`. */
export const flags: FlagTable = {
  out: { type: "string", value: "<prefix>", required: true, help: "writes <prefix>.key and <prefix>.pub" },
  unencrypted: { type: "boolean", short: "W", help: "store the secret key without a password" },
  "no-password": { type: "boolean", hidden: true, help: "same as --unencrypted" },
  force: { type: "boolean", help: "overwrite existing key files" },
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("keygen", "", flags);

/** `--help` text. */
export const help: string = helpText(
  "keygen",
  "create a minisign key pair",
  "",
  flags,
  "The password is read from stdin or $PATCHOPS_KEY_PASSWORD; without one the key is stored unencrypted, with a warning.",
);

/** Parsed flags of `keygen`. */
export interface KeygenFlags {
  out: string;
  unencrypted: boolean;
  force: boolean;
}

/** Parses `keygen`'s arguments. Pure; throws `UsageError`. */
export function parseKeygenArgs(args: string[]): KeygenFlags {
  const { values, positionals: pos } = parseFlags(args, flags);
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
export async function run(flags: KeygenFlags, out: Output): Promise<number> {
  let password: string | undefined;
  if (!flags.unencrypted) {
    password = await readPassword({ confirm: true });
    if (password === undefined) {
      // Scripts and CI call keygen without a terminal; a key they can use beats a failure, but say so.
      out.warn(
        `no password given (stdin empty, ${PASSWORD_ENV} unset): the secret key is stored unencrypted; keep "${flags.out}.key" private`,
      );
    }
  }
  const sk = generateSecretKey();
  if (password !== undefined) printErr("encrypting the secret key (scrypt, a few seconds)");
  const keyText = await formatSecretKey(sk, password);
  await writeNew(`${flags.out}.key`, keyText, 0o600, flags.force);
  await writeNew(
    `${flags.out}.pub`,
    formatPublicKey(publicKeyOf(sk)),
    0o644,
    flags.force,
  );
  if (out.json) {
    out.event("result", {
      exitCode: 0,
      keyId: formatKeyId(sk.keyId),
      publicKey: `${flags.out}.pub`,
      secretKey: `${flags.out}.key`,
      encrypted: password !== undefined,
    });
    return 0;
  }
  printOut(
    `key ${formatKeyId(sk.keyId)}: public key ${flags.out}.pub, secret key ${flags.out}.key${
      password === undefined ? " (unencrypted)" : " (encrypted)"
    }`,
  );
  return 0;
}
