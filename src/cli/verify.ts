/**
 * `patchops verify <manifest>`.
 *
 * @module
 */

import { plural } from "../format.ts";
import { verifyPackage } from "../apply/mod.ts";
import { loadManifest } from "../manifest.ts";
import {
  COMMON_FLAGS,
  type FlagTable,
  formatBytes,
  loadPublicKey,
  parseFlags,
  positionals,
  shownSource,
  stringFlag,
  TRANSPORT_FLAGS,
  transportFlags,
  TRUST_FLAGS,
  trustFlags,
} from "./_common.ts";
import { helpText, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { printOut } from "./_print.ts";

/** Flags of `verify`. */
export const flags: FlagTable = {
  ...TRUST_FLAGS,
  arch: { type: "string", value: "<arch>", help: "architecture to check", default: "this host's" },
  ...TRANSPORT_FLAGS,
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("verify", "<manifest>", flags);

/** `--help` text. */
export const help: string = helpText(
  "verify",
  "fetch and check a patch (hash, signature, members) without installing it",
  "<manifest>",
  flags,
);

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
  const { values, positionals: pos } = parseFlags(args, flags);
  const [manifest] = positionals(pos, ["manifest"]);
  return {
    manifest: manifest!,
    ...trustFlags(values),
    ...transportFlags(values),
    arch: stringFlag(values, "arch"),
  };
}

/** Verification stops itself at the next chunk and removes its scratch directory. */
export const abortable = true;

/** What the command was doing, for its error line. */
export function describe(flags: VerifyFlags): string {
  return `cannot verify "${shownSource(flags.manifest)}"`;
}

/** Runs `verify`; returns the exit code. */
export async function run(flags: VerifyFlags, out: Output): Promise<number> {
  const publicKey = flags.publicKey ? await loadPublicKey(flags.publicKey) : undefined;
  const manifest = await loadManifest(flags.manifest, {
    timeoutSeconds: flags.timeoutSeconds,
    deadlineSeconds: flags.deadlineSeconds,
    minRate: { bytesPerSecond: flags.speedLimit, windowSeconds: flags.speedTime },
    ...(flags.arch ? { arch: flags.arch } : {}),
  });
  if (!publicKey && flags.allowUnsigned) {
    out.warn("--allow-unsigned: the package's signature is not checked, only its hash");
  }
  const result = await verifyPackage(manifest, {
    publicKey,
    allowUnsigned: flags.allowUnsigned,
    requireSignedOperations: flags.requireSignedOperations,
    allowUnsignedOperations: flags.allowUnsignedOperations,
    deadlineSeconds: flags.deadlineSeconds,
    minRate: { bytesPerSecond: flags.speedLimit, windowSeconds: flags.speedTime },
    onWarning: (m) => out.warn(m),
    timeoutSeconds: flags.timeoutSeconds,
    signal: out.signal,
  });
  if (out.json) {
    out.event("result", {
      exitCode: 0,
      url: shownSource(manifest.url.href),
      bytes: result.bytes,
      files: result.files,
      deltas: result.deltas,
      signed: result.signed,
      trustedComment: result.trustedComment ?? null,
      hooks: result.hooks,
    });
    return 0;
  }
  const how = result.signed ? `signature ok (trusted comment: ${result.trustedComment})` : "unsigned, hash ok";
  printOut(
    `verified ${shownSource(manifest.url.href)}: ${formatBytes(result.bytes)}, ${result.files} files${
      result.deltas ? ` (${plural(result.deltas, "delta")}, checked when applied against the installed files)` : ""
    }, ${how}`,
  );
  for (const h of result.hooks) {
    printOut(
      `  package hook ${h.stage} (${formatBytes(h.size)}, sha256 ${h.sha256}): runs only with --allow-package-hooks`,
    );
  }
  return 0;
}
