/**
 * Error families of patchops. Each carries a stable `code` so callers and
 * tests can tell failures apart without matching message text.
 *
 * @module
 */

/** Codes of every failure patchops reports. */
export type ErrorCode =
  | "ManifestInvalid"
  | "FetchFailed"
  | "HashMismatch"
  | "SignatureInvalid"
  | "KeyInvalid"
  | "ArchiveCorrupt"
  | "UnsafePath"
  | "UnsafeMember"
  | "StructureInvalid"
  | "CommitFailed"
  | "Locked"
  | "StateInvalid"
  | "NoSpace"
  | "VersionGuard"
  | "NothingToRollBack"
  | "OperationsMismatch"
  | "OperationsUnsigned"
  | "TreeInvalid"
  | "SqlInvalid"
  | "SqlUnsupported"
  | "DbFailed"
  | "DbLocked"
  | "MigrationFailed"
  | "DestructiveWithheld"
  | "DbRequired"
  | "UntrustedOwner"
  | "KeyRequired"
  | "OutputExists"
  | "HookRefused"
  | "HookFailed"
  | "PackageHooksNotAllowed"
  | "DeltaInvalid"
  | "DeltaBaseMismatch";

/** A failure of patchops' own making: printed as one `error:` line. */
export class PatchopsError extends Error {
  /** Stable identifier of the failure family. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PatchopsError";
    this.code = code;
  }
}

/** A user's mistake on the command line: printed with a usage hint, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Renders an unknown thrown value as one line, without a stack trace.
 * OS errors from Deno carry the path in their message already.
 */
export function describeError(err: unknown): string {
  if (err instanceof PatchopsError) return err.message.replaceAll("\n", " ");
  if (err instanceof Error) {
    const parts = [err.message];
    let cause = err.cause;
    while (cause instanceof Error && parts.length < 4) {
      if (
        !parts.some((p) => p.includes(cause instanceof Error ? cause.message : ""))
      ) {
        parts.push(cause.message);
      }
      cause = cause.cause;
    }
    return parts.join(": ").replaceAll("\n", " ");
  }
  return String(err).replaceAll("\n", " ");
}
