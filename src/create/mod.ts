/**
 * `create`: the publisher's side. Diffs two trees, writes the package with
 * its operations embedded, signs it, and writes a duck_client manifest.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { ARCHES, normalizeArch, type Operations } from "../manifest.ts";
import {
  deltasOffset,
  encodeSignedOperations,
  formatClaims,
  type HeaderTotals,
  hookMember,
  OPERATIONS_MEMBER,
  SCHEMA_MEMBER,
  toPatchOperations,
} from "../signed_ops.ts";
import { createHash } from "node:crypto";
import { type Dialect, generateSchemaDiff } from "../sql/mod.ts";
import { encodeBase64 } from "../verify/base64.ts";
import { formatSignature } from "../verify/minisign.ts";
import { type SecretKey, signDigest } from "../verify/secret_key.ts";
import { membersFor, writePackage } from "./archive.ts";
import { type DiffOptions, diffTrees } from "./diff.ts";
import { checkLinks, scanTree } from "./tree.ts";
import { chooseDeltas, type ChosenDelta } from "./deltas.ts";

/** Options of {@linkcode createPatch}. */
export interface CreateOptions extends DiffOptions {
  /** Package URL written in the manifest. @default "patch.tar.gz" */
  url?: string | undefined;
  secretKey?: SecretKey;
  version?: string;
  fromVersion?: string;
  notes?: string;
  /** Member mtime (seconds). @default 0 */
  mtime?: number;
  /** A target database schema to carry (as `.patchops/schema.sql`), with its dialect. */
  schema?: { sql: string; dialect: Dialect };
  /**
   * Package compression; zstd packages are named `patch.tar.zst`. With
   * `delta`, zstd at level 19: the deltas go in uncompressed, and one
   * strong stream over all of them finds what alike files' deltas share.
   * @default "gzip", or "zstd" with `delta`
   */
  compression?: "gzip" | "zstd" | undefined;
  /** Architecture the package is for (`x86_64`, `aarch64`), signed into its header; any when absent. */
  arch?: string | undefined;
  /**
   * Ship changed files as deltas against their old versions where that is
   * smaller (see `chooseDeltas`); `minSize` is the smallest file considered.
   * With `fallback`, a full-file package is written too, to `<out>/full/`,
   * and the manifest names it: a client whose installed files were changed
   * locally fetches that one instead of refusing the patch.
   */
  delta?: { minSize?: number | undefined; fallback?: boolean | undefined } | undefined;
  /** Replace a manifest or package already in the output directory. @default false */
  overwrite?: boolean | undefined;
  /** Package hooks to ship as `.patchops/hooks/<stage>`, listed with their SHA-256 in the signed header. */
  hooks?: { stage: "pre-apply" | "post-apply"; bytes: Uint8Array }[] | undefined;
}

/** What {@linkcode createPatch} wrote. */
export interface CreateResult {
  operations: Operations;
  packagePath: string;
  manifestPath: string;
  bytes: number;
  sha256: string;
  members: number;
  signed: boolean;
  /** Files shipped as deltas. */
  deltas: number;
}

/**
 * Writes `<out>/patch.tar.gz`, `<out>/patch.tar.gz.minisig` (when a key is
 * given) and `<out>/manifest.json` such that applying the manifest to
 * `fromDir` gives exactly `toDir`.
 */
