/**
 * minisign public keys and signatures: parsing and streaming verification.
 *
 * Formats (from minisign's documentation): a public key is base64 of
 * `"Ed" || key_id[8] || ed25519_pk[32]`; a signature file holds an untrusted
 * comment, base64 of `alg[2] || key_id[8] || sig[64]`, a trusted comment, and
 * base64 of the global signature over `sig || trusted_comment`. `alg` is `ED`
 * when the signed message is the BLAKE2b-512 digest of the file, `Ed` (legacy)
 * when it is the file itself.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { PatchopsError } from "../errors.ts";
import { late } from "../late.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";

/** A minisign public key. */
export interface PublicKey {
  keyId: Uint8Array;
  key: Uint8Array;
}

/** A parsed minisign signature. */
export interface Signature {
  algorithm: "ED" | "Ed";
  keyId: Uint8Array;
  signature: Uint8Array;
  untrustedComment: string;
  trustedComment: string;
  globalSignature: Uint8Array;
}

const UNTRUSTED = "untrusted comment: ";
const TRUSTED = "trusted comment: ";

/** Key ids as minisign prints them: the little-endian u64 in upper-case hex. */
export function formatKeyId(keyId: Uint8Array): string {
  return Array.from(keyId).reverse().map((b) => b.toString(16).padStart(2, "0"))
    .join("").toUpperCase();
}

function keyInvalid(why: string): PatchopsError {
  return new PatchopsError("KeyInvalid", `public key is invalid: ${why}`);
}

/**
 * Parses a public key from the text of a minisign `.pub` file or from its
 * bare base64 line.
 */
export function parsePublicKey(text: string): PublicKey {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const keyLine = lines.find((l) => !l.startsWith(UNTRUSTED));
  if (keyLine === undefined) throw keyInvalid("no key line");
  const raw = decodeBase64(keyLine);
  if (raw === undefined) {
    throw keyInvalid(`"${keyLine.slice(0, 20)}" is not base64`);
  }
  if (raw.length !== 42) {
    throw keyInvalid(`expected 42 bytes, got ${raw.length}`);
  }
  if (raw[0] !== 0x45 || raw[1] !== 0x64) {
    throw keyInvalid("not an Ed25519 minisign key");
  }
  return { keyId: raw.slice(2, 10), key: raw.slice(10, 42) };
}

/** Serialises a public key as the text of a minisign `.pub` file. */
export function formatPublicKey(key: PublicKey): string {
  const raw = new Uint8Array(42);
  raw.set([0x45, 0x64]);
  raw.set(key.keyId, 2);
  raw.set(key.key, 10);
  return `${UNTRUSTED}minisign public key ${formatKeyId(key.keyId)}\n${encodeBase64(raw)}\n`;
}

function sigInvalid(why: string): PatchopsError {
  return new PatchopsError(
    "SignatureInvalid",
    `signature is malformed: ${why}`,
  );
}

/**
 * Parses a signature given as `.minisig` text or as base64 of that text (the
 * form Tauri and duck_client put in manifests).
 */
export function parseSignature(input: string): Signature {
  let text = input.trim();
  if (!text.startsWith(UNTRUSTED)) {
    const decoded = decodeBase64(text.replace(/\s+/g, ""));
    if (decoded === undefined) {
      throw sigInvalid("neither minisign text nor base64 of it");
    }
    text = new TextDecoder().decode(decoded).trim();
    if (!text.startsWith(UNTRUSTED)) {
      throw sigInvalid("decoded base64 is not minisign text");
    }
  }
  const lines = text.split(/\r?\n/);
  if (lines.length < 4) {
    throw sigInvalid(`expected 4 lines, got ${lines.length}`);
  }
  const [untrusted, sigLine, trusted, globalLine] = lines as [
    string,
    string,
    string,
    string,
  ];
  if (!trusted.startsWith(TRUSTED)) {
    throw sigInvalid("third line is not a trusted comment");
  }
  const raw = decodeBase64(sigLine.trim());
  if (raw === undefined || raw.length !== 74) {
    throw sigInvalid("signature line is not 74 bytes of base64");
  }
  const alg = String.fromCharCode(raw[0]!, raw[1]!);
  if (alg !== "ED" && alg !== "Ed") {
    throw sigInvalid(`unknown algorithm "${alg}"`);
  }
  const global = decodeBase64(globalLine.trim());
  if (global === undefined || global.length !== 64) {
    throw sigInvalid("global signature is not 64 bytes of base64");
  }
  return {
    algorithm: alg,
    keyId: raw.slice(2, 10),
    signature: raw.slice(10, 74),
    untrustedComment: untrusted.slice(UNTRUSTED.length),
    trustedComment: trusted.slice(TRUSTED.length),
    globalSignature: global,
  };
}

