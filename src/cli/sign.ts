/**
 * `patchops sign <file> --secret-key <file>`.
 *
 * @module
 */

import { encodeBase64 } from "../verify/base64.ts";
import { formatSignature } from "../verify/minisign.ts";
import { signFile } from "../verify/secret_key.ts";
import { formatClaims, readPackageClaims } from "../signed_ops.ts";
import { parseFlags, positionals, stringFlag } from "./_common.ts";
import { loadSecretKey } from "./_secret.ts";
import { printErr, printOut } from "./_print.ts";

/** Usage line of the command. */
export const usage = "patchops sign <file> --secret-key <file> [--trusted-comment <text>]";

/** Parsed flags of `sign`. */
export interface SignFlags {
  file: string;
  secretKey: string;
  trustedComment: string | undefined;
}

/** Parses `sign`'s arguments. Pure; throws `UsageError`. */
export function parseSignArgs(args: string[]): SignFlags {
  const { values, positionals: pos } = parseFlags(args, {
    "secret-key": { type: "string" },
    "trusted-comment": { type: "string" },
  });
  const [file] = positionals(pos, ["file"]);
  return {
    file: file!,
    secretKey: stringFlag(values, "secret-key", true),
    trustedComment: stringFlag(values, "trusted-comment"),
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: SignFlags): string {
  return `cannot sign "${flags.file}"`;
}

/** Runs `sign`: writes `<file>.minisig` and prints its base64 (the manifest form). */
export async function run(flags: SignFlags): Promise<number> {
  const sk = await loadSecretKey(flags.secretKey);
  // A patchops package gets its size and header hash in the trusted comment, as `create` signs it.
  const claims = await readPackageClaims(flags.file);
  const name = flags.file.slice(flags.file.lastIndexOf("/") + 1).replace(/[\r\n\t]/g, " ");
  const base = flags.trustedComment ?? `timestamp:${Math.floor(Date.now() / 1000)}\tfile:${name}\thashed`;
  const sig = await signFile(sk, flags.file, {
    trustedComment: claims ? `${base}\t${formatClaims(claims)}` : base,
  });
  if (!claims) {
    printErr(`note: "${flags.file}" does not open with a patchops header, so the signature carries no claims`);
  }
  const text = formatSignature(sig);
  await Deno.writeTextFile(`${flags.file}.minisig`, text);
  printErr(`wrote ${flags.file}.minisig`);
  printOut(encodeBase64(new TextEncoder().encode(text)));
  return 0;
}
