/**
 * One pass over the package bytes: download, SHA-256, signature state,
 * decompression, tar, policy and staging are one chain of pulls through
 * reused buffers, so the package is never held in memory, never read twice,
 * and costs no allocation per chunk. With a download
 * directory, the raw bytes are also kept in a `.part` file so that an
 * interrupted transfer resumes with an HTTP Range request.
 *
 * @module
 */

import { compressionOf, inflating, type Pull } from "../archive/inflate.ts";
import { stageArchive, type StagedTree, type StageOptions } from "../archive/stage.ts";
import { PackageCheck } from "../verify/package_check.ts";
import { abortable, concatPulls, drain, prepend, readHead, Recorded, tap, teeToFile } from "./_pull.ts";
import { PatchopsError } from "../errors.ts";
import { type Body, openBody, type OpenBodyOptions } from "../fetch.ts";
import { checkHeader, type PackageClaims, parseClaims } from "../signed_ops.ts";
import type { Manifest } from "../manifest.ts";
import type { ProgressCallback } from "../progress.ts";
import { MinisignVerifier, parseSignature, type PublicKey } from "../verify/minisign.ts";
import { lstatOrUndefined, readOwnedText, removeIfExists, writeFileAtomic } from "./_fs.ts";
import { checkOwnEntry } from "./trust.ts";
import type { OpenBase } from "../delta/rebuild.ts";

/** How the package's authenticity is to be established. */
export interface TrustOptions {
  /** The publisher's key; without it the package is refused unless `allowUnsigned`. */
  publicKey?: PublicKey | undefined;
  /** Accept a package without checking its signature (integrity rests on the hash alone). */
  allowUnsigned?: boolean;
  /**
   * Accept a signed package whose signature carries no signed header
   * (duck_client packages, or ones signed by another tool): its operations,
   * architecture and sizes are then not authenticated before unpacking.
   */
  allowUnsignedOperations?: boolean | undefined;
}

/** Limits on the transfer itself. */
export interface TransportOptions {
  /**
   * Seconds the whole download may take.
   * @default 3600
   */
  deadlineSeconds?: number | undefined;
  /**
   * The slowest transfer accepted: bytes per second on average over `windowSeconds`.
   * @default { bytesPerSecond: 1024, windowSeconds: 60 }
   */
  minRate?: { bytesPerSecond: number; windowSeconds: number } | undefined;
  /**
   * Largest package accepted when neither its signature, the server nor the manifest says its size.
   * @default 4 GiB
   */
  maxBytes?: number | undefined;
}

/** Options of {@linkcode receivePackage}. */
export interface ReceiveOptions extends TrustOptions, TransportOptions {
  onWarning?: ((message: string) => void) | undefined;
  /** Architecture being installed, held against the signed header's. */
  arch?: string | undefined;
  /** Aborts the download; staging stops and the caller cleans up. */
  signal?: AbortSignal;
  /** @default 30 */
  timeoutSeconds?: number;
  onProgress?: ProgressCallback;
  /** Reserved archive members to capture instead of staging. */
  capture?: ReadonlySet<string>;
  /** Milliseconds timestamp the caller's operation started at. */
  startedAt?: number;
  /** Where to keep a resumable copy of an http(s) download. */
  downloadDir?: string;
  /** Called once the package's size is known (`undefined` if the server does not say). */
  onSize?: (bytes: number | undefined, keepsCopy: boolean) => Promise<void>;
  /** Passed on to staging: called before each file is written. */
  beforeFile?: (size: number) => Promise<void>;
  /** Passed on to staging: how staged data reaches the disk. */
  sync?: "none" | "each" | "batch";
  /** Passed on to staging: background writeback of what is staged so far. */
  flushStaged?: () => Promise<unknown>;
  /** Passed on to staging: opens the installed file a delta member applies to. */
  openBase?: OpenBase | undefined;
  /** How a path in the download directory is shown in messages. */
  show?: (path: string) => string;
}

/** What {@linkcode receivePackage} produced. */
export interface Received {
  staged: StagedTree;
  /** Bytes of the package. */
  bytes: number;
  /** Bytes taken from an earlier, interrupted download. */
  resumedFrom: number;
  /** Whether a signature was verified. */
  signed: boolean;
  /** Whether the signed header (operations, architecture, totals) was authenticated and checked. */
  headerChecked: boolean;
  trustedComment: string | undefined;
}

/**
 * Builds the verifier the manifest and trust options call for, before any
 * byte is fetched: a missing signature or a wrong key id fails here.
 */
