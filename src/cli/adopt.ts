/**
 * `patchops adopt --dir <dir> --version <v>`.
 *
 * @module
 */

import { adoptVersion } from "../apply/adopt.ts";
import { COMMON_FLAGS, type FlagTable, parseFlags, positionals, stringFlag } from "./_common.ts";
import { helpText, usageLine } from "./_flags.ts";
import type { Output } from "./_output.ts";
import { printOut } from "./_print.ts";

/** Flags of `adopt`. */
export const flags: FlagTable = {
  dir: { type: "string", value: "<dir>", required: true, help: "install directory that patchops did not install" },
  version: { type: "string", value: "<v>", required: true, help: "version the tree is at now" },
  force: { type: "boolean", help: "replace a version that is recorded already" },
  "allow-untrusted-owner": { type: "boolean", help: "accept an install directory writable by another user" },
  ...COMMON_FLAGS,
};

/** Usage line of the command. */
export const usage: string = usageLine("adopt", "", flags);

/** `--help` text. */
export const help: string = helpText(
  "adopt",
  "record the version of a tree that patchops did not install",
  "",
  flags,
  "A patch whose manifest names a from_version is refused on a tree with no recorded version;\nadopt records it once, after checking by other means which version the tree is.",
);

/** Parsed flags of `adopt`. */
export interface AdoptFlags {
  dir: string;
  version: string;
  force: boolean;
  allowUntrustedOwner: boolean;
}

/** Parses `adopt`'s arguments. Pure; throws `UsageError`. */
export function parseAdoptArgs(args: string[]): AdoptFlags {
  const { values, positionals: pos } = parseFlags(args, flags);
  positionals(pos, []);
  return {
    dir: stringFlag(values, "dir", true),
    version: stringFlag(values, "version", true),
    force: values.force === true,
    allowUntrustedOwner: values["allow-untrusted-owner"] === true,
  };
}

/** What the command was doing, for its error line. */
export function describe(flags: AdoptFlags): string {
  return `cannot adopt "${flags.dir}" as version ${flags.version}`;
}

/** Runs `adopt`; returns the exit code. */
export async function run(flags: AdoptFlags, out: Output): Promise<number> {
  const r = await adoptVersion(flags.dir, flags.version, {
    force: flags.force,
    allowUntrustedOwner: flags.allowUntrustedOwner,
    onWarning: (m) => out.warn(m),
  });
  if (out.json) {
    out.event("result", {
      exitCode: 0,
      version: r.version,
      previousVersion: r.previousVersion ?? null,
      changed: r.changed,
    });
  } else if (!r.changed) {
    printOut(`${flags.dir} is recorded as ${r.version} already`);
  } else {
    printOut(
      `recorded ${flags.dir} as ${r.version}${r.previousVersion ? ` (was ${r.previousVersion})` : ""}`,
    );
  }
  return 0;
}
