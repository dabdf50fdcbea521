/**
 * The operations list embedded in a package, so that the package signature
 * covers it: `.patchops/operations.json` inside the archive.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { PatchopsError } from "./errors.ts";
import { normalizeRelativePath } from "./path_policy.ts";
import { type Manifest, type Operations, parseOperations, type PatchOperations } from "./manifest.ts";

/** Archive member that carries the signed operations. */
export const OPERATIONS_MEMBER = ".patchops/operations.json";

/** Archive member that carries the target database schema. */
export const SCHEMA_MEMBER = ".patchops/schema.sql";

/** What the archive will hold, counted by `create`: the limits staging enforces. */
export interface HeaderTotals {
  /** Archive members after the header (files, directories, links, the schema). */
  entries: number;
  /** Regular files among them. */
  files: number;
  /** Their bytes, summed. */
  bytes: number;
}

/**
 * What the member holds. Format 2 adds the target architecture and the
 * totals; the package signature's trusted comment carries this member's
 * SHA-256 and the package size (see {@linkcode formatClaims}), so the member
 * is authenticated the moment it arrives, first in the archive, and every
 * later member is held to its totals.
 */
export interface SignedOperations {
  format: 1 | 2 | 3;
  operations: PatchOperations;
  version: string | null;
  from_version: string | null;
  /** Dialect of the carried schema; absent in packages without one. */
  schema_dialect?: string | null;
  /** Architecture the package is built for; null for any. */
  arch?: string | null;
  totals?: HeaderTotals;
  /** Package hooks the archive carries as `.patchops/hooks/<stage>`, each pinned by its SHA-256 (hex). */
  hooks?: PackageHookEntry[];
  /**
   * Format 3: files shipped as a delta against the installed old version,
   * by path (the archive member at that path holds the delta).
   */
  deltas?: Record<string, DeltaEntry>;
}

/** One package hook listed in the signed header. */
export interface PackageHookEntry {
  stage: "pre-apply" | "post-apply";
  sha256: string;
  size: number;
}

/** Archive member of the package hook of `stage`. */
export function hookMember(stage: string): string {
  return `.patchops/hooks/${stage}`;
}

/** What the signed header says of one delta member. */
export interface DeltaEntry {
  /** SHA-256 (hex) of the installed file the delta applies to. */
  old_sha256: string;
  /** Size of that file: one of another size is refused before it is read. */
  old_size: number;
  /** SHA-256 (hex) of the file it gives. */
  sha256: string;
  /** Size of the file it gives. */
  size: number;
}

/** The largest header accepted (it holds the operations lists). */
export const HEADER_LIMIT = 64 << 20;

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
  extra?: {
    arch: string | undefined;
    totals: HeaderTotals;
    hooks?: PackageHookEntry[] | undefined;
    deltas?: Map<string, DeltaEntry> | undefined;
  },
): Uint8Array {
  // Format 3 only when there are deltas: older clients refuse it (they would install a delta as
  // the file), and packages without deltas stay byte for byte what they were.
  const deltas = extra?.deltas?.size
    ? Object.fromEntries([...extra.deltas].sort(([a], [b]) => a < b ? -1 : 1))
    : undefined;
  const doc: SignedOperations = {
    format: deltas ? 3 : extra ? 2 : 1,
    operations: toPatchOperations(ops),
    version: version ?? null,
    from_version: fromVersion ?? null,
    ...(schemaDialect ? { schema_dialect: schemaDialect } : {}),
    ...(extra ? { arch: extra.arch ?? null, totals: extra.totals } : {}),
    ...(extra?.hooks?.length ? { hooks: extra.hooks } : {}),
    ...(deltas ? { deltas } : {}),
  };
  if (!deltas) return new TextEncoder().encode(JSON.stringify(doc, null, 2) + "\n");
  // Format 3 is written lean: a delta package's header can weigh more than its deltas (typescript
  // 6.0.2 to 6.0.3, three files changed in a few bytes: header 476 bytes of a 1,066-byte package,
  // deltas 453). No indentation, and no null field or empty list, which `checkSignedOperations`
  // and `checkHeader` read as null and []: 1,066 bytes to 1,013. Earlier formats keep their bytes.
  const lean: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (value === null) continue;
    if (key !== "operations") {
      lean[key] = value;
      continue;
    }
    const sections: Record<string, Record<string, string[]>> = {};
    for (const [name, lists] of Object.entries(value as PatchOperations)) {
      const kept = Object.entries(lists as Record<string, string[]>).filter(([, l]) => l.length > 0);
      if (kept.length > 0) sections[name] = Object.fromEntries(kept);
    }
    lean.operations = sections;
  }
  return new TextEncoder().encode(JSON.stringify(lean) + "\n");
}

