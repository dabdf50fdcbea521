/**
 * Shared test helpers: temp dirs, tree snapshots, archive crafting, real
 * minisign, a local HTTP server with fault injection, and a CLI runner.
 */

import { createHash } from "node:crypto";
import { compressionOf } from "../src/archive/inflate.ts";
import { have } from "./_env.ts";
import { encodeHeader, endOfArchive, padding, tarMember } from "../src/archive/tar_writer.ts";
import { readTar } from "../src/archive/tar_reader.ts";

export const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** Creates a temp dir; the returned function removes it. */
export async function tempDir(
  prefix = "patchops-test-",
): Promise<[string, () => Promise<void>]> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return [dir, () => Deno.remove(dir, { recursive: true }).catch(() => {})];
}

/** A description of every path below `dir`: type, mode, content hash or link target. */
export async function snapshot(
  dir: string,
  options?: { exclude?: string[] },
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const exclude = new Set(options?.exclude ?? [".patchops"]);
  async function walk(rel: string) {
    const abs = rel ? `${dir}/${rel}` : dir;
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(abs)) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && exclude.has(e.name)) continue;
      const info = await Deno.lstat(`${dir}/${p}`);
      const mode = ((info.mode ?? 0) & 0o7777).toString(8);
      if (info.isSymlink) {
        out[p] = `symlink -> ${await Deno.readLink(`${dir}/${p}`)}`;
      } else if (info.isDirectory) {
        out[p] = `dir ${mode}`;
        await walk(p);
      } else {
        const h = createHash("sha256").update(
          await Deno.readFile(`${dir}/${p}`),
        ).digest("hex").slice(0, 16);
        out[p] = `file ${mode} ${h}`;
      }
    }
  }
  await walk("");
  return out;
}

/** Writes a tree from a spec: string = file content, {dir} , {link}. */
export type TreeSpec = Record<
  string,
  string | { dir: true; mode?: number } | { link: string } | {
    content: string;
    mode: number;
  }
>;

export async function writeTree(dir: string, spec: TreeSpec): Promise<void> {
  for (const [path, v] of Object.entries(spec)) {
    const abs = `${dir}/${path}`;
    await Deno.mkdir(abs.slice(0, abs.lastIndexOf("/")), { recursive: true });
    if (typeof v === "string") await Deno.writeTextFile(abs, v);
    else if ("dir" in v) {
      await Deno.mkdir(abs, { recursive: true });
      if (v.mode !== undefined) await Deno.chmod(abs, v.mode);
    } else if ("link" in v) await Deno.symlink(v.link, abs);
    else {
      await Deno.writeTextFile(abs, v.content);
      await Deno.chmod(abs, v.mode);
    }
  }
}

/** A member for {@linkcode buildTar}. */
export interface Member {
  path: string;
  type?: "file" | "directory" | "symlink" | "hardlink";
  data?: string | Uint8Array;
  mode?: number;
  link?: string;
}

/** Builds a tar archive in memory from members or raw blocks. */
export function buildTar(
  items: (Member | Uint8Array)[],
  options?: { end?: boolean },
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const item of items) {
    if (item instanceof Uint8Array) {
      parts.push(item);
      continue;
    }
    const data = typeof item.data === "string" ? new TextEncoder().encode(item.data) : item.data ?? new Uint8Array();
    const type = item.type ?? "file";
    parts.push(...tarMember({
      path: item.path,
      type,
      mode: item.mode ?? (type === "directory" ? 0o755 : 0o644),
      ...(item.link !== undefined ? { linkPath: item.link } : {}),
      size: type === "file" ? data.length : 0,
    }));
    if (type === "file") parts.push(data, padding(data.length));
  }
  if (options?.end !== false) parts.push(endOfArchive());
  return concat(parts);
}

