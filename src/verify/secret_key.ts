/**
 * minisign secret keys: generation, the (optionally scrypt-encrypted) file
 * format, and signing in minisign's prehashed `ED` form.
 *
 * Layout (minisign's): base64 of `"Ed" || kdf_alg[2] || "B2" || salt[32] ||
 * opslimit[8 LE] || memlimit[8 LE] || keynum_sk[104]`, where keynum_sk is
 * `key_id[8] || ed25519_sk[64] || blake2b256("Ed" || key_id || sk)[32]`,
 * XORed with scrypt(password) when kdf_alg is `"Sc"`.
 *
 * @module
 */

import { createHash, scrypt } from "node:crypto";
import { blake2b } from "@noble/hashes/blake2.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { PatchopsError } from "../errors.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { formatKeyId, type PublicKey, type Signature } from "./minisign.ts";

/** A decrypted secret key. */
export interface SecretKey {
  keyId: Uint8Array;
  /** The 32-byte Ed25519 seed. */
  seed: Uint8Array;
  publicKey: Uint8Array;
}

/** libsodium's "sensitive" scrypt limits, which minisign uses. */
const OPSLIMIT = 33554432n;
const MEMLIMIT = 1073741824n;
const UNTRUSTED = "untrusted comment: ";

/** Creates a fresh key pair. */
export function generateSecretKey(): SecretKey {
  const seed = ed25519.utils.randomSecretKey();
  return {
    keyId: crypto.getRandomValues(new Uint8Array(8)),
    seed,
    publicKey: ed25519.getPublicKey(seed),
  };
}

/** The public half of a secret key. */
export function publicKeyOf(sk: SecretKey): PublicKey {
  return { keyId: sk.keyId, key: sk.publicKey };
}

/** libsodium's mapping from (opslimit, memlimit) to scrypt's N, r, p. */
function scryptParams(
  opslimit: bigint,
  memlimit: bigint,
): { N: number; r: number; p: number } {
  const ops = opslimit < 32768n ? 32768n : opslimit;
  const r = 8n;
  let nLog2 = 1n;
  let p: bigint;
  if (ops < memlimit / 32n) {
    p = 1n;
    const maxN = ops / (r * 4n);
    for (nLog2 = 1n; nLog2 < 63n; nLog2++) if (1n << nLog2 > maxN / 2n) break;
  } else {
    const maxN = memlimit / (r * 128n);
    for (nLog2 = 1n; nLog2 < 63n; nLog2++) if (1n << nLog2 > maxN / 2n) break;
    let maxrp = ops / 4n / (1n << nLog2);
    if (maxrp > 0x3fffffffn) maxrp = 0x3fffffffn;
    p = maxrp / r;
  }
  if (nLog2 > 24n) {
    throw new PatchopsError(
      "KeyInvalid",
      "secret key asks for more scrypt memory than allowed",
    );
  }
  return { N: Number(1n << nLog2), r: Number(r), p: Number(p) };
}

function kdf(
  password: string,
  salt: Uint8Array,
  opslimit: bigint,
  memlimit: bigint,
): Promise<Uint8Array> {
  const { N, r, p } = scryptParams(opslimit, memlimit);
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      salt,
      104,
      { N, r, p, maxmem: 256 * N * r + (1 << 20) },
      (err, key) => {
        if (err) reject(err);
        else resolve(new Uint8Array(key));
      },
    )
  );
}

function checksum(keyId: Uint8Array, sk64: Uint8Array): Uint8Array {
  const data = new Uint8Array(2 + 8 + 64);
  data.set([0x45, 0x64]);
  data.set(keyId, 2);
  data.set(sk64, 10);
  return blake2b(data, { dkLen: 32 });
}

