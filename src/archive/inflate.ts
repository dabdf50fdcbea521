/**
 * Streaming gzip and zstd decompression into one reused output buffer.
 *
 * node:zlib's public streams hand every 64 KiB of output to the reader in a
 * freshly allocated buffer. On a 1 GiB patch that is 16,000 buffers that V8
 * frees only at its next garbage collection, and because their memory lies
 * outside the JS heap, V8 lets about 64 MiB of them pile up first; that pile
 * set our peak RSS. The stream objects sit on the zlib binding's handle,
 * whose `writeSync(flush, in, inOff, inLen, out, outOff, outLen)` (the
 * binding Node's own zlib.js uses, which Deno mirrors) decompresses into a
 * buffer the caller owns. We drive that handle directly: no allocation per
 * chunk, no stream machinery, and the output is consumed before the buffer
 * is reused. Where the handle is missing (another runtime), the public
 * stream API is used instead, with copies.
 *
 * @module
 */

import zlib from "node:zlib";

/** Compression formats a package may use. */
export type Compression = "gzip" | "zstd";

/** Reads the next chunk; `undefined` at the end. A chunk is valid until the next call. */
export type Pull = () => Promise<Uint8Array | undefined>;

/** Recognises a package's compression by its magic bytes. */
export function compressionOf(head: Uint8Array): Compression | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return undefined;
}

/** Options of {@linkcode inflating}. */
export interface InflateOptions {
  /**
   * Output buffer size.
   * @default 256 KiB
   */
  chunkSize?: number;
  /** Use the public stream API even where the handle is there (tests). */
  portable?: boolean;
}

/** A decompressing reader: `pull` yields the decompressed bytes of `source`. */
export interface Inflating {
  pull: Pull;
  /** Releases the decompressor (after the end, or to stop early). */
  close(): void;
}

interface Handle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: (message: string, errno: number) => void;
  close(): void;
}

const EMPTY: Uint8Array = new Uint8Array(0);

function create(kind: Compression, chunkSize: number): zlib.Gunzip | zlib.ZstdDecompress {
  return kind === "gzip" ? zlib.createGunzip({ chunkSize }) : zlib.createZstdDecompress({ chunkSize });
}

/**
 * Decompresses the stream `source` yields. Invalid or truncated data makes
 * `pull` throw a plain `Error` naming the decompressor's complaint; data
 * after the end of the compressed stream is invalid too.
 */
export function inflating(kind: Compression, source: Pull, options?: InflateOptions): Inflating {
  const { chunkSize = 256 << 10, portable = false } = options ?? {};
  const z = create(kind, chunkSize);
  const inner = z as unknown as { _handle?: Handle; _writeState?: Uint32Array };
  if (!portable && typeof inner._handle?.writeSync === "function" && inner._writeState instanceof Uint32Array) {
    return handleInflating(kind, z, inner._handle, inner._writeState, source, chunkSize);
  }
  return streamInflating(z, source);
}

function handleInflating(
  kind: Compression,
  z: zlib.Gunzip | zlib.ZstdDecompress,
  handle: Handle,
  state: Uint32Array,
  source: Pull,
  chunkSize: number,
): Inflating {
  const out = new Uint8Array(chunkSize);
  let error: string | undefined;
  // The stream object's own handler would destroy it on the next tick; report to the caller instead.
  handle.onerror = (message) => {
    error ??= message;
  };
  let input = EMPTY;
  let offset = 0;
  let ended = false;
  let finished = false;
  const step = (flush: number): number => {
    const inLen = input.length - offset;
    try {
      handle.writeSync(flush, input, offset, inLen, out, 0, out.length);
    } catch (err) {
      error ??= err instanceof Error ? err.message : String(err);
    }
    if (error !== undefined) throw new Error(error);
    // state = [output room left, input left]
    offset += inLen - state[1]!;
    return out.length - state[0]!;
  };
  let stalled = false;
  const pull = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      if (offset < input.length) {
        const before = offset;
        const produced = step(zlib.constants.Z_NO_FLUSH);
        if (produced > 0 || offset !== before) stalled = false;
        if (produced > 0) return out.subarray(0, produced);
        // zstd stops at the end of a frame and starts the next one on the next call; a
        // second call without progress means bytes it will not take: trailing garbage.
        if (offset === before) {
          if (stalled) throw new Error("unexpected data after the end of the compressed stream");
          stalled = true;
        }
        continue;
      }
      // The source may reuse (or, reading into it, detach) the buffer: let go of it first.
      input = EMPTY;
      offset = 0;
      if (!ended) {
        const next = await source();
        if (next === undefined) ended = true;
        else input = next;
        continue;
      }
      if (finished) return undefined;
      // Output still held inside; gzip also reports a truncated stream only when told the input is over.
      const produced = step(kind === "gzip" ? zlib.constants.Z_FINISH : zlib.constants.Z_NO_FLUSH);
      if (produced > 0) return out.subarray(0, produced);
      finished = true;
      return undefined;
    }
  };
  return {
    pull,
    close: () => {
      try {
        z.destroy();
      } catch {
        // Already closed.
      }
    },
  };
}

function streamInflating(z: zlib.Gunzip | zlib.ZstdDecompress, source: Pull): Inflating {
  const queue: Uint8Array[] = [];
  let error: Error | undefined;
  let done = false;
  // Resolved (and replaced) by every event; taken before acting, so no wake-up is lost.
  let changed = Promise.withResolvers<void>();
  const notify = () => {
    changed.resolve();
    changed = Promise.withResolvers<void>();
  };
  z.on("data", (chunk: Uint8Array) => {
    queue.push(chunk);
    notify();
  });
  z.on("error", (err: Error) => {
    error ??= err;
    notify();
  });
  z.on("end", () => {
    done = true;
    notify();
  });
  let ended = false;
  const pull = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      if (error) throw error;
      const chunk = queue.shift();
      if (chunk !== undefined) return chunk;
      if (done) return undefined;
      const event = changed.promise;
      if (!ended) {
        const next = await source();
        if (next === undefined) {
          ended = true;
          z.end();
        } else {
          // The source reuses its buffer; the stream keeps what it is given.
          const copy = next.slice();
          await Promise.race([new Promise<void>((resolve) => z.write(copy, () => resolve())), event]);
        }
        continue;
      }
      await event;
    }
  };
  return { pull, close: () => z.destroy() };
}