export async function createPatch(
  fromDir: string,
  toDir: string,
  outDir: string,
  options?: CreateOptions,
): Promise<CreateResult> {
  // A schema that does not parse would only fail on the operator's machine: refuse it here.
  if (options?.schema) generateSchemaDiff(undefined, options.schema.sql, { dialect: options.schema.dialect });
  const [from, to] = await Promise.all([scanTree(fromDir), scanTree(toDir)]);
  checkLinks(to);
  const ops = await diffTrees(from, to, options);
  await Deno.mkdir(outDir, { recursive: true });
  const realOut = await Deno.realPath(outDir);
  for (const root of [from.root, to.root]) {
    const real = await Deno.realPath(root);
    if (realOut === real || realOut.startsWith(real + "/")) {
      throw new PatchopsError(
        "TreeInvalid",
        `output directory "${outDir}" lies inside "${root}"`,
      );
    }
  }
  const compression = options?.compression ?? (options?.delta ? "zstd" : "gzip");
  const packageName = compression === "zstd" ? "patch.tar.zst" : "patch.tar.gz";
  const packagePath = `${outDir}/${packageName}`;
  if (!options?.overwrite) {
    // A publisher's earlier release is not replaced by accident.
    for (const path of [`${outDir}/manifest.json`, packagePath]) {
      try {
        await Deno.lstat(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue;
        throw err;
      }
      throw new PatchopsError("OutputExists", `"${path}" exists already and overwriting was not asked for`);
    }
  }
  // The header goes first and counts what follows it, so that apply can hold the archive to it.
  const schemaBytes = options?.schema ? new TextEncoder().encode(options.schema.sql) : undefined;
  const totals: HeaderTotals = { entries: 0, files: 0, bytes: 0 };
  const members = membersFor(to, ops);
  const deltas = options?.delta
    ? await chooseDeltas(from, to, members, {
      minSize: options.delta.minSize,
      compression,
    })
    : new Map<string, ChosenDelta>();
  for (const path of members) {
    const node = to.nodes.get(path)!;
    totals.entries++;
    if (node.type === "file") {
      totals.files++;
      totals.bytes += deltas.get(path)?.bytes.length ?? node.size;
    }
  }
  if (schemaBytes) {
    totals.entries++;
    totals.files++;
    totals.bytes += schemaBytes.length;
  }
  const hooks = options?.hooks ?? [];
  for (const h of hooks) {
    totals.entries++;
    totals.files++;
    totals.bytes += h.bytes.length;
  }
  const arch = options?.arch === undefined ? undefined : normalizeArch(options.arch);
  if (options?.arch !== undefined && arch === undefined) {
    throw new PatchopsError("TreeInvalid", `architecture "${options.arch}" is not one of ${ARCHES.join(", ")}`);
  }
  const header = encodeSignedOperations(ops, options?.version, options?.fromVersion, options?.schema?.dialect, {
    arch,
    totals,
    hooks: hooks.map((h) => ({
      stage: h.stage,
      sha256: createHash("sha256").update(h.bytes).digest("hex"),
      size: h.bytes.length,
    })),
    deltas: new Map([...deltas].map(([path, d]) => [path, d.entry])),
  });
  // The header's SHA-256s in a zstd block of their own: its literals get a Huffman table of hex
  // digits, about 4 bits each instead of 5.4 among the header's other text. Measured on delta
  // packages: eslint 10.14.0 to 10.15.0 3,735 bytes to 3,511, @babel/parser 8.1.2 to 8.1.3 1,345
  // to 1,279, typescript 6.0.2 to 6.0.3 1,013 to 994; the whole header in a block of its own, or
  // every member in one, did less.
  const hashesAt = deltas.size > 0 && compression === "zstd" ? deltasOffset(header) : -1;
  const written = await writePackage(to, ops, packagePath, {
    mtime: options?.mtime ?? 0,
    blockEnds: hashesAt > 0 ? new Map([[OPERATIONS_MEMBER, [hashesAt, header.length]]]) : undefined,
    compression,
    level: options?.delta && compression === "zstd" ? 19 : undefined,
    contents: new Map([...deltas].map(([path, d]) => [path, d.bytes])),
    extra: new Map([
      [OPERATIONS_MEMBER, header],
      ...(schemaBytes ? [[SCHEMA_MEMBER, schemaBytes] as [string, Uint8Array]] : []),
      ...hooks.map((h) => [hookMember(h.stage), h.bytes] as [string, Uint8Array]),
    ]),
  });
  let signature: string | undefined;
  if (options?.secretKey) {
    const claims = formatClaims({ size: written.bytes, header: createHash("sha256").update(header).digest("hex") });
    const sig = signDigest(options.secretKey, written.blake2b, {
      fileName: packageName,
      trustedComment: `timestamp:${Math.floor(Date.now() / 1000)}\tfile:${packageName}\thashed\t${claims}`,
    });
    const text = formatSignature(sig);
    await Deno.writeTextFile(`${packagePath}.minisig`, text);
    signature = encodeBase64(new TextEncoder().encode(text));
  }
  const manifest: Record<string, unknown> = {
    url: options?.url ?? packageName,
    hash: `sha256:${written.sha256}`,
    size: written.bytes,
    signature: signature ?? "",
    operations: toPatchOperations(ops),
  };
  if (options?.delta?.fallback) {
    // The same trees as a plain package (gzip, no deltas); its manifest is not needed beside this one.
    const { url: _url, compression: _compression, delta: _delta, ...plain } = options;
    const full = await createPatch(fromDir, toDir, `${outDir}/full`, plain);
    const doc = JSON.parse(await Deno.readTextFile(full.manifestPath));
    await Deno.remove(full.manifestPath);
    manifest.fallback = { url: `full/${doc.url}`, hash: doc.hash, size: doc.size, signature: doc.signature };
  }
  if (options?.notes !== undefined) manifest.notes = options.notes;
  if (options?.version !== undefined) manifest.version = options.version;
  if (options?.fromVersion !== undefined) {
    manifest.from_version = options.fromVersion;
  }
  if (options?.schema) manifest.schema = { dialect: options.schema.dialect };
  const manifestPath = `${outDir}/manifest.json`;
  await Deno.writeTextFile(
    manifestPath,
    JSON.stringify(manifest, null, 2) + "\n",
  );
  return {
    operations: ops,
    packagePath,
    manifestPath,
    bytes: written.bytes,
    sha256: written.sha256,
    members: written.members,
    signed: signature !== undefined,
    deltas: deltas.size,
  };
}