/** Serialises a signature as `.minisig` text. */
export function formatSignature(sig: Signature): string {
  const raw = new Uint8Array(74);
  raw.set([sig.algorithm.charCodeAt(0), sig.algorithm.charCodeAt(1)]);
  raw.set(sig.keyId, 2);
  raw.set(sig.signature, 10);
  return `${UNTRUSTED}${sig.untrustedComment}\n${encodeBase64(raw)}\n${TRUSTED}${sig.trustedComment}\n${
    encodeBase64(sig.globalSignature)
  }\n`;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function ed25519Verify(
  key: Uint8Array,
  sig: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  try {
    const k = await crypto.subtle.importKey(
      "raw",
      key as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      [
        "verify",
      ],
    );
    return await crypto.subtle.verify(
      "Ed25519",
      k,
      sig as Uint8Array<ArrayBuffer>,
      message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

/**
 * Verifies a minisign signature over bytes fed in pieces, so a package is
 * checked in the same pass that downloads it. Prehashed (`ED`) signatures
 * keep a BLAKE2b-512 state; legacy (`Ed`) ones keep the SHA-512 state of
 * Ed25519's `H(R || A || M)` and finish the curve check with noble-curves,
 * because Web Crypto's Ed25519 wants the whole message at once.
 */
export class MinisignVerifier {
  #key: PublicKey;
  #sig: Signature;
  #hash: Hash;

  /** Throws `SignatureInvalid` at once when the key ids differ. */
  constructor(key: PublicKey, sig: Signature) {
    if (!equalBytes(key.keyId, sig.keyId)) {
      throw new PatchopsError(
        "SignatureInvalid",
        `signature was made with key ${formatKeyId(sig.keyId)}, but the trusted key is ${formatKeyId(key.keyId)}`,
      );
    }
    this.#key = key;
    this.#sig = sig;
    if (sig.algorithm === "ED") {
      this.#hash = createHash("blake2b512");
    } else {
      this.#hash = createHash("sha512");
      this.#hash.update(sig.signature.subarray(0, 32));
      this.#hash.update(key.key);
    }
  }

  /** Feeds the next piece of the signed file. */
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
  }

  /**
   * Checks the global signature over the trusted comment, which needs none
   * of the file: what the comment says can be trusted before the download.
   * Throws `SignatureInvalid`; returns the comment.
   */
  async checkComment(): Promise<string> {
    const comment = new TextEncoder().encode(this.#sig.trustedComment);
    const globalMessage = new Uint8Array(64 + comment.length);
    globalMessage.set(this.#sig.signature);
    globalMessage.set(comment, 64);
    if (!(await ed25519Verify(this.#key.key, this.#sig.globalSignature, globalMessage))) {
      throw new PatchopsError("SignatureInvalid", "trusted comment signature is invalid (the comment was altered)");
    }
    return this.#sig.trustedComment;
  }

  /**
   * Checks the file signature and the global signature over the trusted
   * comment; throws `SignatureInvalid` when either fails. Returns the
   * trusted comment.
   */
  async verify(): Promise<string> {
    const digest = new Uint8Array(this.#hash.digest());
    const ok = this.#sig.algorithm === "ED"
      ? await ed25519Verify(this.#key.key, this.#sig.signature, digest)
      : await legacyCheck(this.#key.key, this.#sig.signature, digest);
    if (!ok) {
      throw new PatchopsError(
        "SignatureInvalid",
        `signature does not match the package (key ${formatKeyId(this.#key.keyId)})`,
      );
    }
    return await this.checkComment();
  }
}

/**
 * RFC 8032 verification given `H(R || A || M)`: checks `[S]B == R + [k]A`.
 * The curve library loads only here: legacy signatures are rare, and it
 * would add 5 MiB to every apply.
 */
async function legacyCheck(
  publicKey: Uint8Array,
  sig: Uint8Array,
  hram: Uint8Array,
): Promise<boolean> {
  const { ed25519 } = await late<typeof import("@noble/curves/ed25519.js")>("@noble/curves/ed25519.js");
  try {
    const Point = ed25519.Point;
    const order = Point.Fn.ORDER;
    const s = bytesToNumberLE(sig.subarray(32, 64));
    if (s >= order) return false;
    const a = Point.fromBytes(publicKey);
    const r = Point.fromBytes(sig.subarray(0, 32));
    if (a.isSmallOrder() || r.isSmallOrder()) return false;
    const k = bytesToNumberLE(hram) % order;
    const left = Point.BASE.multiplyUnsafe(s);
    const right = r.add(a.multiplyUnsafe(k));
    return left.equals(right);
  } catch {
    return false;
  }
}
