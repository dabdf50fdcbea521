/**
 * Small pull-based stages for the package's bytes. A `Pull` returns the next
 * chunk, valid until the next call (sources reuse one buffer), or
 * `undefined` at the end. Pulls cost nothing per chunk where a
 * TransformStream would copy and queue, and each stage here does one thing
 * and is tested alone (`tests/apply/pull_test.ts`).
 *
 * @module
 */

import type { Pull } from "../archive/inflate.ts";
import { concatBytes } from "../bytes.ts";

export type { Pull };

/** The bytes of `first` (when given), then those of `second`. */
export function concatPulls(first: Pull | undefined, second: Pull): Pull {
  let current = first;
  return async () => {
    if (current !== undefined) {
      const chunk = await current();
      if (chunk !== undefined) return chunk;
      current = undefined;
    }
    return await second();
  };
}

/** Writes every chunk to `file` (when given) before passing it on. */
export function teeToFile(pull: Pull, file: Deno.FsFile | undefined): Pull {
  if (file === undefined) return pull;
  return async () => {
    const chunk = await pull();
    if (chunk !== undefined) {
      let off = 0;
      while (off < chunk.length) off += file.writeSync(chunk.subarray(off));
    }
    return chunk;
  };
}

/** Shows every chunk to `fn` as it passes. */
export function tap(pull: Pull, fn: (chunk: Uint8Array) => void): Pull {
  return async () => {
    const chunk = await pull();
    if (chunk !== undefined) fn(chunk);
    return chunk;
  };
}

/** Passes `head` first (unless empty), then the rest of `pull`. */
export function prepend(head: Uint8Array, pull: Pull): Pull {
  let sent = head.length === 0;
  return () => {
    if (sent) return pull();
    sent = true;
    return Promise.resolve(head);
  };
}

/** Fails with `reason()` before each pull once `signal` is aborted. */
export function abortable(pull: Pull, signal: AbortSignal | undefined, reason: () => Error): Pull {
  if (signal === undefined) return pull;
  return () => {
    if (signal.aborted) return Promise.reject(reason());
    return pull();
  };
}

/**
 * A pull that remembers the first error it threw, so that a caller whose
 * consumer failed can tell a failure of the source (the transfer) from one
 * of the consumer (the archive).
 */
export class Recorded {
  readonly pull: Pull;
  #error: unknown;
  #failed = false;

  constructor(source: Pull) {
    this.pull = async () => {
      try {
        return await source();
      } catch (err) {
        if (!this.#failed) {
          this.#failed = true;
          this.#error = err;
        }
        throw err;
      }
    };
  }

  /** Whether the source has failed. */
  get failed(): boolean {
    return this.#failed;
  }
  /** The first error the source threw. */
  get error(): unknown {
    return this.#error;
  }
}

/** Reads `pull` to its end. */
export async function drain(pull: Pull): Promise<void> {
  while ((await pull()) !== undefined);
}

/** Reads at least `n` bytes (fewer only at the end), copied: the source reuses its buffer. */
export async function readHead(pull: Pull, n: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const chunk = await pull();
    if (chunk === undefined) break;
    parts.push(chunk.slice());
    got += chunk.length;
  }
  return concatBytes(parts);
}