function u64le(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

/**
 * Serialises a secret key as minisign's key file, encrypted with
 * `password` (scrypt, as minisign does) or, when it is undefined, in the
 * clear.
 */
export async function formatSecretKey(
  sk: SecretKey,
  password: string | undefined,
): Promise<string> {
  const raw = new Uint8Array(158);
  raw.set([0x45, 0x64]); // "Ed"
  raw.set(password === undefined ? [0, 0] : [0x53, 0x63], 2); // "\0\0" or "Sc"
  raw.set([0x42, 0x32], 4); // "B2"
  const salt = crypto.getRandomValues(new Uint8Array(32));
  raw.set(salt, 6);
  raw.set(u64le(OPSLIMIT), 38);
  raw.set(u64le(MEMLIMIT), 46);
  const sk64 = new Uint8Array(64);
  sk64.set(sk.seed);
  sk64.set(sk.publicKey, 32);
  const keynum = new Uint8Array(104);
  keynum.set(sk.keyId);
  keynum.set(sk64, 8);
  keynum.set(checksum(sk.keyId, sk64), 72);
  if (password !== undefined) {
    const stream = await kdf(password, salt, OPSLIMIT, MEMLIMIT);
    for (let i = 0; i < 104; i++) keynum[i]! ^= stream[i]!;
  }
  raw.set(keynum, 54);
  const comment = password === undefined ? "minisign secret key (unencrypted)" : "minisign encrypted secret key";
  return `${UNTRUSTED}${comment}\n${encodeBase64(raw)}\n`;
}

/** Whether a secret key file needs a password. */
export function isEncrypted(text: string): boolean {
  const raw = rawSecret(text);
  return raw[2] === 0x53 && raw[3] === 0x63;
}

function rawSecret(text: string): Uint8Array {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith(UNTRUSTED));
  const raw = line === undefined ? undefined : decodeBase64(line);
  if (raw === undefined || raw.length !== 158) {
    throw new PatchopsError(
      "KeyInvalid",
      "secret key is not a minisign secret key file",
    );
  }
  if (
    raw[0] !== 0x45 || raw[1] !== 0x64 || raw[4] !== 0x42 || raw[5] !== 0x32
  ) {
    throw new PatchopsError(
      "KeyInvalid",
      "secret key uses an unknown algorithm",
    );
  }
  return raw;
}

/** Parses (and, with the password, decrypts) a minisign secret key file. */
export async function parseSecretKey(
  text: string,
  password?: string,
): Promise<SecretKey> {
  const raw = rawSecret(text);
  const keynum = raw.slice(54, 158);
  if (raw[2] === 0x53 && raw[3] === 0x63) {
    if (password === undefined) {
      throw new PatchopsError(
        "KeyInvalid",
        "secret key is encrypted and needs a password",
      );
    }
    const view = new DataView(raw.buffer, raw.byteOffset);
    const stream = await kdf(
      password,
      raw.slice(6, 38),
      view.getBigUint64(38, true),
      view.getBigUint64(46, true),
    );
    for (let i = 0; i < 104; i++) keynum[i]! ^= stream[i]!;
  } else if (raw[2] !== 0 || raw[3] !== 0) {
    throw new PatchopsError(
      "KeyInvalid",
      "secret key uses an unknown key derivation",
    );
  }
  const keyId = keynum.slice(0, 8);
  const sk64 = keynum.slice(8, 72);
  const sum = checksum(keyId, sk64);
  const stored = keynum.subarray(72, 104);
  // minisign -W leaves the checksum of an unencrypted key zeroed.
  const unchecked = raw[2] === 0 && stored.every((b) => b === 0);
  if (!unchecked && !sum.every((b, i) => b === stored[i])) {
    throw new PatchopsError(
      "KeyInvalid",
      "wrong password for the secret key (checksum mismatch)",
    );
  }
  const seed = sk64.slice(0, 32);
  const publicKey = ed25519.getPublicKey(seed);
  if (!publicKey.every((b, i) => b === sk64[32 + i])) {
    throw new PatchopsError(
      "KeyInvalid",
      "secret key is inconsistent (public half does not match)",
    );
  }
  return { keyId, seed, publicKey };
}

/** Options of {@linkcode signDigest}. */
export interface SignOptions {
  /** Trusted comment; defaults to `timestamp:<now>\tfile:<name>\thashed`. */
  trustedComment?: string;
  untrustedComment?: string;
  fileName?: string;
}

/** Signs a BLAKE2b-512 digest as a prehashed (`ED`) minisign signature. */
export function signDigest(
  sk: SecretKey,
  digest: Uint8Array,
  options?: SignOptions,
): Signature {
  const name = (options?.fileName ?? "").replace(/[\r\n\t]/g, " ");
  const trustedComment = options?.trustedComment ??
    `timestamp:${Math.floor(Date.now() / 1000)}\tfile:${name}\thashed`;
  const signature = ed25519.sign(digest, sk.seed);
  const comment = new TextEncoder().encode(trustedComment);
  const global = new Uint8Array(64 + comment.length);
  global.set(signature);
  global.set(comment, 64);
  return {
    algorithm: "ED",
    keyId: sk.keyId,
    signature,
    untrustedComment: options?.untrustedComment ??
      `signature from patchops secret key ${formatKeyId(sk.keyId)}`,
    trustedComment,
    globalSignature: ed25519.sign(global, sk.seed),
  };
}

/** Streams a file through BLAKE2b-512 and signs it. */
export async function signFile(
  sk: SecretKey,
  path: string,
  options?: SignOptions,
): Promise<Signature> {
  const h = createHash("blake2b512");
  const file = await Deno.open(path);
  for await (const chunk of file.readable) h.update(chunk);
  return signDigest(sk, new Uint8Array(h.digest()), {
    fileName: path.slice(path.lastIndexOf("/") + 1),
    ...options,
  });
}
