/**
 * Extracts tar members into a staging directory under the path and type
 * policy: nothing is written outside the staging root, through a symlink, or
 * as a device; links may not point outside the install directory.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { ancestorsOf, linkEscapes, normalizeRelativePath, parentOf, RESERVED_DIR } from "../path_policy.ts";
import type { Pull } from "./inflate.ts";
import { readTar, type TarHeader } from "./tar_reader.ts";
import { createHash } from "node:crypto";
import { HEADER_LIMIT, type HeaderLimits, type HeaderTotals, OPERATIONS_MEMBER } from "../signed_ops.ts";

/** What a staged path is. Hard links are staged as files. */
export type StagedType = "file" | "directory" | "symlink";

/** One staged path. */
export interface StagedEntry {
  type: StagedType;
  mode: number;
  size: number;
  /** True for directories that no member named but a deeper member needed. */
  implied?: boolean;
}

/** Result of {@linkcode stageArchive}. */
export interface StagedTree {
  entries: Map<string, StagedEntry>;
  /** Reserved members captured in memory instead of written (see options). */
  captured: Map<string, Uint8Array>;
  files: number;
  bytes: number;
}

/** Options of {@linkcode stageArchive}. */
export interface StageOptions {
  /**
   * Member paths under `.patchops/` to capture in memory instead of
   * writing; any other `.patchops/` member is refused.
   */
  capture?: ReadonlySet<string>;
  /** Called after each member is staged. */
  onEntry?: (path: string, tree: StagedTree) => void;
  /** Called before a file of `size` bytes is written; may throw to stop staging. */
  beforeFile?: (size: number) => Promise<void>;
  /**
   * How staged data reaches the disk: `"none"` leaves it to the kernel
   * (verify); `"each"` fsyncs every file before returning; `"batch"` leaves
   * the flush to the caller (one syncfs), starting writeback of large files
   * early so that flush has little left to do.
   * @default "none"
   */
  sync?: "none" | "each" | "batch";
  /**
   * With `sync: "batch"`: starts writeback of everything staged so far
   * (e.g. a syncfs in a child process). Called in the background every
   * 16 MiB spread over 256 files or more, one at a time, so the caller's
   * final flush has little left to do.
   */
  flushStaged?: () => Promise<unknown>;
  /**
   * The signed header the archive must open with: its SHA-256 (from the
   * signature's trusted comment) and a check that turns it into the totals
   * every later member is held to. Nothing else is staged before it passes.
   */
  header?: { sha256: string; check: (bytes: Uint8Array) => HeaderLimits } | undefined;
  /**
   * Members accepted when no signed header bounds them.
   * @default 1_000_000
   */
  maxEntries?: number | undefined;
}

/** Files up to this size are buffered and written by the pool. */
const SMALL_FILE = 1 << 20;
const POOL_TASKS = 16;
const POOL_BYTES = 16 << 20;
/** A large file is flushed in the background every this many bytes. */
const FLUSH_EVERY = 16 << 20;
/** ...and with `sync: "batch"`, the file system once that many bytes in at least this many files are staged. */
const FLUSH_FILES = 256;
let UMASK = 0o777;

/**
 * Learns the process umask, so that only files whose mode it would cut
 * need a chmod after open(2). `Deno.umask()` needs `--allow-sys=umask`;
 * without it, a probe file created with mode 0777 in `dir` shows the mask.
 * Not knowing it means a chmod per file, which doubled staging time.
 */
function learnUmask(dir: string): void {
  try {
    UMASK = Deno.umask();
    return;
  } catch {
    // No permission: probe below.
  }
  const probe = `${dir}/.umask-probe`;
  try {
    Deno.openSync(probe, { write: true, createNew: true, mode: 0o777 }).close();
    UMASK = 0o777 & ~Deno.statSync(probe).mode!;
  } catch {
    UMASK = 0o777;
  } finally {
    try {
      Deno.removeSync(probe);
    } catch {
      // Never created.
    }
  }
}

/** Writes a buffered small file and fsyncs it (the `"each"` mode, run by the pool). */
async function writeSmallDurably(
  path: string,
  data: Uint8Array,
  mode: number,
  mtime: number,
): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true, mode });
  try {
    let off = 0;
    while (off < data.length) off += await file.write(data.subarray(off));
    if (mtime > 0) await file.utime(mtime, mtime);
    await file.syncData();
  } finally {
    file.close();
  }
  // open() applied the umask; fix the bits it took away.
  if ((mode & UMASK) !== 0) await Deno.chmod(path, mode);
}

