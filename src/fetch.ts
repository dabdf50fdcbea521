/**
 * Opens byte streams for the URLs a manifest names: http, https and file.
 * Every way a transfer can go wrong becomes one `FetchFailed` error that says
 * what happened: HTTP status, refused connection, stall, redirect loop or
 * downgrade, short body.
 *
 * @module
 */

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
}

/** An open body: the stream and what the server said about it. */
export interface Body {
  stream: ReadableStream<Uint8Array>;
  /** Length announced by the server or the file system, if any. */
  size: number | undefined;
  /** The URL the bytes came from, after redirects. */
  url: URL;
  /** HTTP status (200 for files). */
  status: number;
  /** Response headers (empty for files). */
  headers: Headers;
}

function failed(url: URL, why: string, cause?: unknown): PatchopsError {
  return new PatchopsError(
    "FetchFailed",
    `cannot fetch "${url.href}": ${why}`,
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
  const { timeoutSeconds = 30, maxRedirects = 5, headers = {} } = options ?? {};
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
      response = await fetch(current, {
        redirect: "manual",
        signal: abort.signal,
        headers,
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
    const stream = guard(response.body, {
      url: current,
      size,
      timeoutSeconds,
      abort,
    });
    return {
      stream,
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
    file = await Deno.open(url);
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : describeNetworkError(err);
    throw failed(url, why, err);
  }
  const info = await file.stat();
  if (!info.isFile) {
    file.close();
    throw failed(url, "not a regular file");
  }
  return {
    stream: file.readable,
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
}

/** Wraps a response body with a stall timer and a length check. */
function guard(
  body: ReadableStream<Uint8Array>,
  options: GuardOptions,
): ReadableStream<Uint8Array> {
  const { url, size, timeoutSeconds, abort } = options;
  const reader = body.getReader();
  let received = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let stalled = false;
      const timer = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, timeoutSeconds * 1000);
      try {
        const { done, value } = await reader.read();
        if (done) {
          if (size !== undefined && received < size) {
            controller.error(
              failed(
                url,
                `connection closed after ${received} of ${size} bytes`,
              ),
            );
          } else controller.close();
          return;
        }
        received += value.length;
        if (size !== undefined && received > size) {
          controller.error(
            failed(url, `server sent more than the announced ${size} bytes`),
          );
          return;
        }
        controller.enqueue(value);
      } catch (err) {
        const why = stalled
          ? `stalled: no data for ${timeoutSeconds} s after ${received} bytes`
          : size !== undefined
          ? `connection lost after ${received} of ${size} bytes`
          : `connection lost after ${received} bytes`;
        controller.error(failed(url, why, err));
      } finally {
        clearTimeout(timer);
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
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
    await body.stream.cancel();
    throw failed(
      url,
      `document of ${body.size} bytes exceeds the ${limit}-byte limit`,
    );
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const part of body.stream) {
    total += part.length;
    if (total > limit) {
      throw failed(url, `document exceeds the ${limit}-byte limit`);
    }
    parts.push(part);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
