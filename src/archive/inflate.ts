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
 * Both paths read what real tools write: concatenated gzip members (pigz,
 * `cat a.gz b.gz`) and zero padding after the last one (bsdtar pads its
 * output to 10240-byte blocks; GNU gzip ignores such zeros too); zstd
 * streams of several frames and skippable frames, walked by
 * `_zstd_frames.ts`. Anything else after the stream is refused.
 *
 * @module
 */

import zlib from "node:zlib";
import { type FramePart, ZstdFrames } from "./_zstd_frames.ts";

/** Compression formats a package may use. */
export type Compression = "gzip" | "zstd";

/** Reads the next chunk; `undefined` at the end. A chunk is valid until the next call. */
export type Pull = () => Promise<Uint8Array | undefined>;

/** Recognises a package's compression by its magic bytes. */
export function compressionOf(head: Uint8Array): Compression | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  // A zstd stream may open with a skippable frame (magic 0x184D2A50 to 0x184D2A5F).
  if (head[0] !== undefined && (head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) {
    return "zstd";
  }
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
  /** Which path decompresses: the zlib binding's handle (fast) or the public stream API. */
  readonly engine: "handle" | "stream";
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
const AFTER_END = "unexpected data after the end of the compressed stream";

function create(kind: Compression, chunkSize: number): zlib.Gunzip | zlib.ZstdDecompress {
  return kind === "gzip" ? zlib.createGunzip({ chunkSize }) : zlib.createZstdDecompress({ chunkSize });
}

/**
 * Decompresses the stream `source` yields. Invalid or truncated data makes
 * `pull` throw a plain `Error` naming the decompressor's complaint; data
 * after the end of the compressed stream is invalid too, except zero bytes
 * after a gzip stream.
 *
 * @example
 * ```ts
 * import zlib from "node:zlib";
 * import { inflating } from "./inflate.ts";
 * // Two gzip members and bsdtar-style zero padding read as one stream.
 * const member = new Uint8Array(zlib.gzipSync("hello "));
 * const packed = new Uint8Array([...member, ...member, ...new Uint8Array(100)]);
 * let given = false;
 * const z = inflating("gzip", () => Promise.resolve(given ? undefined : (given = true, packed)));
 * let text = "";
 * for (let part = await z.pull(); part !== undefined; part = await z.pull()) text += new TextDecoder().decode(part);
 * z.close();
 * if (text !== "hello hello ") throw new Error(text);
 * ```
 */
export function inflating(kind: Compression, source: Pull, options?: InflateOptions): Inflating {
  const { chunkSize = 256 << 10, portable = false } = options ?? {};
  const trail = { lastNonZero: -1 };
  const feed = kind === "zstd" ? zstdFeed(source) : gzipFeed(source, trail);
  if (!portable) {
    const z = create(kind, chunkSize);
    const inner = z as unknown as { _handle?: Handle; _writeState?: Uint32Array };
    if (typeof inner._handle?.writeSync === "function" && inner._writeState instanceof Uint32Array) {
      return handleInflating(kind, z, inner._handle, inner._writeState, feed, chunkSize);
    }
    z.destroy();
  }
  return streamInflating(kind, feed, chunkSize, trail);
}

/** Compressed input in the parts the decompressor should see; `undefined` at the end. */
type Feed = () => Promise<FramePart | undefined>;

/** gzip input as it comes, noting where its last non-zero byte lies. */
function gzipFeed(source: Pull, trail: { lastNonZero: number }): Feed {
  let total = 0;
  return async () => {
    const chunk = await source();
    if (chunk === undefined) return undefined;
    let i = chunk.length - 1;
    while (i >= 0 && chunk[i] === 0) i--;
    if (i >= 0) trail.lastNonZero = total + i;
    total += chunk.length;
    return { bytes: chunk, frameEnd: false };
  };
}

/** zstd input split at frame boundaries, skippable frames left out; a truncated last frame throws. */
function zstdFeed(source: Pull): Feed {
  const frames = new ZstdFrames();
  let parts: FramePart[] = [];
  let next = 0;
  return async () => {
    while (next >= parts.length) {
      const chunk = await source();
      if (chunk === undefined) {
        frames.finish();
        return undefined;
      }
      parts = frames.walk(chunk);
      next = 0;
    }
    return parts[next++];
  };
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function handleInflating(
  kind: Compression,
  z: zlib.Gunzip | zlib.ZstdDecompress,
  handle: Handle,
  state: Uint32Array,
  feed: Feed,
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
  // After the last gzip member: only zero bytes may follow.
  let padding = false;
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
        if (padding) {
          if (!allZero(input, offset)) throw new Error(AFTER_END);
          offset = input.length;
          continue;
        }
        const before = offset;
        const produced = step(zlib.constants.Z_NO_FLUSH);
        if (produced > 0 || offset !== before) stalled = false;
        if (produced > 0) return out.subarray(0, produced);
        if (offset === before) {
          // The binding starts the next gzip member by itself, but stops at a zero byte: padding.
          if (kind === "gzip" && input[offset] === 0) {
            padding = true;
            continue;
          }
          // zstd stops at the end of a frame and starts the next one on the next call; a
          // second call without progress means bytes it will not take.
          if (stalled) throw new Error(AFTER_END);
          stalled = true;
        }
        continue;
      }
      // The source may reuse (or, reading into it, detach) the buffer: let go of it first.
      input = EMPTY;
      offset = 0;
      if (!ended) {
        const next = await feed();
        if (next === undefined) ended = true;
        else input = next.bytes;
        continue;
      }
      if (finished) return undefined;
      if (padding) {
        finished = true;
        return undefined;
      }
      // Output still held inside; gzip also reports a truncated stream only when told the input is over.
      const produced = step(kind === "gzip" ? zlib.constants.Z_FINISH : zlib.constants.Z_NO_FLUSH);
      if (produced > 0) return out.subarray(0, produced);
      finished = true;
      return undefined;
    }
  };
  return {
    pull,
    engine: "handle",
    close: () => {
      try {
        z.destroy();
      } catch {
        // Already closed.
      }
    },
  };
}

