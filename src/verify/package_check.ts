/**
 * The verdict on a package's bytes: SHA-256 against the manifest's hash and
 * the minisign signature, both fed from the one pass over the bytes.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { PatchopsError } from "../errors.ts";
import type { MinisignVerifier } from "./minisign.ts";

/** Hashes and signature-checks a package as its bytes pass. */
export class PackageCheck {
  #expected: string;
  #sha: Hash = createHash("sha256");
  #verifier: MinisignVerifier | undefined;
  #bytes = 0;

  /** `expected` is the manifest's SHA-256 (hex); `verifier` is absent for unsigned packages. */
  constructor(expected: string, verifier: MinisignVerifier | undefined) {
    this.#expected = expected;
    this.#verifier = verifier;
  }

  /** Feeds the next chunk of the package. */
  update(chunk: Uint8Array): void {
    this.#sha.update(chunk);
    this.#verifier?.update(chunk);
    this.#bytes += chunk.length;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Throws `HashMismatch` or `SignatureInvalid` unless every byte seen was
   * the package the manifest and the key vouch for; returns the trusted
   * comment of a signed package.
   */
  async verdict(): Promise<string | undefined> {
    const actual = this.#sha.digest("hex");
    if (actual !== this.#expected) {
      throw new PatchopsError(
        "HashMismatch",
        `package hash mismatch: manifest says sha256:${this.#expected}, the ${this.#bytes} bytes received hash to sha256:${actual}`,
      );
    }
    return this.#verifier ? await this.#verifier.verify() : undefined;
  }
}