export { encodeHeader, padding };

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Runs a command, returning its exit code and output. */
export async function exec(
  cmd: string,
  args: string[],
  options?: { cwd?: string; stdin?: string; env?: Record<string, string> },
) {
  const child = new Deno.Command(cmd, {
    args,
    ...(options?.cwd ? { cwd: options.cwd } : {}),
    ...(options?.env ? { env: options.env } : {}),
    stdin: options?.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options?.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Whether the real minisign binary is installed. */
export const HAVE_MINISIGN = await have("minisign");

/** Generates an unencrypted minisign key pair with the real binary. */
export async function minisignKeygen(
  dir: string,
  name = "key",
): Promise<{ pub: string; sec: string }> {
  const pub = `${dir}/${name}.pub`;
  const sec = `${dir}/${name}.sec`;
  const r = await exec("minisign", ["-G", "-W", "-f", "-p", pub, "-s", sec]);
  if (r.code !== 0) throw new Error(`minisign -G failed: ${r.stderr}`);
  return { pub, sec };
}

/** Signs `file` with the real binary; returns the .minisig text. */
export async function minisignSign(
  file: string,
  sec: string,
  options?: { legacy?: boolean; trustedComment?: string },
): Promise<string> {
  const args = [
    "-S",
    "-s",
    sec,
    "-m",
    file,
    "-x",
    `${file}.minisig`,
    "-t",
    options?.trustedComment ?? "test trusted comment",
  ];
  if (options?.legacy) args.splice(1, 0, "-l");
  const r = await exec("minisign", args, { stdin: "" });
  if (r.code !== 0) throw new Error(`minisign -S failed: ${r.stderr}`);
  return await Deno.readTextFile(`${file}.minisig`);
}

/** Fault modes of the test server for one path. */
export type Fault =
  | { kind: "status"; status: number }
  | { kind: "drop"; after: number; times?: number }
  | { kind: "no-range" }
  | { kind: "stall"; after: number }
  | { kind: "redirect"; to: string }
  | { kind: "lie-length"; extra: number };

/** Serves `root` on 127.0.0.1 with optional faults per path, ETags and Range. */
export function serveDir(root: string, faults: Record<string, Fault> = {}) {
  const controller = new AbortController();
  const requests: { path: string; range: string | null }[] = [];
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      controller.signal.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      });
    });
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      signal: controller.signal,
      onListen: () => {},
      onError: () => new Response(null, { status: 500 }),
    },
    async (req) => {
      const url = new URL(req.url);
      requests.push({ path: url.pathname, range: req.headers.get("range") });
      let fault = faults[url.pathname];
      if (fault?.kind === "drop" && fault.times !== undefined) {
        if (fault.times <= 0) fault = undefined;
        else fault.times--;
      }
      if (fault?.kind === "status") {
        return new Response("nope", { status: fault.status });
      }
      if (fault?.kind === "redirect") {
        return new Response(null, {
          status: 302,
          headers: { location: fault.to },
        });
      }
      let data: Uint8Array;
      try {
        data = await Deno.readFile(
          `${root}${decodeURIComponent(url.pathname)}`,
        );
      } catch {
        return new Response("not found", { status: 404 });
      }
      const etag = `"${sha256(data).slice(0, 16)}"`;
      const range = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
      const ifRange = req.headers.get("if-range");
      if (
        range && fault?.kind !== "no-range" &&
        (ifRange === null || ifRange === etag)
      ) {
        const from = Number(range[1]);
        const rest = data.subarray(from);
        return new Response(rest as Uint8Array<ArrayBuffer>, {
          status: 206,
          headers: {
            etag,
            "content-length": String(rest.length),
            "content-range": `bytes ${from}-${data.length - 1}/${data.length}`,
          },
        });
      }
      if (
        fault?.kind === "drop" || fault?.kind === "stall" ||
        fault?.kind === "lie-length"
      ) {
        const f = fault;
        const cut = f.kind === "lie-length" ? data.length : Math.min(f.after, data.length);
        const length = f.kind === "lie-length" ? data.length + f.extra : data.length;
        let sent = false;
        const body = new ReadableStream<Uint8Array>({
          async pull(c) {
            if (!sent) {
              sent = true;
              c.enqueue(data.slice(0, cut));
              return;
            }
            // Let the bytes reach the client before the connection breaks.
            await wait(f.kind === "stall" ? 60_000 : 200);
            c.error(new Error("dropped"));
          },
        });
        return new Response(body, {
          headers: { etag, "content-length": String(length) },
        });
      }
      return new Response(data as Uint8Array<ArrayBuffer>, {
        headers: { etag, "content-length": String(data.length) },
      });
    },
  );
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    async close() {
      controller.abort();
      await server.finished.catch(() => {});
    },
  };
}

/** Runs `main.ts` as a subprocess. */
export async function runCli(
  args: string[],
  options?: { permissions?: string[]; cwd?: string },
) {
  const perms = options?.permissions ?? ["-A"];
  return await exec(Deno.execPath(), [
    "run",
    "--quiet",
    ...perms,
    `${ROOT}/main.ts`,
    ...args,
  ], options);
}

/** `patchops create` of `from` to `to` into `out`, signed with `secretKey` as version 2; fails the test if it fails. */
export async function createSigned(
  from: string,
  to: string,
  out: string,
  secretKey: string,
  ...flags: string[]
): Promise<void> {
  const r = await runCli([
    "create",
    "--from",
    from,
    "--to",
    to,
    "--out",
    out,
    "--secret-key",
    secretKey,
    "--version",
    "2",
    ...flags,
  ]);
  if (r.code !== 0) throw new Error(`create failed (exit ${r.code}): ${r.stderr}`);
}

/** Operations in manifest form. */
export interface Ops {
  replace?: { files?: string[]; directories?: string[] };
  delete?: { files?: string[]; directories?: string[] };
}

