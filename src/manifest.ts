/**
 * Manifests: the duck_client `PatchPackageInfo` and the enhanced
 * per-architecture manifest, parsed into one validated shape.
 *
 * @module
 */

import { PatchopsError } from "./errors.ts";
import { readSmall } from "./fetch.ts";
import { normalizeRelativePath } from "./path_policy.ts";

/** Operation lists as duck_client writes them. */
export interface PatchOperations {
  replace?: { files?: string[]; directories?: string[] };
  delete?: { files?: string[]; directories?: string[] };
}

/** duck_client's `PatchPackageInfo`, plus optional version fields. */
export interface PatchPackageInfo {
  url: string;
  hash?: string;
  signature?: string;
  operations: PatchOperations;
  notes?: string;
  version?: string;
  from_version?: string;
}

/** Validated operations with normalised paths. */
export interface Operations {
  replaceFiles: string[];
  replaceDirectories: string[];
  deleteFiles: string[];
  deleteDirectories: string[];
}

/** A manifest ready to act on. */
export interface Manifest {
  /** Where the package is, resolved against the manifest's location. */
  url: URL;
  /** Expected SHA-256 of the package, lower-case hex. */
  sha256: string;
  /** minisign signature text or its base64, if any. */
  signature: string | undefined;
  operations: Operations;
  notes: string | undefined;
  version: string | undefined;
  fromVersion: string | undefined;
  /** The architecture being installed: chosen from an enhanced manifest, else the requested or host one. */
  arch: string | undefined;
  /** Dialect of the target schema the package carries (`.patchops/schema.sql`), if any. */
  schemaDialect: string | undefined;
  /** The package's size in bytes, when the manifest says (not authenticated: a bound, not a promise). */
  size?: number | undefined;
  /**
   * A full-file package of the same operations (`create --delta
   * --delta-fallback`), applied instead when an installed file a delta
   * applies to was changed locally. Checked as any package: hash, signature.
   */
  fallback?: PackageRef | undefined;
}

/** Where a package is and what vouches for it. */
export interface PackageRef {
  url: URL;
  sha256: string;
  signature: string | undefined;
  size?: number | undefined;
}

/** SQL dialects a manifest's `schema.dialect` may name. */
export const SCHEMA_DIALECTS = ["mysql", "mariadb", "postgres", "sqlite"];

/** Architectures an enhanced manifest can carry. */
export const ARCHES = ["x86_64", "aarch64"] as const;

/** Maps common spellings to the manifest's architecture keys. */
export function normalizeArch(arch: string): string | undefined {
  const a = arch.toLowerCase();
  if (a === "x86_64" || a === "amd64" || a === "x64") return "x86_64";
  if (a === "aarch64" || a === "arm64") return "aarch64";
  return undefined;
}

