/**
 * `patchops verify <manifest>`.
 *
 * @module
 */

import { verifyPackage } from "../apply/mod.ts";
import { loadManifest } from "../manifest.ts";
import { formatBytes, intFlag, loadPublicKey, parseFlags, positionals, shownSource, stringFlag } from "./_common.ts";
import { printErr, printOut } from "./_print.ts";

/** Usage line of the command. */
export const usage =
  "patchops verify <manifest> [--public-key <file|key>] [--allow-unsigned] [--allow-unsigned-operations] [--require-signed-operations] [--arch <arch>] [--timeout <s>] [--deadline <s>] [--speed-limit <bytes/s>] [--speed-time <s>]";

/** Parsed flags of `verify`. */
export interface VerifyFlags {
  manifest: string;
  publicKey: string | undefined;
  allowUnsigned: boolean;
  requireSignedOperations: boolean;
  allowUnsignedOperations: boolean;
  deadlineSeconds: number;
  speedLimit: number;
  speedTime: number;
  arch: string | undefined;
  timeoutSeconds: number;
}

/** Parses `verify`'s arguments. Pure; throws `UsageError`. */
export function parseVerifyArgs(args: string[]): VerifyFlags {
  const { values, positionals: pos } = parseFlags(args, {
    "public-key": { type: "string" },
    "allow-unsigned": { type: "boolean" },
    "require-signed-operations": { type: "boolean" },
    "allow-unsigned-operations": { type: "boolean" },
    deadline: { type: "string" },
    "speed-limit": { type: "string" },
    "speed-time": { type: "string" },
    arch: { type: "string" },
    timeout: { type: "string" },
  });
  const [manifest] = positionals(pos, ["manifest"]);
  return {
    manifest: manifest!,
    publicKey: stringFlag(values, "public-key"),
    allowUnsigned: values["allow-unsigned"] === true,
    requireSignedOperations: values["require-signed-operations"] === true,
    allowUnsignedOperations: values["allow-unsigned-operations"] === true,
    deadlineSeconds: intFlag(values, "deadline", 3600, 1),
    speedLimit: intFlag(values, "speed-limit", 1024, 0),
    speedTime: intFlag(values, "speed-time", 60, 1),
    arch: stringFlag(values, "arch"),
    timeoutSeconds: intFlag(values, "timeout", 30, 1),
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: VerifyFlags): string {
  return `cannot verify "${shownSource(flags.manifest)}"`;
}

/** Runs `verify`; returns the exit code. */
export async function run(flags: VerifyFlags): Promise<number> {
  const publicKey = flags.publicKey ? await loadPublicKey(flags.publicKey) : undefined;
  const manifest = await loadManifest(flags.manifest, {
    timeoutSeconds: flags.timeoutSeconds,
    ...(flags.arch ? { arch: flags.arch } : {}),
  });
  if (!publicKey && flags.allowUnsigned) {
    printErr(
      "warning: --allow-unsigned: the package's signature is not checked, only its hash",
    );
  }
  const result = await verifyPackage(manifest, {
    publicKey,
    allowUnsigned: flags.allowUnsigned,
    requireSignedOperations: flags.requireSignedOperations,
    onWarning: (m) => printErr(`warning: ${m}`),
    timeoutSeconds: flags.timeoutSeconds,
  });
  const how = result.signed ? `signature ok (trusted comment: ${result.trustedComment})` : "unsigned, hash ok";
  printOut(
    `verified ${manifest.url.href}: ${formatBytes(result.bytes)}, ${result.files} files, ${how}`,
  );
  return 0;
}
