/**
 * `patchops sign <file> --secret-key <file>`.
 *
 * @module
 */

import { encodeBase64 } from "../verify/base64.ts";
import { formatSignature } from "../verify/minisign.ts";
import { signFile } from "../verify/secret_key.ts";
import { parseFlags, positionals, stringFlag } from "./_common.ts";
import { loadSecretKey } from "./_secret.ts";

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
  const sig = await signFile(
    sk,
    flags.file,
    flags.trustedComment ? { trustedComment: flags.trustedComment } : {},
  );
  const text = formatSignature(sig);
  await Deno.writeTextFile(`${flags.file}.minisig`, text);
  console.error(`wrote ${flags.file}.minisig`);
  console.log(encodeBase64(new TextEncoder().encode(text)));
  return 0;
}