/** One decompressor of the public stream API, its output queued as it comes. */
class StreamUnit {
  readonly z: zlib.Gunzip | zlib.ZstdDecompress;
  readonly queue: Uint8Array[] = [];
  error: Error | undefined;
  done = false;
  ending = false;
  // Resolved (and replaced) by every event; taken before acting, so no wake-up is lost.
  #changed = Promise.withResolvers<void>();

  constructor(z: zlib.Gunzip | zlib.ZstdDecompress) {
    this.z = z;
    const notify = () => {
      this.#changed.resolve();
      this.#changed = Promise.withResolvers<void>();
    };
    z.on("data", (chunk: Uint8Array) => {
      this.queue.push(chunk);
      notify();
    });
    z.on("error", (err: Error) => {
      this.error ??= err;
      notify();
    });
    z.on("end", () => {
      this.done = true;
      notify();
    });
  }

  /** Settles at the next event. */
  get changed(): Promise<void> {
    return this.#changed.promise;
  }

  /** Writes `bytes` (kept by the stream), returning once they are taken or the stream failed. */
  async write(bytes: Uint8Array): Promise<void> {
    const taken = new Promise<void>((resolve) => this.z.write(bytes, () => resolve()));
    while (this.error === undefined) {
      const event = this.changed;
      if (await Promise.race([taken.then(() => true), event.then(() => false)])) return;
    }
  }

  end(): void {
    this.ending = true;
    this.z.end();
  }
}

function streamInflating(
  kind: Compression,
  feed: Feed,
  chunkSize: number,
  trail: { lastNonZero: number },
): Inflating {
  // One stream reads every gzip member and every zstd frame, provided each frame comes in
  // writes of its own: within one write, Deno's zstd stream drops what follows a frame.
  let unit: StreamUnit | undefined;
  let ended = false;
  const pull = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      if (unit) {
        if (unit.error) throw unit.error;
        const chunk = unit.queue.shift();
        if (chunk !== undefined) return chunk;
        if (unit.done) {
          // Deno's gunzip ends by itself at a zero byte after a member and ignores the rest:
          // read it all, and let it be zeros only. zstd must not end before its input.
          while (!ended) {
            const part = await feed();
            if (part === undefined) ended = true;
            else if (kind === "zstd" && part.bytes.length > 0) throw new Error(AFTER_END);
          }
          if (kind === "gzip" && unit.z.bytesWritten <= trail.lastNonZero) throw new Error(AFTER_END);
          return undefined;
        }
        if (unit.ending) {
          await unit.changed;
          continue;
        }
      }
      if (ended) {
        if (unit === undefined) return undefined;
        unit.end();
        continue;
      }
      const part = await feed();
      if (part === undefined) {
        ended = true;
        continue;
      }
      unit ??= new StreamUnit(create(kind, chunkSize));
      // The source reuses its buffer; the stream keeps what it is given.
      if (part.bytes.length > 0) await unit.write(part.bytes.slice());
    }
  };
  return {
    pull,
    engine: "stream",
    close: () => unit?.z.destroy(),
  };
}
