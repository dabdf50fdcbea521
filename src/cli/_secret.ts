/**
 * Loads a secret key file given on the command line, asking for its
 * password only when it is encrypted.
 *
 * @module
 */

import { PatchopsError, UsageError } from "../errors.ts";
import { isEncrypted, parseSecretKey, type SecretKey } from "../verify/secret_key.ts";
import { PASSWORD_ENV, readPassword } from "./_password.ts";
import { printErr } from "./_print.ts";

/** Reads and decrypts `--secret-key`. */
export async function loadSecretKey(path: string): Promise<SecretKey> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new PatchopsError(
        "KeyInvalid",
        `secret key "${path}" does not exist`,
      );
    }
    throw err;
  }
  if (!isEncrypted(text)) return await parseSecretKey(text);
  const password = await readPassword();
  if (password === undefined) {
    throw new UsageError(
      `secret key "${path}" is encrypted: give its password on stdin or in ${PASSWORD_ENV}`,
    );
  }
  // scrypt at minisign's cost takes seconds: say so rather than look hung.
  printErr(`decrypting secret key "${path}" (scrypt, a few seconds)`);
  return await parseSecretKey(text, password);
}
