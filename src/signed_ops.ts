/**
 * The operations list embedded in a package, so that the package signature
 * covers it: `.patchops/operations.json` inside the archive.
 *
 * @module
 */

import { PatchopsError } from "./errors.ts";
import { type Manifest, type Operations, parseOperations, type PatchOperations } from "./manifest.ts";

/** Archive member that carries the signed operations. */
export const OPERATIONS_MEMBER = ".patchops/operations.json";

/** Archive member that carries the target database schema. */
export const SCHEMA_MEMBER = ".patchops/schema.sql";

/** What the member holds. */
export interface SignedOperations {
  format: 1;
  operations: PatchOperations;
  version: string | null;
  from_version: string | null;
  /** Dialect of the carried schema; absent in packages without one. */
  schema_dialect?: string | null;
}

/** Converts validated operations back to duck_client's shape. */
export function toPatchOperations(ops: Operations): PatchOperations {
  return {
    replace: { files: ops.replaceFiles, directories: ops.replaceDirectories },
    delete: { files: ops.deleteFiles, directories: ops.deleteDirectories },
  };
}

/** Serialises the member's content (stable key order). */
export function encodeSignedOperations(
  ops: Operations,
  version: string | undefined,
  fromVersion: string | undefined,
  schemaDialect?: string,
): Uint8Array {
  const doc: SignedOperations = {
    format: 1,
    operations: toPatchOperations(ops),
    version: version ?? null,
    from_version: fromVersion ?? null,
    ...(schemaDialect ? { schema_dialect: schemaDialect } : {}),
  };
  return new TextEncoder().encode(JSON.stringify(doc, null, 2) + "\n");
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Checks that the manifest says what the signed member says: the same
 * operations in the same order, and the same version fields. Throws
 * `OperationsMismatch` naming the first difference.
 */
export function checkSignedOperations(
  manifest: Manifest,
  member: Uint8Array,
): void {
  let doc: Partial<SignedOperations>;
  try {
    doc = JSON.parse(new TextDecoder().decode(member));
  } catch {
    throw new PatchopsError(
      "OperationsMismatch",
      `the package's "${OPERATIONS_MEMBER}" is not valid JSON`,
    );
  }
  if (doc.format !== 1) {
    throw new PatchopsError(
      "OperationsMismatch",
      `the package's "${OPERATIONS_MEMBER}" has an unknown format`,
    );
  }
  const signed = parseOperations(doc.operations, "signed operations");
  const mine = manifest.operations;
  for (
    const [name, a, b] of [
      ["replace.files", mine.replaceFiles, signed.replaceFiles],
      [
        "replace.directories",
        mine.replaceDirectories,
        signed.replaceDirectories,
      ],
      ["delete.files", mine.deleteFiles, signed.deleteFiles],
      ["delete.directories", mine.deleteDirectories, signed.deleteDirectories],
    ] as const
  ) {
    if (!same(a, b)) {
      throw new PatchopsError(
        "OperationsMismatch",
        `the manifest's operations.${name} differ from the signed list in the package (manifest: ${
          JSON.stringify(a.slice(0, 5))
        }, signed: ${JSON.stringify(b.slice(0, 5))})`,
      );
    }
  }
  for (
    const [name, a, b] of [
      ["version", manifest.version, doc.version],
      ["from_version", manifest.fromVersion, doc.from_version],
      ["schema.dialect", manifest.schemaDialect, doc.schema_dialect],
    ] as const
  ) {
    if ((a ?? null) !== (b ?? null)) {
      throw new PatchopsError(
        "OperationsMismatch",
        `the manifest's ${name} ${JSON.stringify(a ?? null)} differs from the signed ${JSON.stringify(b ?? null)}`,
      );
    }
  }
}

/** Options of {@linkcode checkEmbeddedOperations}. */
export interface EmbeddedCheckOptions {
  /** Refuse packages that do not carry their operations. */
  require?: boolean;
  onWarning?: ((message: string) => void) | undefined;
}

/**
 * Applies the authenticated-operations rule to a received package: a
 * carried list must match the manifest; a missing one is a warning, or an
 * error when required.
 */
export function checkEmbeddedOperations(
  manifest: Manifest,
  captured: Map<string, Uint8Array>,
  options?: EmbeddedCheckOptions,
): void {
  const member = captured.get(OPERATIONS_MEMBER);
  if (member !== undefined) {
    checkSignedOperations(manifest, member);
    return;
  }
  const why =
    "the package does not carry its operations list, so the manifest's operations are not covered by the signature";
  if (options?.require) {
    throw new PatchopsError(
      "OperationsUnsigned",
      `${why} (--require-signed-operations)`,
    );
  }
  options?.onWarning?.(why);
}
