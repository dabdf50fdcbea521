/**
 * URL handling of src/fetch.ts, in process against a server on 127.0.0.1:
 * schemes, file URLs, redirects (relative, loops, unsupported targets),
 * request headers, announced and real lengths, and readSmall()'s limit.
 */

import assert from "node:assert/strict";
import { openBody, readSmall } from "../src/fetch.ts";
import { concat, tempDir } from "./_helpers.ts";

type Handler = (req: Request, url: URL) => Response | Promise<Response>;

async function withServer(handler: Handler, fn: (base: string) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    (req) => handler(req, new URL(req.url)),
  );
  try {
    await fn(`http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`);
  } finally {
    controller.abort();
    await server.finished;
  }
}

async function readAll(
  url: URL,
  headers?: Record<string, string>,
): Promise<{ text: string; status: number; url: string }> {
  const body = await openBody(url, { timeoutSeconds: 5, ...(headers ? { headers } : {}) });
  const parts: Uint8Array[] = [];
  for (let p = await body.pull(); p !== undefined; p = await body.pull()) parts.push(p.slice());
  return { text: new TextDecoder().decode(concat(parts)), status: body.status, url: body.url.href };
}

Deno.test("openBody() refuses schemes other than http, https and file", async () => {
  for (const u of ["ftp://example.com/p.tar.gz", "data:,hello", "javascript:alert(1)"]) {
    await assert.rejects(openBody(new URL(u)), { code: "FetchFailed", message: /unsupported scheme/ });
  }
});

Deno.test("openBody() reads file URLs, and names a missing file or a directory", async () => {
  const [dir, done] = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/p.txt`, "file bytes");
    const url = new URL(`file://${dir}/p.txt`);
    const r = await readAll(url);
    assert.deepEqual([r.text, r.status], ["file bytes", 200]);
    assert.equal((await openBody(url)).size, 10);
    await assert.rejects(openBody(new URL(`file://${dir}/nope`)), { message: /no such file/ });
    await assert.rejects(openBody(new URL(`file://${dir}`)), { message: /not a regular file/ });
  } finally {
    await done();
  }
});

// Mutation caught: a relative Location resolved against the first URL instead of the current one.
Deno.test("openBody() follows relative redirects from where it is, and reports the final URL", async () => {
  await withServer((req, url) => {
    if (url.pathname === "/a/start") return new Response(null, { status: 301, headers: { location: "../b/next" } });
    if (url.pathname === "/b/next") return new Response(null, { status: 302, headers: { location: "end?x=1" } });
    if (url.pathname === "/b/end") return new Response(`range=${req.headers.get("range")}`);
    return new Response("lost", { status: 404 });
  }, async (base) => {
    const r = await readAll(new URL(`${base}/a/start`), { range: "bytes=5-" });
    assert.equal(r.url, `${base}/b/end?x=1`);
    assert.equal(r.text, "range=bytes=5-", "request headers go along on every hop");
  });
});

Deno.test("openBody() stops redirect loops and redirects to other schemes, and reports HTTP errors", async () => {
  await withServer((_req, url) => {
    if (url.pathname === "/loop") return new Response(null, { status: 302, headers: { location: "/loop" } });
    if (url.pathname === "/file") {
      return new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } });
    }
    return new Response("gone", { status: 410, statusText: "Gone" });
  }, async (base) => {
    await assert.rejects(openBody(new URL(`${base}/loop`), { maxRedirects: 3 }), {
      code: "FetchFailed",
      message: /too many redirects \(more than 3\)/,
    });
    await assert.rejects(openBody(new URL(`${base}/file`)), { message: /redirect to unsupported scheme "file"/ });
    await assert.rejects(openBody(new URL(`${base}/x`)), { message: /HTTP 410 Gone/ });
  });
});

Deno.test("a body shorter than its Content-Length fails, naming the count", async () => {
  await withServer(() => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(100));
        c.close();
      },
    });
    return new Response(body, { headers: { "content-length": "1000" } });
  }, async (base) => {
    await assert.rejects(readAll(new URL(`${base}/short`)), { message: /(closed|lost) after 100 of 1000 bytes/ });
  });
});

// Mutation caught: readSmall() trusting the announced length only (a body without one is read to any size).
Deno.test("readSmall() refuses documents over its limit, announced or not", async () => {
  await withServer((_req, url) => {
    const data = new Uint8Array(5000).fill(65);
    if (url.pathname === "/announced") return new Response(data);
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(data.subarray(0, 1000));
        c.close();
      },
    });
    return new Response(body);
  }, async (base) => {
    await assert.rejects(readSmall(new URL(`${base}/announced`), { limit: 4096 }), {
      message: /document of 5000 bytes exceeds the 4096-byte limit/,
    });
    await assert.rejects(readSmall(new URL(`${base}/chunked`), { limit: 4096 }), {
      message: /document exceeds the 4096-byte limit/,
    });
    assert.equal((await readSmall(new URL(`${base}/chunked`), { limit: 5000 })).length, 5000);
  });
});