const DELTAS_KEY = new TextEncoder().encode(`"deltas":{`);

/**
 * Where format 3's `deltas` (paths, sizes and the SHA-256s) begin in a
 * header {@linkcode encodeSignedOperations} wrote, or -1. Found by its
 * bytes: inside a JSON string every `"` follows a backslash, so `s":{`
 * occurs only after a key.
 */
export function deltasOffset(header: Uint8Array): number {
  return Buffer.from(header.buffer, header.byteOffset, header.length).indexOf(DELTAS_KEY);
}

function same(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Whether `raw` (a signed member's `operations`) lists exactly the manifest's validated paths. */
function sameAsManifest(raw: unknown, mine: Operations): boolean {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return false;
  const { replace, delete: del } = raw as { replace?: unknown; delete?: unknown };
  // Shapes the full parse would refuse (a non-object section) take the full parse.
  const list = (o: unknown, key: string): unknown => {
    if (o === undefined || o === null) return [];
    if (typeof o !== "object" || Array.isArray(o)) return undefined;
    return (o as Record<string, unknown>)[key] ?? [];
  };
  const equal = (v: unknown, b: string[]) => Array.isArray(v) && v.length === b.length && v.every((p, i) => p === b[i]);
  return equal(list(replace, "files"), mine.replaceFiles) &&
    equal(list(replace, "directories"), mine.replaceDirectories) &&
    equal(list(del, "files"), mine.deleteFiles) &&
    equal(list(del, "directories"), mine.deleteDirectories);
}

/**
 * Checks that the manifest says what the signed member says: the same
 * operations in the same order, and the same version fields. Throws
 * `OperationsMismatch` naming the first difference.
 */
export function checkSignedOperations(
  manifest: Manifest,
  member: Uint8Array,
): Partial<SignedOperations> {
  let doc: Partial<SignedOperations>;
  try {
    doc = JSON.parse(new TextDecoder().decode(member));
  } catch {
    throw new PatchopsError(
      "OperationsMismatch",
      `the package's "${OPERATIONS_MEMBER}" is not valid JSON`,
    );
  }
  if (doc?.format !== 1 && doc?.format !== 2 && doc?.format !== 3) {
    throw new PatchopsError(
      "OperationsMismatch",
      `the package's "${OPERATIONS_MEMBER}" has an unknown format`,
    );
  }
  const mine = manifest.operations;
  // Lists equal, string for string, to the manifest's validated ones are valid: only a
  // difference needs the full parse (which holds every path again) to name it.
  const signed = sameAsManifest(doc.operations, mine) ? mine : parseOperations(doc.operations, "signed operations");
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
  return doc;
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
    const doc = checkSignedOperations(manifest, member);
    if (doc.format === 3) {
      throw new PatchopsError(
        "DeltaInvalid",
        "the package carries deltas, which are used only when its signature vouches for its header",
      );
    }
    return;
  }
  const why =
    "the package does not carry its operations list, so the manifest's operations are not covered by the signature";
  if (options?.require) {
    throw new PatchopsError(
      "OperationsUnsigned",
      `${why}, and signed operations are required`,
    );
  }
  options?.onWarning?.(why);
}

/** What the signed header lets staging enforce. */
export interface HeaderLimits {
  totals: HeaderTotals;
  arch: string | null;
  /** Delta members by normalised path (none before format 3). */
  deltas?: Map<string, DeltaEntry> | undefined;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Reads and checks format 3's `deltas`; throws `OperationsMismatch` on any malformed entry. */
function parseDeltas(raw: unknown): Map<string, DeltaEntry> {
  const out = new Map<string, DeltaEntry>();
  if (raw === undefined) return out;
  const bad = (why: string) => new PatchopsError("OperationsMismatch", `the signed "${OPERATIONS_MEMBER}" ${why}`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("has malformed deltas");
  for (const [path, e] of Object.entries(raw as Record<string, unknown>)) {
    const d = e as Partial<DeltaEntry> | null;
    if (
      typeof d !== "object" || d === null || typeof d.old_sha256 !== "string" || !HEX64.test(d.old_sha256) ||
      typeof d.sha256 !== "string" || !HEX64.test(d.sha256) || !Number.isSafeInteger(d.size) || d.size! < 0 ||
      !Number.isSafeInteger(d.old_size) || d.old_size! < 0
    ) throw bad(`has a malformed delta for ${JSON.stringify(path)}`);
    let norm: string;
    try {
      norm = normalizeRelativePath(path, { lenient: true });
    } catch {
      throw bad(`names a delta for ${JSON.stringify(path)}, which is not a valid path`);
    }
    out.set(norm, { old_sha256: d.old_sha256, old_size: d.old_size!, sha256: d.sha256, size: d.size! });
  }
  return out;
}

/**
 * Checks an authenticated header against the manifest (operations and
 * versions) and the architecture being installed, and returns the totals
 * that bound the rest of the archive. Throws `OperationsMismatch`.
 */
export function checkHeader(manifest: Manifest, member: Uint8Array, arch: string | undefined): HeaderLimits {
  const doc = checkSignedOperations(manifest, member);
  const t = doc.totals;
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if ((doc.format !== 2 && doc.format !== 3) || !t || !count(t.entries) || !count(t.files) || !count(t.bytes)) {
    throw new PatchopsError("OperationsMismatch", `the signed "${OPERATIONS_MEMBER}" carries no totals`);
  }
  const packaged = doc.arch ?? null;
  if (packaged !== null && packaged !== arch) {
    throw new PatchopsError(
      "OperationsMismatch",
      `the package is built for ${JSON.stringify(packaged)}, but ${JSON.stringify(arch ?? null)} is being installed`,
    );
  }
  const deltas = doc.format === 3 ? parseDeltas(doc.deltas) : new Map<string, DeltaEntry>();
  return { totals: { entries: t.entries, files: t.files, bytes: t.bytes }, arch: packaged, deltas };
}

/** Claims about the package that its signature's trusted comment carries. */
export interface PackageClaims {
  /** Size of the package in bytes. */
  size: number;
  /** SHA-256 (hex) of the header member, first in the archive. */
  header: string;
}

/** The trusted-comment fields that carry {@linkcode PackageClaims}. */
export function formatClaims(claims: PackageClaims): string {
  return `patchops-size:${claims.size}\tpatchops-header:${claims.header}`;
}

/** Reads {@linkcode PackageClaims} from a trusted comment; `undefined` when it carries none. */
export function parseClaims(trustedComment: string): PackageClaims | undefined {
  const size = /(?:^|\t)patchops-size:([0-9]{1,16})(?:\t|$)/.exec(trustedComment)?.[1];
  const header = /(?:^|\t)patchops-header:([0-9a-f]{64})(?:\t|$)/.exec(trustedComment)?.[1];
  if (size === undefined || header === undefined) return undefined;
  return { size: Number(size), header };
}

/**
 * Reads the claims a signature of the package at `path` should carry: its
 * size, and the SHA-256 of its header when the archive opens with one.
 * Returns `undefined` for a file that is not a patchops package with a
 * header (it is then signed without claims).
 */
export async function readPackageClaims(path: string): Promise<PackageClaims | undefined> {
  const { compressionOf, inflating } = await import("./archive/inflate.ts");
  const { readTar } = await import("./archive/tar_reader.ts");
  const { createHash } = await import("node:crypto");
  const file = await Deno.open(path);
  try {
    const size = (await file.stat()).size;
    const buf = new Uint8Array(256 << 10);
    let first = true;
    let kind: ReturnType<typeof compressionOf>;
    const pull = async () => {
      const n = await file.read(buf);
      if (n === null) return undefined;
      if (first) {
        first = false;
        kind = compressionOf(buf.subarray(0, n));
      }
      return buf.subarray(0, n);
    };
    const head = await pull();
    if (head === undefined || kind === undefined) return undefined;
    let sent = false;
    const inflater = inflating(kind, () => {
      if (sent) return pull();
      sent = true;
      return Promise.resolve(head);
    });
    try {
      for await (const { header, body } of readTar(inflater.pull)) {
        if (header.type !== "file" || header.path.replace(/^(\.\/)+/, "") !== OPERATIONS_MEMBER) return undefined;
        if (header.size > HEADER_LIMIT) return undefined;
        const h = createHash("sha256");
        for await (const part of body) h.update(part);
        return { size, header: h.digest("hex") };
      }
      return undefined;
    } catch {
      return undefined;
    } finally {
      inflater.close();
    }
  } finally {
    file.close();
  }
}