export function prepareVerifier(
  manifest: Manifest,
  trust: TrustOptions,
): MinisignVerifier | undefined {
  if (trust.publicKey === undefined) {
    if (trust.allowUnsigned) return undefined;
    throw new PatchopsError(
      "KeyRequired",
      "no public key given, so the package's origin cannot be checked",
    );
  }
  if (manifest.signature === undefined) {
    throw new PatchopsError(
      "SignatureInvalid",
      "manifest has no signature, but a public key was given",
    );
  }
  return new MinisignVerifier(
    trust.publicKey,
    parseSignature(manifest.signature),
  );
}

/** Validator of a partial download, saved beside it. */
interface PartMeta {
  url: string;
  etag: string | null;
  lastModified: string | null;
}

/** A partial download that may be resumed. */
interface Part {
  path: string;
  metaPath: string;
  size: number;
  meta: PartMeta | undefined;
}

async function findPart(dir: string, manifest: Manifest, show: (p: string) => string): Promise<Part> {
  const path = `${dir}/${manifest.sha256}.part`;
  const metaPath = `${path}.json`;
  let size = 0;
  let meta: PartMeta | undefined;
  // Both files are ours: a link or anything else planted there is refused, never followed.
  const info = await lstatOrUndefined(path);
  if (info !== undefined) {
    checkOwnEntry(info, show(path), "file");
    size = info.size;
    const v = JSON.parse(readOwnedText(metaPath, show(metaPath), 64 << 10) ?? "null");
    const text = (x: unknown) => typeof x === "string" && x.length <= 1024;
    if (
      v !== null && v.url === manifest.url.href && (v.etag === null || text(v.etag)) &&
      (v.lastModified === null || text(v.lastModified)) && (v.etag || v.lastModified)
    ) meta = { url: v.url, etag: v.etag, lastModified: v.lastModified };
  }
  if (meta === undefined) size = 0;
  return { path, metaPath, size, meta };
}

/**
 * Removes the partial downloads in `dir` except those of `keepSha` (all of
 * them when it is undefined). Returns what was removed, with sizes.
 */
export async function pruneDownloads(dir: string, keepSha?: string): Promise<{ name: string; size: number }[]> {
  const removed: { name: string; size: number }[] = [];
  for (const d of await listDownloads(dir)) {
    if (keepSha !== undefined && d.name.startsWith(`${keepSha}.`)) continue;
    // A plain remove: a link is removed, never followed; a directory is not ours to empty here.
    await Deno.remove(`${dir}/${d.name}`);
    removed.push(d);
  }
  return removed;
}

