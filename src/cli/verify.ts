/**
 * `patchops verify <manifest>`.
 *
 * @module
 */

import { verifyPackage } from "../apply/mod.ts";
import { loadManifest } from "../manifest.ts";
import { formatBytes, intFlag, loadPublicKey, parseFlags, positionals, stringFlag } from "./_common.ts";

/** Usage line of the command. */
export const usage =
  "patchops verify <manifest> [--public-key <file|key>] [--allow-unsigned] [--require-signed-operations] [--arch <arch>] [--timeout <s>]";

/** Parsed flags of `verify`. */
export interface VerifyFlags {
  manifest: string;
  publicKey: string | undefined;
  allowUnsigned: boolean;
  requireSignedOperations: boolean;
  arch: string | undefined;
  timeoutSeconds: number;
}

/** Parses `verify`'s arguments. Pure; throws `UsageError`. */
export function parseVerifyArgs(args: string[]): VerifyFlags {
  const { values, positionals: pos } = parseFlags(args, {
    "public-key": { type: "string" },
    "allow-unsigned": { type: "boolean" },
    "require-signed-operations": { type: "boolean" },
    arch: { type: "string" },
    timeout: { type: "string" },
  });
  const [manifest] = positionals(pos, ["manifest"]);
  return {
    manifest: manifest!,
    publicKey: stringFlag(values, "public-key"),
    allowUnsigned: values["allow-unsigned"] === true,
    requireSignedOperations: values["require-signed-operations"] === true,
    arch: stringFlag(values, "arch"),
    timeoutSeconds: intFlag(values, "timeout", 30, 1),
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: VerifyFlags): string {
  return `cannot verify "${flags.manifest}"`;
}

/** Runs `verify`; returns the exit code. */
export async function run(flags: VerifyFlags): Promise<number> {
  const publicKey = flags.publicKey ? await loadPublicKey(flags.publicKey) : undefined;
  const manifest = await loadManifest(flags.manifest, {
    timeoutSeconds: flags.timeoutSeconds,
    ...(flags.arch ? { arch: flags.arch } : {}),
  });
  if (!publicKey && flags.allowUnsigned) {
    console.error(
      "warning: --allow-unsigned: the package's signature is not checked, only its hash",
    );
  }
  const result = await verifyPackage(manifest, {
    publicKey,
    allowUnsigned: flags.allowUnsigned,
    requireSignedOperations: flags.requireSignedOperations,
    onWarning: (m) => console.error(`warning: ${m}`),
    timeoutSeconds: flags.timeoutSeconds,
  });
  const how = result.signed ? `signature ok (trusted comment: ${result.trustedComment})` : "unsigned, hash ok";
  console.log(
    `verified ${manifest.url.href}: ${formatBytes(result.bytes)}, ${result.files} files, ${how}`,
  );
  return 0;
}
