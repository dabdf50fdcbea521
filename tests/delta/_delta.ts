/**
 * What the delta tests share: a seeded random file, an old file in memory
 * (counting its reads when asked), a pull over bytes, and a run of the
 * reader that collects what it gave.
 */

import { createHash } from "node:crypto";
import { applyDelta, bytesFile, type OldFile } from "../../src/delta/patch.ts";

export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** `n` bytes of xorshift noise from `seed`. */
export function random(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** `b` as an old file; `counter.reads` counts its reads. */
export function memFile(b: Uint8Array, counter?: { reads: number }): OldFile {
  const file = bytesFile(b);
  if (!counter) return file;
  return {
    size: file.size,
    read(buf, pos) {
      counter.reads++;
      return file.read(buf, pos);
    },
  };
}

/** A pull over `bytes` in parts of `chunk`, counting what was handed out. */
function pullOf(
  bytes: Uint8Array,
  chunk = 1 << 16,
): { pull: () => Promise<Uint8Array | undefined>; pulled: number } {
  const s = {
    pulled: 0,
    pull: () => {
      if (s.pulled >= bytes.length) return Promise.resolve(undefined);
      const part = bytes.subarray(s.pulled, s.pulled + chunk);
      s.pulled += part.length;
      return Promise.resolve(part);
    },
  };
  return s;
}

/** Applies the delta `d` to `old`; returns what it gave, how many bytes came out before any error, and the error. */
export async function run(
  d: Uint8Array,
  old: OldFile,
  result: { size: number; sha256: string },
  options?: { shown?: string; chunk?: number },
): Promise<{ out: Uint8Array; given: number; error: unknown }> {
  const parts: Uint8Array[] = [];
  let given = 0;
  try {
    for await (const p of applyDelta(pullOf(d, options?.chunk).pull, old, result, options?.shown ?? "bin/app")) {
      parts.push(p.slice());
      given += p.length;
    }
  } catch (error) {
    return { out: new Uint8Array(0), given, error };
  }
  const out = new Uint8Array(given);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { out, given, error: undefined };
}