/** The partial downloads kept in `dir`, with their sizes. */
export async function listDownloads(dir: string): Promise<{ name: string; size: number }[]> {
  const out: { name: string; size: number }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const info = await Deno.lstat(`${dir}/${e.name}`);
      out.push({ name: e.name, size: info.size });
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Opens the body, resuming from `part` when the server honours the Range. */
async function openResumable(
  manifest: Manifest,
  part: Part | undefined,
  transfer: OpenBodyOptions,
): Promise<{ body: Body; resumeFrom: number }> {
  const limit = transfer.maxBytes ?? Infinity;
  if (part && part.size > 0 && part.size < limit && part.meta) {
    const validator = part.meta.etag ?? part.meta.lastModified!;
    const body = await openBody(manifest.url, {
      ...transfer,
      maxBytes: limit - part.size,
      headers: { range: `bytes=${part.size}-`, "if-range": validator },
    });
    const range = body.headers.get("content-range");
    if (
      body.status === 206 && range !== null &&
      range.startsWith(`bytes ${part.size}-`)
    ) {
      return { body, resumeFrom: part.size };
    }
    // The server ignored the range or the file changed: start over.
    if (body.status === 206) {
      await body.cancel();
      return {
        body: await openBody(manifest.url, transfer),
        resumeFrom: 0,
      };
    }
    if (body.size !== undefined && body.size > limit) {
      await body.cancel();
      return { body: await openBody(manifest.url, transfer), resumeFrom: 0 };
    }
    return { body, resumeFrom: 0 };
  }
  return {
    body: await openBody(manifest.url, transfer),
    resumeFrom: 0,
  };
}

/**
 * What the package signature's trusted comment vouches for, checked before
 * a byte is fetched (the global signature needs none of the file). A
 * signature without claims is refused unless `allowUnsignedOperations`.
 */
async function signedClaims(manifest: Manifest, options: ReceiveOptions): Promise<PackageClaims | undefined> {
  const verifier = prepareVerifier(manifest, options);
  if (verifier === undefined) return undefined;
  const claims = parseClaims(await verifier.checkComment());
  if (claims === undefined && !options.allowUnsignedOperations) {
    throw new PatchopsError(
      "OperationsUnsigned",
      "the package signature carries no signed header, so its operations, architecture and sizes would not be authenticated before unpacking",
    );
  }
  if (claims === undefined) {
    options.onWarning?.(
      "the package signature carries no signed header: its operations, architecture and sizes are not authenticated before unpacking",
    );
  }
  return claims;
}

/** The most bytes a package may have, and where that bound comes from. */
function packageLimit(manifest: Manifest, claims: PackageClaims | undefined, options: ReceiveOptions): number {
  return claims?.size ?? manifest.size ?? options.maxBytes ?? 4 * 1024 ** 3;
}

/**
 * Downloads the package into `stagingDir`, verifying as it goes. The hash
 * and signature are judged over every byte even when extraction fails
 * early, so a tampered package is reported as tampered rather than as a
 * corrupt archive. A resumed download that fails the hash is discarded and
 * fetched again in full, once. Throws `HashMismatch`, `SignatureInvalid`,
 * `FetchFailed`, `ArchiveCorrupt` or `UnsafeMember`.
 */
export async function receivePackage(
  manifest: Manifest,
  stagingDir: string,
  options?: ReceiveOptions,
): Promise<Received> {
  const { downloadDir } = options ?? {};
  const resumable = downloadDir !== undefined &&
    manifest.url.protocol !== "file:";
  const claims = await signedClaims(manifest, options ?? {});
  // One partial download is kept at most: this package's. Others are pruned before it starts.
  if (resumable) await pruneDownloads(downloadDir, manifest.sha256);
  for (let attempt = 0;; attempt++) {
    const part = resumable ? await findPart(downloadDir, manifest, options?.show ?? ((p) => p)) : undefined;
    try {
      const received = await receiveOnce(
        manifest,
        stagingDir,
        part,
        options ?? {},
        claims,
      );
      if (part) {
        await Promise.all([
          removeIfExists(part.path),
          removeIfExists(part.metaPath),
        ]);
      }
      return received;
    } catch (err) {
      const code = err instanceof PatchopsError ? err.code : undefined;
      // Keep what was received only when the transfer itself broke off.
      if (part && code !== "FetchFailed") {
        await Promise.all([
          removeIfExists(part.path),
          removeIfExists(part.metaPath),
        ]);
      }
      if (
        code === "HashMismatch" && (err as { resumed?: boolean }).resumed &&
        attempt === 0
      ) {
        await removeIfExists(stagingDir);
        await Deno.mkdir(stagingDir, { recursive: true, mode: 0o700 });
        continue;
      }
      throw err;
    }
  }
}

/** Reads the first `limit` bytes of a partial download, into one reused buffer. */
async function openPartReader(path: string, limit: number): Promise<{ pull: Pull; close(): void }> {
  const file = await Deno.open(path);
  const buf = new Uint8Array(256 << 10);
  let left = limit;
  return {
    pull: async () => {
      if (left <= 0) return undefined;
      const n = await file.read(buf.subarray(0, Math.min(buf.length, left)));
      if (n === null) throw new PatchopsError("FetchFailed", `partial download "${path}" shrank`);
      left -= n;
      return buf.subarray(0, n);
    },
    close: () => file.close(),
  };
}

/**
 * Opens the copy a resumable download keeps: a new one (with the validator
 * that lets a later run resume) when the server gave one, the kept one to
 * append to when resuming, none otherwise.
 */
async function openPartCopy(
  manifest: Manifest,
  part: Part | undefined,
  body: Body,
  resumeFrom: number,
): Promise<Deno.FsFile | undefined> {
  if (part === undefined) return undefined;
  if (resumeFrom > 0) return await Deno.open(part.path, { write: true, append: true });
  const etag = body.headers.get("etag");
  const lastModified = body.headers.get("last-modified");
  if (!etag && !lastModified) {
    await Promise.all([removeIfExists(part.path), removeIfExists(part.metaPath)]);
    return undefined;
  }
  const meta: PartMeta = { url: manifest.url.href, etag, lastModified };
  await Deno.mkdir(part.path.slice(0, part.path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  await writeFileAtomic(part.metaPath, JSON.stringify(meta));
  // O_EXCL after removing what was there: never through a planted link.
  await removeIfExists(part.path);
  return await Deno.open(part.path, { write: true, createNew: true, mode: 0o600 });
}

/**
 * The package's bytes unpacked into staging: the decompressor is chosen by
 * the first bytes (not the name), then inflate, tar, member policy and
 * writers (`stageArchive`).
 */
async function extract(pull: Pull, stagingDir: string, options: StageOptions): Promise<StagedTree> {
  const head = await readHead(pull, 4);
  if (head.length === 0) throw new PatchopsError("ArchiveCorrupt", "package is empty");
  const kind = compressionOf(head);
  if (kind === undefined) {
    throw new PatchopsError("ArchiveCorrupt", "package is neither gzip- nor zstd-compressed");
  }
  const inflater = inflating(kind, prepend(head, pull));
  try {
    return await stageArchive(inflater.pull, stagingDir, options);
  } finally {
    inflater.close();
  }
}

/**
 * One pass over the package, as named stages:
 * fetch (resumed part first) -> tee to the partial copy -> hash and
 * signature (`PackageCheck`) and progress -> extract (inflate, tar, header
 * check, policy, writers). A failure of the transfer wins over one of the
 * archive; otherwise every byte is read and judged, so a tampered package
 * is reported as tampered rather than as a corrupt archive.
 */
async function receiveOnce(
  manifest: Manifest,
  stagingDir: string,
  part: Part | undefined,
  options: ReceiveOptions,
  claims: PackageClaims | undefined,
): Promise<Received> {
  const { signal, timeoutSeconds = 30, onProgress, startedAt = Date.now(), onSize } = options;
  const verifier = prepareVerifier(manifest, options);
  const { body, resumeFrom } = await openResumable(manifest, part, {
    timeoutSeconds,
    deadline: startedAt + (options.deadlineSeconds ?? 3600) * 1000,
    minRate: options.minRate ?? { bytesPerSecond: 1024, windowSeconds: 60 },
    maxBytes: packageLimit(manifest, claims, options),
  });
  const total = body.size !== undefined ? body.size + resumeFrom : claims?.size;
  let copy: Deno.FsFile | undefined;
  let resumed: { pull: Pull; close(): void } | undefined;
  try {
    if (claims !== undefined && body.size !== undefined && body.size + resumeFrom !== claims.size) {
      throw new PatchopsError(
        "FetchFailed",
        `the server announces ${body.size + resumeFrom} bytes, but the signed size is ${claims.size}`,
      );
    }
    await onSize?.(total, part !== undefined);
    copy = await openPartCopy(manifest, part, body, resumeFrom);
    resumed = resumeFrom > 0 ? await openPartReader(part!.path, resumeFrom) : undefined;
  } catch (err) {
    copy?.close();
    await body.cancel();
    throw err;
  }

  const check = new PackageCheck(manifest.sha256, verifier);
  let files = 0;
  let lastReport = 0;
  const source = new Recorded(
    abortable(
      concatPulls(resumed?.pull, teeToFile(body.pull, copy)),
      signal,
      () => new PatchopsError("FetchFailed", "download interrupted by a signal"),
    ),
  );
  const judged = tap(source.pull, (chunk) => {
    check.update(chunk);
    const now = Date.now();
    if (onProgress && now - lastReport >= 100) {
      lastReport = now;
      onProgress({
        phase: "download",
        bytes: check.bytes,
        ...(total !== undefined ? { total } : {}),
        files,
        elapsedMs: now - startedAt,
      });
    }
  });
  let staged: StagedTree | undefined;
  let extractError: unknown;
  try {
    staged = await extract(judged, stagingDir, {
      ...(options.capture ? { capture: options.capture } : {}),
      ...(claims
        ? {
          header: { sha256: claims.header, check: (bytes: Uint8Array) => checkHeader(manifest, bytes, options.arch) },
        }
        : {}),
      ...(options.beforeFile ? { beforeFile: options.beforeFile } : {}),
      openBase: options.openBase,
      onEntry: (_path, tree) => {
        files = tree.files;
      },
      sync: options.sync ?? "none",
      ...(options.flushStaged ? { flushStaged: options.flushStaged } : {}),
    });
  } catch (err) {
    extractError = err;
  }
  try {
    // Whatever extraction made of it, every byte is judged: read what is left.
    if (!source.failed) await drain(judged);
  } catch {
    // Recorded by `source`.
  } finally {
    resumed?.close();
    copy?.close();
  }
  if (source.failed) {
    await body.cancel();
    throw source.error;
  }
  onProgress?.({ phase: "verify", bytes: check.bytes, total: check.bytes, elapsedMs: Date.now() - startedAt });
  let trustedComment: string | undefined;
  try {
    trustedComment = await check.verdict();
  } catch (err) {
    if (err instanceof PatchopsError && err.code === "HashMismatch") Object.assign(err, { resumed: resumeFrom > 0 });
    throw err;
  }
  if (extractError !== undefined) throw extractError;
  return {
    staged: staged!,
    bytes: check.bytes,
    resumedFrom: resumeFrom,
    signed: verifier !== undefined,
    headerChecked: claims !== undefined,
    trustedComment,
  };
}

export { type Compression, compressionOf } from "../archive/inflate.ts";