/**
 * Streams a member into a new file with synchronous calls. Writes to the
 * page cache take microseconds, and an async call costs a hop to a worker
 * thread and back: for 12,000 small files the synchronous calls took a
 * fifth of the time. Each part is written before the next is read, as the
 * reader's buffer is reused.
 */
async function writeStreamed(
  path: string,
  body: AsyncIterable<Uint8Array>,
  mode: number,
  mtime: number,
  flushEvery: number | undefined,
): Promise<{ written: number; file: Deno.FsFile; flushing: Promise<void> | undefined }> {
  const file = Deno.openSync(path, { write: true, createNew: true, mode });
  let written = 0;
  let flushing: Promise<void> | undefined;
  try {
    let flushedAt = 0;
    for await (const part of body) {
      let off = 0;
      while (off < part.length) off += file.writeSync(part.subarray(off));
      written += part.length;
      // Start writeback early, in the background, so the final flush has little left to do.
      if (flushEvery !== undefined && !flushing && written - flushedAt >= flushEvery) {
        flushedAt = written;
        flushing = file.syncData().finally(() => (flushing = undefined));
      }
    }
    if (mtime > 0) file.utimeSync(mtime, mtime);
  } catch (err) {
    await flushing?.catch(() => {});
    file.close();
    throw err;
  }
  if ((mode & UMASK) !== 0) Deno.chmodSync(path, mode);
  return { written, file, flushing };
}

/**
 * Bounded background writes: at most POOL_TASKS tasks and POOL_BYTES of
 * buffered data in flight; the first failure is rethrown by the next call.
 */
class WritePool {
  #tasks = new Map<string, Promise<void>>();
  #bytes = 0;
  #error: unknown;