/** Options of {@linkcode makePatch}. */
export interface MakePatchOptions {
  /** Secret key file to sign with (real minisign). */
  sec?: string;
  legacy?: boolean;
  /** Put the signature in the manifest as base64 of the .minisig text. */
  base64Signature?: boolean;
  /** Replace the manifest hash. */
  hash?: string;
  /**
   * With \`sec\` and a member list: open the archive with the signed header
   * (\`.patchops/operations.json\`, format 2, counting the members) and put its
   * hash and the package size in the signature's trusted comment, as
   * \`create\` does.
   * @default true
   */
  header?: boolean;
  /** Architecture named in that header (null: any). */
  arch?: string | null;
  name?: string;
  extra?: Record<string, unknown>;
}

/**
 * Writes `<dir>/<name>.tar.gz` from an archive (members or raw tar bytes;
 * bytes already gzip- or zstd-compressed are kept as they are, a zstd
 * package named `.tar.zst`) and `<dir>/<name>.json` describing it; returns
 * the manifest path.
 */
export async function makePatch(
  dir: string,
  archive: (Member | Uint8Array)[] | Uint8Array,
  operations: Ops,
  options?: MakePatchOptions,
): Promise<string> {
  const name = options?.name ?? "patch";
  let headerHash: string | undefined;
  // A compressed package made by a real tool is signed as it is: it carries no patchops header.
  const rawTar = archive instanceof Uint8Array && compressionOf(archive) === undefined;
  if (options?.sec && (options.header ?? true) && (rawTar || !(archive instanceof Uint8Array))) {
    const header = archive instanceof Uint8Array
      ? signedHeaderFor(await countTar(archive), operations, options)
      : signedHeader(archive, operations, options);
    headerHash = sha256(header);
    archive = archive instanceof Uint8Array
      ? concat([buildTar([{ path: ".patchops/operations.json", data: header }], { end: false }), archive])
      : [{ path: ".patchops/operations.json", data: header }, ...archive];
  }
  const tar = archive instanceof Uint8Array ? archive : buildTar(archive);
  const kind = compressionOf(tar);
  const gz = kind !== undefined ? tar : await gzip(tar);
  const file = `${name}.${kind === "zstd" ? "tar.zst" : "tar.gz"}`;
  const pkg = `${dir}/${file}`;
  await Deno.writeFile(pkg, gz);
  let signature: string | undefined;
  if (options?.sec) {
    const text = await minisignSign(pkg, options.sec, {
      ...(options.legacy ? { legacy: true } : {}),
      ...(headerHash ? { trustedComment: `test\tpatchops-size:${gz.length}\tpatchops-header:${headerHash}` } : {}),
    });
    signature = options.base64Signature ? btoa(text) : text;
  }
  const manifest = {
    url: file,
    hash: options?.hash ?? `sha256:${sha256(gz)}`,
    ...(signature ? { signature } : {}),
    operations,
    ...options?.extra,
  };
  const path = `${dir}/${name}.json`;
  await Deno.writeTextFile(path, JSON.stringify(manifest, null, 2));
  return path;
}

/** What a raw tar holds, counted as the header counts it (a large count where it cannot be read). */
async function countTar(tar: Uint8Array): Promise<{ entries: number; files: number; bytes: number }> {
  const totals = { entries: 0, files: 0, bytes: 0 };
  try {
    let sent = false;
    const pull = () => {
      if (sent) return Promise.resolve(undefined);
      sent = true;
      return Promise.resolve(tar);
    };
    for await (const { header, body } of readTar(pull)) {
      totals.entries++;
      if (header.type === "file") {
        totals.files++;
        totals.bytes += header.size;
      }
      for await (const _ of body) { /* skip */ }
    }
  } catch {
    // A hostile archive: it is refused on its own merits, never reaching the totals.
    return { entries: 1e6, files: 1e6, bytes: 1e15 };
  }
  return totals;
}

/** The signed header \`create\` writes, for a hand-made member list. */
export function signedHeader(
  members: (Member | Uint8Array)[],
  operations: Ops,
  options?: MakePatchOptions,
): Uint8Array {
  const totals = { entries: 0, files: 0, bytes: 0 };
  for (const m of members) {
    if (m instanceof Uint8Array) continue;
    totals.entries++;
    if ((m.type ?? "file") === "file") {
      totals.files++;
      totals.bytes += typeof m.data === "string" ? new TextEncoder().encode(m.data).length : m.data?.length ?? 0;
    }
  }
  return signedHeaderFor(totals, operations, options);
}

function signedHeaderFor(
  totals: { entries: number; files: number; bytes: number },
  operations: Ops,
  options?: MakePatchOptions,
): Uint8Array {
  const extra = options?.extra ?? {};
  const schema = extra.schema as { dialect?: string } | undefined;
  const doc = {
    format: 2,
    operations: {
      replace: { files: operations.replace?.files ?? [], directories: operations.replace?.directories ?? [] },
      delete: { files: operations.delete?.files ?? [], directories: operations.delete?.directories ?? [] },
    },
    version: extra.version ?? null,
    from_version: extra.from_version ?? null,
    ...(schema?.dialect ? { schema_dialect: schema.dialect } : {}),
    arch: options?.arch ?? null,
    totals,
  };
  return new TextEncoder().encode(JSON.stringify(doc));
}
