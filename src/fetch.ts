/**
 * Opens byte streams for the URLs a manifest names: http, https and file.
 * Every way a transfer can go wrong becomes one `FetchFailed` error that says
 * what happened: HTTP status, refused connection, stall, redirect loop or
 * downgrade, short body.
 *
 * @module
 */

import { concatBytes } from "./bytes.ts";
import { PatchopsError } from "./errors.ts";

/** Options of {@linkcode openBody}. */
export interface OpenBodyOptions {
  /**
   * Seconds without a byte (or without response headers) before giving up.
   * @default 30
   */
  timeoutSeconds?: number;
  /**
   * Redirects followed before giving up.
   * @default 5
   */
  maxRedirects?: number;
  /** Extra request headers (e.g. `Range`). */
  headers?: Record<string, string>;
  /** Time (ms since the epoch) by which the whole transfer must be done. */
  deadline?: number | undefined;
  /**
   * The slowest transfer accepted: fewer than `bytesPerSecond` on average over
   * any `windowSeconds` ends it (like curl's `--speed-limit`/`--speed-time`).
   */
  minRate?: { bytesPerSecond: number; windowSeconds: number } | undefined;
  /** Bytes the body may have at most; a longer one fails as soon as it passes the mark. */
  maxBytes?: number | undefined;
}

/**
 * An open body: a reader and what the server said about it. `pull` reads
 * the next chunk into a buffer the body owns and reuses, so a chunk is
 * valid only until the next call (copy what must be kept).
 */
export interface Body {
  pull: () => Promise<Uint8Array | undefined>;
  /** Stops reading and releases the connection or file. */
  cancel(): Promise<void>;
  /** Length announced by the server or the file system, if any. */
  size: number | undefined;
  /** The URL the bytes came from, after redirects. */
  url: URL;
  /** HTTP status (200 for files). */
  status: number;
  /** Response headers (empty for files). */
  headers: Headers;
}

/** Size of the buffer a body reads into. */
const READ_BUFFER = 256 << 10;

/** A URL as it may be shown: without a user name or password. */
export function shownUrl(url: URL): string {
  if (url.username === "" && url.password === "") return url.href;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

function failed(url: URL, why: string, cause?: unknown): PatchopsError {
  return new PatchopsError(
    "FetchFailed",
    `cannot fetch "${shownUrl(url)}": ${why}`,
    cause ? { cause } : undefined,
  );
}

function describeNetworkError(err: unknown): string {
  let msg = err instanceof Error ? err.message : String(err);
  for (
    let c = err instanceof Error ? err.cause : undefined;
    c instanceof Error;
    c = c.cause
  ) {
    msg += `: ${c.message}`;
  }
  if (/refused/i.test(msg)) return "connection refused";
  if (/dns|lookup|resolve|name or service/i.test(msg)) return "host not found";
  if (/certificate|tls|ssl/i.test(msg)) {
    return `TLS error (${msg.split("\n")[0]})`;
  }
  if (/timed out/i.test(msg)) return "connection timed out";
  if (/reset/i.test(msg)) return "connection reset";
  return msg.split("\n")[0] ?? msg;
}

/**
 * Opens `url` for streaming. For http(s), redirects are followed by hand so
 * that an https URL never lands on plain http and loops end with a clear
 * error; the returned stream fails if the server stalls for longer than the
 * timeout or closes before the announced Content-Length.
 */
export async function openBody(
  url: URL,
  options?: OpenBodyOptions,
): Promise<Body> {
  const { timeoutSeconds = 30, maxRedirects = 5, headers = {}, deadline, minRate, maxBytes } = options ?? {};
  if (url.protocol === "file:") return await openFile(url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw failed(url, `unsupported scheme "${url.protocol.slice(0, -1)}"`);
  }
  const timeoutMs = timeoutSeconds * 1000;
  let current = url;
  for (let hop = 0;; hop++) {
    const abort = new AbortController();
    let stalled = false;
    const timer = setTimeout(() => {
      stalled = true;
      abort.abort();
    }, timeoutMs);
    let response: Response;
    try {
      // identity: a server that compresses on the fly would change the bytes the hash covers.
      response = await fetch(current, {
        redirect: "manual",
        signal: abort.signal,
        headers: { "accept-encoding": "identity", ...headers },
      });
    } catch (err) {
      clearTimeout(timer);
      if (stalled) {
        throw failed(current, `no response within ${timeoutSeconds} s`);
      }
      throw failed(current, describeNetworkError(err), err);
    }
    clearTimeout(timer);
    if (
      response.status >= 300 && response.status < 400 &&
      response.headers.has("location")
    ) {
      await response.body?.cancel();
      if (hop >= maxRedirects) {
        throw failed(url, `too many redirects (more than ${maxRedirects})`);
      }
      const next = new URL(response.headers.get("location")!, current);
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw failed(
          current,
          `redirect to unsupported scheme "${next.protocol.slice(0, -1)}"`,
        );
      }
      if (current.protocol === "https:" && next.protocol === "http:") {
        throw failed(
          current,
          `refusing redirect from https to plain http ("${next.href}")`,
        );
      }
      current = next;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw failed(
        current,
        `HTTP ${response.status} ${response.statusText}`.trim(),
      );
    }
    const lengthHeader = response.headers.get("content-length");
    const size = lengthHeader !== null && /^[0-9]+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    if (response.body === null) throw failed(current, "response has no body");
    if (size !== undefined && maxBytes !== undefined && size > maxBytes) {
      await response.body.cancel();
      throw failed(current, `the server announces ${size} bytes, more than the ${maxBytes} expected`);
    }
    return {
      ...guard(response.body, { url: current, size, timeoutSeconds, abort, deadline, minRate, maxBytes }),
      size,
      url: current,
      status: response.status,
      headers: response.headers,
    };
  }
}