  async add(path: string, bytes: number, task: Promise<void>): Promise<void> {
    this.#bytes += bytes;
    const tracked = task.then(
      () => {},
      (err) => {
        this.#error ??= err;
      },
    ).finally(() => {
      this.#bytes -= bytes;
      if (this.#tasks.get(path) === tracked) this.#tasks.delete(path);
    });
    this.#tasks.set(path, tracked);
    while (this.#tasks.size >= POOL_TASKS || this.#bytes > POOL_BYTES) await Promise.race(this.#tasks.values());
    if (this.#error !== undefined) throw this.#error;
  }

  /** Waits until the write of `path` (if any) is done. */
  async wait(path: string): Promise<void> {
    await this.#tasks.get(path);
    if (this.#error !== undefined) throw this.#error;
  }

  /** Waits for every write; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#tasks.values());
    if (this.#error !== undefined) throw this.#error;
  }
}

const CAPTURE_LIMIT = 4 << 20;

function refuse(
  header: TarHeader,
  why: string,
  options?: ErrorOptions,
): PatchopsError {
  return new PatchopsError(
    "UnsafeMember",
    `member "${header.path}" ${why}`,
    options,
  );
}

/**
 * Reads a decompressed tar stream and writes its members below `root`
 * (which must exist and be empty). Throws `UnsafeMember` on the first
 * member the policy refuses and `ArchiveCorrupt` on malformed input; the
 * caller removes the staging directory on failure.
 */
export async function stageArchive(
  stream: ReadableStream<Uint8Array> | Pull,
  root: string,
  options?: StageOptions,
): Promise<StagedTree> {
  learnUmask(root);
  const writes = new WritePool();
  try {
    return await stageMembers(stream, root, writes, options);
  } catch (err) {
    // Let the writes in flight finish before the caller removes the staging directory.
    await writes.drain().catch(() => {});
    throw err;
  }
}

async function stageMembers(
  stream: ReadableStream<Uint8Array> | Pull,
  root: string,
  writes: WritePool,
  options?: StageOptions,
): Promise<StagedTree> {
  const { capture = new Set<string>(), onEntry, beforeFile, sync = "none", flushStaged, header } = options ?? {};
  // What the archive has shown so far, held to the signed totals (or to a default count).
  let limits: HeaderTotals | undefined;
  const maxEntries = options?.maxEntries ?? 1_000_000;
  const seen: HeaderTotals = { entries: 0, files: 0, bytes: 0 };
  let first = true;
  let flushedAt = 0;
  let flushedFiles = 0;
  let flushing: Promise<unknown> | undefined;
  const tree: StagedTree = {
    entries: new Map(),
    captured: new Map(),
    files: 0,
    bytes: 0,
  };
  const links = new Map<string, string>();
  const dirModes: [string, number][] = [];

  for await (const { header: member, body } of readTar(stream)) {
    const header = member;
    if (first && options?.header) {
      first = false;
      limits = await takeHeader(member, body, options.header, tree);
      continue;
    }
    first = false;
    // Held to the signed totals (or a default count) before its bytes are read or written.
    const count = () => {
      seen.entries++;
      if (seen.entries > (limits?.entries ?? maxEntries)) {
        throw refuse(
          member,
          limits
            ? `is one more member than the ${limits.entries} the signed header counts`
            : `is more than ${maxEntries} members`,
        );
      }
      if (member.type !== "file") return;
      seen.files++;
      seen.bytes += member.size;
      if (limits && (seen.files > limits.files || seen.bytes > limits.bytes)) {
        throw refuse(member, `goes beyond the ${limits.files} files of ${limits.bytes} bytes the signed header counts`);
      }
    };
    let path: string;
    try {
      path = normalizeRelativePath(header.path, {
        lenient: true,
        allowReserved: true,
      });
    } catch (err) {
      throw refuse(header, reasonOf(err), { cause: err });
    }
    if (path === "") {
      if (header.type === "directory") continue;
      throw refuse(header, "names the install directory itself");
    }
    if (path === RESERVED_DIR || path.startsWith(RESERVED_DIR + "/")) {
      if (capture.has(path) && header.type === "file") {
        if (tree.captured.has(path)) throw refuse(header, "appears twice in the archive");
        count();
        if (header.size > CAPTURE_LIMIT) throw refuse(header, "is too large");
        tree.captured.set(path, await collect(body, header.size));
        continue;
      }
      throw refuse(header, `lies in the reserved "${RESERVED_DIR}" directory`);
    }
    switch (header.type) {
      case "chardev":
      case "blockdev":
        throw refuse(header, "is a device node");
      case "fifo":
        throw refuse(header, "is a FIFO");
      case "other":
        throw refuse(header, `has unsupported type "${header.typeflag}"`);
    }
    if (tree.entries.has(path)) {
      const prior = tree.entries.get(path)!;
      if (!(prior.implied && header.type === "directory")) {
        throw refuse(header, "appears twice in the archive");
      }
    }
    // Entries never change type once staged, so a parent that is a directory means every
    // ancestor is one: only a new parent needs the walk.
    const parent = parentOf(path);
    const known = parent === "" || tree.entries.get(parent)?.type === "directory";
    for (const a of known ? [] : ancestorsOf(path)) {
      const e = tree.entries.get(a);
      if (e === undefined) {
        makeDir(`${root}/${a}`, 0o755, a, dirModes);
        tree.entries.set(a, {
          type: "directory",
          mode: 0o755,
          size: 0,
          implied: true,
        });
      } else if (e.type === "symlink") {
        throw refuse(header, `would be written through the symlink "${a}"`);
      } else if (e.type !== "directory") {
        throw refuse(
          header,
          `needs "${a}" to be a directory, but it is a file`,
        );
      }
    }
    count();
    const target = `${root}/${path}`;
    switch (header.type) {
      case "directory": {
        const prior = tree.entries.get(path);
        const mode = header.mode & 0o777;
        if (prior === undefined) makeDir(target, mode, path, dirModes);
        else if (prior.mode !== mode) dirModes.push([path, mode]);
        tree.entries.set(path, { type: "directory", mode, size: 0 });
        break;
      }
      case "symlink": {
        links.set(path, header.linkPath);
        if (linkEscapes(path, header.linkPath, links)) {
          throw refuse(
            header,
            `is a symlink to "${header.linkPath}", which leaves the install directory`,
          );
        }
        Deno.symlinkSync(header.linkPath, target);
        tree.entries.set(path, { type: "symlink", mode: 0o777, size: 0 });
        break;
      }
      case "hardlink": {
        let source: string;
        try {
          source = normalizeRelativePath(header.linkPath, { lenient: true });
        } catch (err) {
          throw refuse(
            header,
            `is a hard link to "${header.linkPath}", which ${reasonOf(err)}`,
            { cause: err },
          );
        }
        const e = tree.entries.get(source);
        if (e === undefined || e.type !== "file") {
          throw refuse(
            header,
            `is a hard link to "${header.linkPath}", which is not an earlier file in the archive`,
          );
        }
        await writes.wait(source);
        Deno.linkSync(`${root}/${source}`, target);
        tree.entries.set(path, { ...e });
        tree.files++;
        break;
      }
      case "file": {
        await beforeFile?.(header.size);
        const mode = header.mode & 0o777;
        if (sync === "each" && header.size <= SMALL_FILE) {
          // One fsync per file: a bounded pool keeps many in flight so the file system can
          // fold them into fewer journal commits.
          const data = await collect(body, header.size);
          if (data.length !== header.size) throw refuse(header, "is truncated");
          await writes.add(path, data.length, writeSmallDurably(target, data, mode, header.mtime));
        } else {
          const large = header.size > SMALL_FILE && sync !== "none";
          const { written, file, flushing } = await writeStreamed(
            target,
            body,
            mode,
            header.mtime,
            large ? FLUSH_EVERY : undefined,
          );
          if (written !== header.size) {
            await flushing?.catch(() => {});
            file.close();
            throw refuse(header, "is truncated");
          }
          if (sync === "each") {
            // The data reaches the disk in the background while the next members stream in.
            const done = (async () => {
              await flushing;
              await file.syncData();
            })().finally(() => file.close());
            await writes.add(path, 0, done);
          } else if (flushing) {
            await writes.add(path, 0, flushing.finally(() => file.close()));
          } else file.close();
        }
        tree.entries.set(path, { type: "file", mode, size: header.size });
        tree.files++;
        tree.bytes += header.size;
        // Many files: start a flush of the file system now and then (a few large files are
        // flushed one by one instead, as they stream).
        if (
          sync === "batch" && flushStaged && !flushing && tree.bytes - flushedAt >= FLUSH_EVERY &&
          tree.files - flushedFiles >= FLUSH_FILES
        ) {
          flushedAt = tree.bytes;
          flushedFiles = tree.files;
          flushing = flushStaged().catch(() => {}).finally(() => (flushing = undefined));
        }
        break;
      }
    }
    onEntry?.(path, tree);
  }

  await writes.drain();
  await flushing;
  if (header && first) {
    throw new PatchopsError("ArchiveCorrupt", "the archive is empty, but its signature names a header");
  }
  if (limits && (seen.entries !== limits.entries || seen.files !== limits.files || seen.bytes !== limits.bytes)) {
    throw new PatchopsError(
      "ArchiveCorrupt",
      `the archive holds ${seen.entries} members (${seen.files} files, ${seen.bytes} bytes), but its signed header counts ${limits.entries} (${limits.files} files, ${limits.bytes} bytes)`,
    );
  }
  // A symlink added later can change where an earlier one leads, so check
  // every link again against the complete set.
  for (const [path, target] of links) {
    if (linkEscapes(path, target, links)) {
      throw new PatchopsError(
        "UnsafeMember",
        `member "${path}" is a symlink to "${target}", which leaves the install directory`,
      );
    }
  }
  // Modes last, deepest first, so read-only directories do not block their children.
  for (
    const [path, mode] of dirModes.sort((a, b) => b[0].length - a[0].length)
  ) {
    Deno.chmodSync(`${root}/${path}`, mode & 0o777);
  }
  return tree;
}

/**
 * Creates a staged directory. One its owner may write into gets its final
 * mode at once; any other is created 0700 (so its members can be written)
 * and listed in `later` for a chmod after the last member.
 */
function makeDir(target: string, mode: number, path: string, later: [string, number][]): void {
  if ((mode & 0o700) === 0o700 && (mode & UMASK) === 0) {
    Deno.mkdirSync(target, { mode });
    return;
  }
  Deno.mkdirSync(target, { mode: 0o700 });
  later.push([path, mode]);
}

/**
 * Reads the first member as the signed header: it must be the operations
 * member, no larger than the header limit, and hash to what the signature
 * vouches for; then its own check turns it into totals.
 */
async function takeHeader(
  member: TarHeader,
  body: AsyncIterable<Uint8Array>,
  expected: NonNullable<StageOptions["header"]>,
  tree: StagedTree,
): Promise<HeaderTotals> {
  if (member.type !== "file" || member.path.replace(/^(\.\/)+/, "") !== OPERATIONS_MEMBER) {
    throw new PatchopsError(
      "OperationsMismatch",
      `the archive opens with "${member.path}", not with the signed header "${OPERATIONS_MEMBER}"`,
    );
  }
  if (member.size > HEADER_LIMIT) throw refuse(member, "is too large");
  const bytes = await collect(body, member.size);
  if (createHash("sha256").update(bytes).digest("hex") !== expected.sha256) {
    throw new PatchopsError(
      "OperationsMismatch",
      `the archive's "${OPERATIONS_MEMBER}" is not the header the signature vouches for`,
    );
  }
  const { totals } = expected.check(bytes);
  tree.captured.set(OPERATIONS_MEMBER, bytes);
  return totals;
}

function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/^path "[^"]*" /, "");
}

async function collect(
  body: AsyncIterable<Uint8Array>,
  size: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let off = 0;
  for await (const part of body) {
    out.set(part, off);
    off += part.length;
  }
  return out;
}