function invalid(why: string): PatchopsError {
  return new PatchopsError("ManifestInvalid", `manifest is invalid: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalString(
  obj: Record<string, unknown>,
  key: string,
  field: string,
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") {
    throw invalid(
      `field "${field}" must be a string, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function pathList(obj: unknown, key: string, field: string): string[] {
  if (!isObject(obj)) return [];
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    throw invalid(
      `field "${field}" must be an array of paths, got ${JSON.stringify(v)}`,
    );
  }
  return v.map((p, i) => {
    if (typeof p !== "string") {
      throw invalid(
        `field "${field}[${i}]" must be a string, got ${JSON.stringify(p)}`,
      );
    }
    try {
      const norm = normalizeRelativePath(p);
      if (norm === "") {
        throw new PatchopsError(
          "UnsafePath",
          `path "${p}" names the install directory itself`,
        );
      }
      return norm;
    } catch (err) {
      if (err instanceof PatchopsError) {
        throw invalid(`field "${field}[${i}]": ${err.message}`);
      }
      throw err;
    }
  });
}

/** Validates an `operations` object; paths are normalised and checked. */
export function parseOperations(
  value: unknown,
  field = "operations",
): Operations {
  if (!isObject(value)) {
    throw invalid(
      `field "${field}" must be an object, got ${JSON.stringify(value)}`,
    );
  }
  for (const key of ["replace", "delete"]) {
    const v = value[key];
    if (v !== undefined && v !== null && !isObject(v)) {
      throw invalid(
        `field "${field}.${key}" must be an object, got ${JSON.stringify(v)}`,
      );
    }
  }
  const ops: Operations = {
    replaceFiles: pathList(value.replace, "files", `${field}.replace.files`),
    replaceDirectories: pathList(
      value.replace,
      "directories",
      `${field}.replace.directories`,
    ),
    deleteFiles: pathList(value.delete, "files", `${field}.delete.files`),
    deleteDirectories: pathList(
      value.delete,
      "directories",
      `${field}.delete.directories`,
    ),
  };
  checkConflicts(ops);
  return ops;
}

/** Refuses operations that name one path twice or nest inside each other. */
function checkConflicts(ops: Operations): void {
  const seen = new Map<string, string>();
  const lists: [string, string[]][] = [
    ["replace.files", ops.replaceFiles],
    ["replace.directories", ops.replaceDirectories],
    ["delete.files", ops.deleteFiles],
    ["delete.directories", ops.deleteDirectories],
  ];
  for (const [name, list] of lists) {
    for (const p of list) {
      const prior = seen.get(p);
      if (prior !== undefined) {
        throw invalid(`path "${p}" appears in both "${prior}" and "${name}"`);
      }
      seen.set(p, name);
    }
  }
  // In sorted order the paths that begin with a path come right after it, so a stack of the
  // paths that begin the current one holds all its ancestors; the top is enough to check (a
  // longer one inside the ancestor was refused when it came). Linear, where looking every
  // path's ancestors up hashed each of them, O(length^2) a path.
  const stack: string[] = [];
  for (const p of [...seen.keys()].sort()) {
    while (stack.length > 0 && !p.startsWith(stack[stack.length - 1]!)) stack.pop();
    const a = stack[stack.length - 1];
    if (a !== undefined && p.charCodeAt(a.length) === 0x2f) {
      throw invalid(`"${p}" in "${seen.get(p)}" lies inside "${a}" in "${seen.get(a)}"`);
    }
    stack.push(p);
  }
}

/** Options of {@linkcode parseManifest}. */
export interface ParseManifestOptions {
  /** Architecture to pick from an enhanced manifest. Defaults to the host's. */
  arch?: string;
}

function parsePackage(
  pkg: Record<string, unknown>,
  base: URL,
  prefix: string,
): Omit<Manifest, "arch" | "version" | "fromVersion" | "schemaDialect"> & {
  schemaDialect?: string;
  version?: string;
  fromVersion?: string;
} {
  const field = (k: string) => (prefix ? `${prefix}.${k}` : k);
  const url = optionalString(pkg, "url", field("url"));
  if (url === undefined || url.trim() === "") {
    throw invalid(`field "${field("url")}" is missing`);
  }
  let resolved: URL;
  try {
    resolved = new URL(url, base);
  } catch {
    throw invalid(`field "${field("url")}" is not a valid URL: "${url}"`);
  }
  if (!["http:", "https:", "file:"].includes(resolved.protocol)) {
    throw invalid(`field "${field("url")}" has unsupported scheme: "${url}"`);
  }
  // A manifest fetched from a server may not point at this host's files.
  if (base.protocol !== "file:" && resolved.protocol === "file:") {
    throw invalid(`field "${field("url")}" names a local file, but the manifest is remote`);
  }
  const hash = optionalString(pkg, "hash", field("hash"));
  if (hash === undefined) throw invalid(`field "${field("hash")}" is missing`);
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(hash.trim());
  if (!m) {
    throw invalid(
      `field "${field("hash")}" must be "sha256:" and 64 hex digits, got "${hash}"`,
    );
  }
  const signature = optionalString(pkg, "signature", field("signature"));
  if (pkg.operations === undefined) {
    throw invalid(`field "${field("operations")}" is missing`);
  }
  const out: ReturnType<typeof parsePackage> = {
    url: resolved,
    sha256: m[1]!.toLowerCase(),
    signature: signature === undefined || signature.trim() === "" ? undefined : signature,
    operations: parseOperations(pkg.operations, field("operations")),
    notes: optionalString(pkg, "notes", field("notes")),
  };
  if (pkg.size !== undefined && pkg.size !== null) {
    if (!Number.isSafeInteger(pkg.size) || (pkg.size as number) < 0) {
      throw invalid(`field "${field("size")}" must be a whole number of bytes`);
    }
    out.size = pkg.size as number;
  }
  const version = optionalString(pkg, "version", field("version"));
  const fromVersion = optionalString(
    pkg,
    "from_version",
    field("from_version"),
  );
  for (const [name, v] of [["version", version], ["from_version", fromVersion]] as const) {
    // Versions are recorded in the state file and compared: identifiers, not text to show.
    // deno-lint-ignore no-control-regex
    if (v !== undefined && (v.length > 256 || /[\u0000-\u001f\u007f-\u009f]/.test(v))) {
      throw invalid(`field "${field(name)}" must be at most 256 characters without control characters, got "${v}"`);
    }
  }
  if (version !== undefined) out.version = version;
  if (fromVersion !== undefined) out.fromVersion = fromVersion;
  if (pkg.fallback !== undefined && pkg.fallback !== null) {
    if (!isObject(pkg.fallback)) throw invalid(`field "${field("fallback")}" must be an object`);
    if (pkg.fallback.fallback !== undefined) throw invalid(`field "${field("fallback")}" may not have a fallback`);
    // The fallback carries the same operations: they are what its signed header is held to.
    const fb = parsePackage({ ...pkg.fallback, operations: pkg.operations }, base, field("fallback"));
    out.fallback = { url: fb.url, sha256: fb.sha256, signature: fb.signature, size: fb.size };
  }
  if (pkg.schema !== undefined && pkg.schema !== null) {
    const dialect = isObject(pkg.schema) ? pkg.schema.dialect : undefined;
    if (typeof dialect !== "string" || !SCHEMA_DIALECTS.includes(dialect)) {
      throw invalid(
        `field "${field("schema.dialect")}" must be one of ${SCHEMA_DIALECTS.join(", ")}, got ${
          JSON.stringify(dialect)
        }`,
      );
    }
    out.schemaDialect = dialect;
  }
  return out;
}

/**
 * Validates a parsed manifest document. `base` is the manifest's own URL,
 * against which a relative package `url` resolves.
 */
export function parseManifest(
  doc: unknown,
  base: URL,
  options?: ParseManifestOptions,
): Manifest {
  if (!isObject(doc)) throw invalid("top level must be a JSON object");
  if (isObject(doc.patch) && doc.url === undefined) {
    const requested = options?.arch ?? Deno.build.arch;
    const arch = normalizeArch(requested);
    if (arch === undefined) {
      throw invalid(
        `architecture "${requested}" is not one of ${ARCHES.join(", ")}`,
      );
    }
    const entry = doc.patch[arch];
    if (!isObject(entry)) {
      const have = ARCHES.filter((a) => isObject((doc.patch as Record<string, unknown>)[a]));
      throw invalid(
        `no patch for architecture "${arch}" (manifest has: ${have.join(", ") || "none"})`,
      );
    }
    const pkg = parsePackage(entry, base, `patch.${arch}`);
    const version = pkg.version ??
      optionalString(doc.patch, "version", "patch.version") ??
      optionalString(doc, "version", "version");
    const fromVersion = pkg.fromVersion ??
      optionalString(doc.patch, "from_version", "patch.from_version") ??
      optionalString(doc, "from_version", "from_version");
    return { ...pkg, version, fromVersion, arch, schemaDialect: pkg.schemaDialect };
  }
  const pkg = parsePackage(doc, base, "");
  return {
    ...pkg,
    version: pkg.version,
    fromVersion: pkg.fromVersion,
    // The architecture being installed, held against the one the package's signed header names.
    arch: normalizeArch(options?.arch ?? Deno.build.arch),
    schemaDialect: pkg.schemaDialect,
  };
}

/** Turns a command-line manifest argument (path or URL) into a URL. */
export function manifestUrl(source: string): URL {
  if (/^(https?|file):/i.test(source)) {
    try {
      return new URL(source);
    } catch {
      throw invalid(`"${source}" is not a valid URL`);
    }
  }
  const abs = source.startsWith("/") ? source : `${Deno.cwd()}/${source}`;
  const url = new URL("file://");
  url.pathname = abs;
  return url;
}

/** Options of {@linkcode loadManifest}. */
export interface LoadManifestOptions extends ParseManifestOptions {
  /** @default 30 */
  timeoutSeconds?: number;
  /**
   * Seconds the whole manifest download may take.
   * @default 3600
   */
  deadlineSeconds?: number | undefined;
  /**
   * The slowest transfer accepted (as for the package).
   * @default { bytesPerSecond: 1024, windowSeconds: 60 }
   */
  minRate?: { bytesPerSecond: number; windowSeconds: number } | undefined;
}

/** Reads and validates a manifest from a path or an http(s)/file URL. */
export async function loadManifest(
  source: string,
  options?: LoadManifestOptions,
): Promise<Manifest> {
  const url = manifestUrl(source);
  // The same deadline and rate floor as the package: the stall timer alone let a server drip a
  // byte every 29 s into a 16 MiB manifest (a timer-driven `apply` then never ended).
  const { deadlineSeconds = 3600, minRate = { bytesPerSecond: 1024, windowSeconds: 60 } } = options ?? {};
  const bytes = await readSmall(url, {
    ...(options?.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}),
    deadline: Date.now() + deadlineSeconds * 1000,
    minRate,
  });
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw invalid(
      `not valid JSON (${err instanceof Error ? err.message : err})`,
    );
  }
  return parseManifest(doc, url, options?.arch ? { arch: options.arch } : {});
}