async function openFile(url: URL): Promise<Body> {
  let file: Deno.FsFile;
  try {
    // Opening a FIFO would block until a writer comes: only regular files are opened.
    if (!(await Deno.stat(url)).isFile) throw failed(url, "not a regular file");
    file = await Deno.open(url);
  } catch (err) {
    if (err instanceof PatchopsError) throw err;
    const why = err instanceof Deno.errors.NotFound ? "no such file" : describeNetworkError(err);
    throw failed(url, why, err);
  }
  const info = await file.stat();
  if (!info.isFile) {
    file.close();
    throw failed(url, "not a regular file");
  }
  const buf = new Uint8Array(READ_BUFFER);
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  return {
    pull: async () => {
      if (!open) return undefined;
      const n = await file.read(buf);
      if (n === null) {
        close();
        return undefined;
      }
      return buf.subarray(0, n);
    },
    cancel: () => Promise.resolve(close()),
    size: info.size,
    url,
    status: 200,
    headers: new Headers(),
  };
}

interface GuardOptions {
  url: URL;
  size: number | undefined;
  timeoutSeconds: number;
  abort: AbortController;
  deadline: number | undefined;
  minRate: OpenBodyOptions["minRate"];
  maxBytes: number | undefined;
}

/**
 * Reads a response body with a stall timer and a length check. Bytes go
 * into one reused buffer through a BYOB reader (fetch bodies are byte
 * streams), so a long download allocates nothing per chunk; the default
 * reader is the fallback where BYOB is not offered.
 */
function guard(
  body: ReadableStream<Uint8Array>,
  options: GuardOptions,
): Pick<Body, "pull" | "cancel"> {
  const { url, size, timeoutSeconds, abort, deadline, minRate, maxBytes } = options;
  let windowStart = Date.now();
  let windowBytes = 0;
  let byob: ReadableStreamBYOBReader | undefined;
  let plain: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    plain = body.getReader();
  }
  let buf = new Uint8Array(READ_BUFFER);
  let received = 0;
  let finished = false;
  const read = async (): Promise<Uint8Array | undefined> => {
    if (byob) {
      const { done, value } = await byob.read(buf);
      if (done || value === undefined) return undefined;
      // The read transferred the buffer; the returned view is the same memory.
      buf = new Uint8Array(value.buffer);
      return value;
    }
    const { done, value } = await plain!.read();
    return done ? undefined : value;
  };
  return {
    pull: async () => {
      if (finished) return undefined;
      let stalled = false;
      let late = false;
      const stallMs = timeoutSeconds * 1000;
      const leftMs = deadline === undefined ? Infinity : deadline - Date.now();
      const timer = setTimeout(() => {
        if (leftMs < stallMs) late = true;
        else stalled = true;
        abort.abort();
      }, Math.max(0, Math.min(stallMs, leftMs)));
      let value: Uint8Array | undefined;
      try {
        value = await read();
      } catch (err) {
        finished = true;
        const why = late
          ? `not done by the deadline, after ${received} bytes`
          : stalled
          ? `stalled: no data for ${timeoutSeconds} s after ${received} bytes`
          : size !== undefined
          ? `connection lost after ${received} of ${size} bytes`
          : `connection lost after ${received} bytes`;
        throw failed(url, why, err);
      } finally {
        clearTimeout(timer);
      }
      if (value === undefined) {
        finished = true;
        if (size !== undefined && received < size) {
          throw failed(url, `connection closed after ${received} of ${size} bytes`);
        }
        return undefined;
      }
      received += value.length;
      if (size !== undefined && received > size) {
        finished = true;
        abort.abort();
        throw failed(url, `server sent more than the announced ${size} bytes`);
      }
      if (maxBytes !== undefined && received > maxBytes) {
        finished = true;
        abort.abort();
        throw failed(url, `server sent more than the ${maxBytes} bytes expected`);
      }
      const now = Date.now();
      if (deadline !== undefined && now > deadline) {
        finished = true;
        abort.abort();
        throw failed(url, `not done by the deadline, after ${received} bytes`);
      }
      windowBytes += value.length;
      if (minRate && now - windowStart >= minRate.windowSeconds * 1000) {
        if (windowBytes < minRate.bytesPerSecond * (now - windowStart) / 1000) {
          finished = true;
          abort.abort();
          throw failed(
            url,
            `slower than ${minRate.bytesPerSecond} bytes/s over ${minRate.windowSeconds} s (${received} bytes received)`,
          );
        }
        windowStart = now;
        windowBytes = 0;
      }
      return value;
    },
    cancel: async () => {
      finished = true;
      await (byob ?? plain)!.cancel().catch(() => {});
    },
  };
}

/** Options of {@linkcode readSmall}. */
export interface ReadSmallOptions extends OpenBodyOptions {
  /**
   * Largest accepted body in bytes.
   * @default 16 MiB
   */
  limit?: number;
}

/** Reads a small document (a manifest or key) fully, refusing oversize bodies. */
export async function readSmall(
  url: URL,
  options?: ReadSmallOptions,
): Promise<Uint8Array> {
  const { limit = 16 << 20 } = options ?? {};
  const body = await openBody(url, options);
  if (body.size !== undefined && body.size > limit) {
    await body.cancel();
    throw failed(
      url,
      `document of ${body.size} bytes exceeds the ${limit}-byte limit`,
    );
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let part = await body.pull(); part !== undefined; part = await body.pull()) {
    total += part.length;
    if (total > limit) {
      await body.cancel();
      throw failed(url, `document exceeds the ${limit}-byte limit`);
    }
    parts.push(part.slice());
  }
  return concatBytes(parts);
}
