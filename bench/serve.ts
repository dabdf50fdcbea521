/**
 * The bench's update server: serves a directory on 127.0.0.1 from a
 * process of its own (as a real server would be), printing its port.
 *
 * Usage: deno run --allow-read=<dir> --allow-net=127.0.0.1 bench/serve.ts <dir>
 */

const root = Deno.args[0];
if (!root) {
  console.error("usage: serve.ts <dir>");
  Deno.exit(2);
}
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(port),
}, async (req) => {
  const path = decodeURIComponent(new URL(req.url).pathname);
  if (path.split("/").includes("..")) return new Response("bad path", { status: 400 });
  try {
    const file = await Deno.open(`${root}${path}`);
    const size = (await file.stat()).size;
    return new Response(file.readable, { headers: { "content-length": String(size) } });
  } catch {
    return new Response("not found", { status: 404 });
  }
});
