/**
 * One pass over the package bytes: download, SHA-256, signature state,
 * gunzip, tar, policy and staging all run on the same stream, so the
 * package is never held in memory and never read twice.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { stageArchive, type StagedTree } from "../archive/stage.ts";
import { PatchopsError } from "../errors.ts";
import { openBody } from "../fetch.ts";
import type { Manifest } from "../manifest.ts";
import type { ProgressCallback } from "../progress.ts";
import {
  MinisignVerifier,
  parseSignature,
  type PublicKey,
} from "../verify/minisign.ts";

/** How the package's authenticity is to be established. */
export interface TrustOptions {
  /** The publisher's key; without it the package is refused unless `allowUnsigned`. */
  publicKey?: PublicKey | undefined;
  /** Accept a package without checking its signature (integrity rests on the hash alone). */
  allowUnsigned?: boolean;
}

/** Options of {@linkcode receivePackage}. */
export interface ReceiveOptions {
  /** From {@linkcode prepareVerifier}; `undefined` means unsigned was allowed. */
  verifier?: MinisignVerifier | undefined;
  /** Aborts the download; staging stops and the caller cleans up. */
  signal?: AbortSignal;
  timeoutSeconds?: number;
  onProgress?: ProgressCallback;
  /** Reserved archive members to capture instead of staging. */
  capture?: ReadonlySet<string>;
  /** Milliseconds timestamp the caller's operation started at. */
  startedAt?: number;
}

/** What {@linkcode receivePackage} produced. */
export interface Received {
  staged: StagedTree;
  /** Bytes of the package as downloaded. */
  bytes: number;
  /** Whether a signature was verified. */
  signed: boolean;
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
      "SignatureInvalid",
      "no public key given, so the package's origin cannot be checked (pass --public-key, or --allow-unsigned to rely on the hash alone)",
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

/**
 * Downloads the package into `stagingDir`, verifying as it goes. The hash
 * and signature are judged over every byte even when extraction fails
 * early, so a tampered package is reported as tampered rather than as a
 * corrupt archive. Throws `HashMismatch`, `SignatureInvalid`, `FetchFailed`,
 * `ArchiveCorrupt` or `UnsafeMember`.
 */
export async function receivePackage(
  manifest: Manifest,
  stagingDir: string,
  options?: ReceiveOptions,
): Promise<Received> {
  const {
    verifier,
    signal,
    timeoutSeconds = 30,
    onProgress,
    capture,
    startedAt = Date.now(),
  } = options ?? {};
  const body = await openBody(manifest.url, { timeoutSeconds });
  const sha = createHash("sha256");
  const inflate = new DecompressionStream("gzip");
  const writer = inflate.writable.getWriter();
  let extractError: unknown;
  let staged: StagedTree | undefined;
  const staging = stageArchive(
    inflate.readable,
    stagingDir,
    capture ? { capture } : {},
  ).then(
    (tree) => {
      staged = tree;
    },
    (err) => {
      extractError ??= err;
    },
  );
  let bytes = 0;
  let fetchError: unknown;
  let lastReport = 0;
  let checkedMagic = false;
  try {
    for await (const chunk of body.stream) {
      if (signal?.aborted) {
        throw new PatchopsError(
          "FetchFailed",
          "download interrupted by a signal",
        );
      }
      sha.update(chunk);
      verifier?.update(chunk);
      bytes += chunk.length;
      if (!checkedMagic && bytes >= 2) {
        checkedMagic = true;
        if (chunk[0] !== 0x1f || chunk[1] !== 0x8b) {
          extractError ??= new PatchopsError(
            "ArchiveCorrupt",
            "package is not gzip-compressed",
          );
        }
      }
      if (extractError === undefined) {
        await writer.write(chunk as Uint8Array<ArrayBuffer>).catch(() => {});
      }
      const now = Date.now();
      if (onProgress && now - lastReport >= 100) {
        lastReport = now;
        onProgress({
          phase: "download",
          bytes,
          ...(body.size !== undefined ? { total: body.size } : {}),
          files: staged?.files ?? 0,
          elapsedMs: now - startedAt,
        });
      }
    }
    await writer.close().catch(() => {});
  } catch (err) {
    fetchError = err;
    await writer.abort(err).catch(() => {});
  }
  await staging;
  if (fetchError !== undefined) throw fetchError;
  onProgress?.({
    phase: "verify",
    bytes,
    total: bytes,
    elapsedMs: Date.now() - startedAt,
  });
  const actual = sha.digest("hex");
  if (actual !== manifest.sha256) {
    throw new PatchopsError(
      "HashMismatch",
      `package hash mismatch: manifest says sha256:${manifest.sha256}, downloaded ${bytes} bytes hash to sha256:${actual}`,
    );
  }
  const trustedComment = verifier ? await verifier.verify() : undefined;
  if (extractError !== undefined) throw extractError;
  if (staged === undefined) {
    throw new PatchopsError("ArchiveCorrupt", "archive produced no result");
  }
  return { staged, bytes, signed: verifier !== undefined, trustedComment };
}
