/**
 * Writes members into the staging directory: directories, symlinks, hard
 * links and files, the last in one of three ways (see `sync`). Knows nothing
 * of the member policy: every path it is given was decided on already.
 *
 * @module
 */

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

/** Reads a member's bytes into one buffer of its declared size. */
export async function collect(body: AsyncIterable<Uint8Array>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let off = 0;
  for await (const part of body) {
    out.set(part, off);
    off += part.length;
  }
  return off === size ? out : out.subarray(0, off);
}

/** Options of {@linkcode StagingWriter}. */
export interface StagingWriterOptions {
  /** See `StageOptions.sync`. */
  sync: "none" | "each" | "batch";
  /** See `StageOptions.flushStaged`. */
  flushStaged?: (() => Promise<unknown>) | undefined;
}

/**
 * Writes below `root` (which must exist). Paths are relative to it and
 * already checked; a file's parent exists because its creation came first.
 */
export class StagingWriter {
  readonly #root: string;
  readonly #sync: "none" | "each" | "batch";
  readonly #flushStaged: (() => Promise<unknown>) | undefined;
  readonly #writes = new WritePool();
  /** Directories whose final mode waits until every member is written. */
  #later: [string, number][] = [];
  #files = 0;
  #bytes = 0;
  #flushedAt = 0;
  #flushedFiles = 0;
  #flushing: Promise<unknown> | undefined;

  constructor(root: string, options: StagingWriterOptions) {
    this.#root = root;
    this.#sync = options.sync;
    this.#flushStaged = options.flushStaged;
    learnUmask(root);
  }

  /**
   * Creates a directory. One its owner may write into gets its final mode
   * at once; any other is created 0700 (so its members can be written) and
   * chmodded in {@linkcode finish}.
   */
  mkdir(path: string, mode: number): void {
    const target = `${this.#root}/${path}`;
    if ((mode & 0o700) === 0o700 && (mode & UMASK) === 0) {
      Deno.mkdirSync(target, { mode });
      return;
    }
    Deno.mkdirSync(target, { mode: 0o700 });
    this.#later.push([path, mode]);
  }

  /** Gives a directory that exists already (implied by an earlier member) its mode. */
  chmodLater(path: string, mode: number): void {
    this.#later.push([path, mode]);
  }

  symlink(path: string, target: string): void {
    Deno.symlinkSync(target, `${this.#root}/${path}`);
  }

  async hardlink(path: string, source: string): Promise<void> {
    await this.#writes.wait(source);
    Deno.linkSync(`${this.#root}/${source}`, `${this.#root}/${path}`);
  }

  /**
   * Writes a file of `size` bytes from `body`; returns how many bytes the
   * body held (the caller refuses a member whose body is short).
   */
  async file(
    path: string,
    body: AsyncIterable<Uint8Array>,
    meta: { mode: number; size: number; mtime: number },
  ): Promise<number> {
    const { mode, size, mtime } = meta;
    const target = `${this.#root}/${path}`;
    const sync = this.#sync;
    let written: number;
    if (sync === "each" && size <= SMALL_FILE) {
      // One fsync per file: a bounded pool keeps many in flight so the file system can
      // fold them into fewer journal commits.
      const data = await collect(body, size);
      if (data.length !== size) return data.length;
      await this.#writes.add(path, data.length, writeSmallDurably(target, data, mode, mtime));
      written = data.length;
    } else {
      const large = size > SMALL_FILE && sync !== "none";
      const r = await writeStreamed(target, body, mode, mtime, large ? FLUSH_EVERY : undefined);
      const { file, flushing } = r;
      written = r.written;
      if (written !== size) {
        await flushing?.catch(() => {});
        file.close();
        return written;
      }
      if (sync === "each") {
        // The data reaches the disk in the background while the next members stream in.
        const done = (async () => {
          await flushing;
          await file.syncData();
        })().finally(() => file.close());
        await this.#writes.add(path, 0, done);
      } else if (flushing) {
        await this.#writes.add(path, 0, flushing.finally(() => file.close()));
      } else file.close();
    }
    this.#files++;
    this.#bytes += size;
    // Many files: start a flush of the file system now and then (a few large files are
    // flushed one by one instead, as they stream).
    if (
      sync === "batch" && this.#flushStaged && !this.#flushing && this.#bytes - this.#flushedAt >= FLUSH_EVERY &&
      this.#files - this.#flushedFiles >= FLUSH_FILES
    ) {
      this.#flushedAt = this.#bytes;
      this.#flushedFiles = this.#files;
      this.#flushing = this.#flushStaged().catch(() => {}).finally(() => (this.#flushing = undefined));
    }
    return written;
  }

  /** Waits for the writes in flight; rethrows the first failure. */
  async drain(): Promise<void> {
    await this.#writes.drain();
    await this.#flushing;
  }

  /** Gives directories their final modes, deepest first, so read-only ones do not block their children. */
  finish(): void {
    for (const [path, mode] of this.#later.sort((a, b) => b[0].length - a[0].length)) {
      Deno.chmodSync(`${this.#root}/${path}`, mode & 0o777);
    }
  }
}
