/**
 * `patchops sign <file> --secret-key <file>`.
 *
 * @module
 */

import { encodeBase64 } from "../verify/base64.ts";
import { formatSignature } from "../verify/minisign.ts";
import { signFile } from "../verify/secret_key.ts";
import { formatClaims, readPackageClaims } from "../signed_ops.ts";
import { COMMON_FLAGS, type FlagTable, parseFlags, positionals, stringFlag } from "./_common.ts";
import { helpText, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { loadSecretKey } from "./_secret.ts";
import { printErr, printOut } from "./_print.ts";

/** Flags of `sign`. */
export const flags: FlagTable = {
  "secret-key": { type: "string", value: "<file>", required: true, help: "minisign secret key" },
  "trusted-comment": {
    type: "string",
    value: "<text>",
    help: "trusted comment",
    default: "timestamp, file name and package claims",
  },
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("sign", "<file>", flags);

/** `--help` text. */
export const help: string = helpText("sign", "sign a file with a minisign secret key", "<file>", flags);

/** Parsed flags of `sign`. */
export interface SignFlags {
  file: string;
  secretKey: string;
  trustedComment: string | undefined;
}

/** Parses `sign`'s arguments. Pure; throws `UsageError`. */
export function parseSignArgs(args: string[]): SignFlags {
  const { values, positionals: pos } = parseFlags(args, flags);
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
export async function run(flags: SignFlags, out: Output): Promise<number> {
  const sk = await loadSecretKey(flags.secretKey);
  // A patchops package gets its size and header hash in the trusted comment, as `create` signs it.
  const claims = await readPackageClaims(flags.file);
  const name = flags.file.slice(flags.file.lastIndexOf("/") + 1).replace(/[\r\n\t]/g, " ");
  const base = flags.trustedComment ?? `timestamp:${Math.floor(Date.now() / 1000)}\tfile:${name}\thashed`;
  const sig = await signFile(sk, flags.file, {
    trustedComment: claims ? `${base}\t${formatClaims(claims)}` : base,
  });
  if (!claims) {
    out.warn(`"${flags.file}" does not open with a patchops header, so the signature carries no claims`);
  }
  const text = formatSignature(sig);
  await Deno.writeTextFile(`${flags.file}.minisig`, text);
  const base64 = encodeBase64(new TextEncoder().encode(text));
  if (out.json) {
    out.event("result", { exitCode: 0, signatureFile: `${flags.file}.minisig`, signature: base64 });
    return 0;
  }
  printErr(`wrote ${flags.file}.minisig`);
  printOut(base64);
  return 0;
}
