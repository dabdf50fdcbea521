/**
 * Extracts tar members into a staging directory under the path and type
 * policy: nothing is written outside the staging root, through a symlink, or
 * as a device; links may not point outside the install directory. The rules
 * are the pure `member_policy.ts`; the writes are `_staging_writer.ts`; this
 * file joins them and keeps the tally (`StagedEntries`).
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { MAX_PATH_LENGTH } from "../path_policy.ts";
import type { Pull } from "./inflate.ts";
import { readTar, type TarHeader } from "./tar_reader.ts";
import { createHash } from "node:crypto";
import { HEADER_LIMIT, type HeaderLimits, type HeaderTotals, OPERATIONS_MEMBER } from "../signed_ops.ts";
import { countMember, decideMember, escapingLink, type StagedSoFar } from "./member_policy.ts";
import { StagedEntries } from "./staged_entries.ts";
import { collect, StagingWriter } from "./_staging_writer.ts";
import { type OpenBase, rebuildMember } from "../delta/rebuild.ts";
import type { DeltaEntry } from "../signed_ops.ts";

export type { StagedEntry, StagedType } from "./staged_entries.ts";

/** Result of {@linkcode stageArchive}. */
export interface StagedTree {
  entries: StagedEntries;
  /** Reserved members captured in memory instead of written (see options). */
  captured: Map<string, Uint8Array>;
  files: number;
  bytes: number;
  /** Delta members met (format 3), and how many of them were rebuilt from the installed files. */
  deltas?: number | undefined;
  rebuilt?: number | undefined;
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
  /**
   * Opens the installed version of a file that the signed header says is
   * shipped as a delta; the member is then rebuilt from it. Without it
   * (verify), a delta member is staged as it is.
   */
  openBase?: OpenBase | undefined;
}

/**
 * Unpacked bytes allowed before the signed header has passed: the header
 * itself (at most `HEADER_LIMIT`) and the tar blocks around it.
 */
export const PRE_HEADER_BUDGET = HEADER_LIMIT + (4 << 20);
/** Unpacked bytes allowed per counted member beyond its data: tar and pax headers, long names, padding. */
export const MEMBER_OVERHEAD_BUDGET = 32 << 10;
/**
 * Directories the members may imply (parents made for them), per counted
 * member. Members count against the signed totals, but the parents they
 * imply do not: one member 2,000 levels deep made 2,000 directories (a
 * block of disk each), and every member of the signed count could do so.
 * Real packages imply fewer directories than they have members, apart from
 * a few deep paths: `IMPLIED_ANY` more are allowed, as many as one path
 * may have levels (a package that changes one file 140 levels down implies
 * 139, and was refused with 64 per member alone).
 */
export const IMPLIED_PER_MEMBER = 64;
/** Directories any archive may imply besides `IMPLIED_PER_MEMBER` per member: the levels of the longest path. */
export const IMPLIED_ANY = MAX_PATH_LENGTH / 2;
/** Unpacked bytes allowed once, beyond the members: the end marker and the record padding after it. */
export const TRAILER_BUDGET = 16 << 20;

/**
 * Counts the unpacked bytes the tar reader pulls and refuses more than
 * `limit`. The signed totals bound the members, but the reader also passes
 * bytes no member counts: the data a directory or link header claims, volume
 * labels, global pax headers, and whatever follows the end-of-archive marker
 * (drained so that the hash sees every byte). zstd turns 32 KiB of input
 * into 1 GiB of zeros there, so without this bound a forged package of a
 * genuinely signed size kept a core busy for hours before its hash was
 * judged (a 1 MiB package: 16 GiB unpacked, 3 minutes).
 */
class InflateBudget {
  limit: number;
  used = 0;
  readonly pull: Pull;

  constructor(source: ReadableStream<Uint8Array> | Pull, limit: number) {
    this.limit = limit;
    let next: Pull;
    if (typeof source === "function") next = source;
    else {
      const reader = source.getReader();
      next = async () => {
        const { done, value } = await reader.read();
        return done ? undefined : value;
      };
    }
    this.pull = async () => {
      const chunk = await next();
      if (chunk !== undefined) {
        this.used += chunk.length;
        if (this.used > this.limit) {
          throw new PatchopsError(
            "ArchiveCorrupt",
            `archive is corrupt: it unpacks to more than the ${this.limit} bytes its signed header accounts for`,
          );
        }
      }
      return chunk;
    };
  }
}

function refuse(header: TarHeader, why: string, options?: ErrorOptions): PatchopsError {
  return new PatchopsError("UnsafeMember", `member "${header.path}" ${why}`, options);
}

/**
 * Reads a decompressed tar stream and writes its members below `root`
 * (which must exist and be empty). Throws `UnsafeMember` on the first
 * member the policy refuses and `ArchiveCorrupt` on malformed input; the
 * caller removes the staging directory on failure.
 *
 * Each member goes through the pure member policy (`member_policy.ts`),
 * and what it decides is done by the staging writer, which knows no rules.
 */
export async function stageArchive(
  stream: ReadableStream<Uint8Array> | Pull,
  root: string,
  options?: StageOptions,
): Promise<StagedTree> {
  const writer = new StagingWriter(root, { sync: options?.sync ?? "none", flushStaged: options?.flushStaged });
  try {
    return await stageMembers(stream, writer, options);
  } catch (err) {
    // Let the writes in flight finish before the caller removes the staging directory.
    await writer.drain().catch(() => {});
    throw err;
  }
}

async function stageMembers(
  stream: ReadableStream<Uint8Array> | Pull,
  writer: StagingWriter,
  options?: StageOptions,
): Promise<StagedTree> {
  const { capture = new Set<string>(), onEntry, beforeFile, header: signed, maxEntries = 1_000_000 } = options ??
    {};
  const { openBase } = options ?? {};
  const tree: StagedTree = {
    entries: new StagedEntries(),
    captured: new Map(),
    files: 0,
    bytes: 0,
    deltas: 0,
    rebuilt: 0,
  };
  let deltas = new Map<string, DeltaEntry>();
  const links = new Map<string, string>();
  const entries = tree.entries;
  // What the archive has shown so far, held to the signed totals (or to a default count).
  const so: StagedSoFar & { seen: HeaderTotals } = {
    typeOf: (path) => entries.typeOf(path),
    isImplied: (path) => entries.get(path)?.implied === true,
    links,
    captured: tree.captured,
    seen: { entries: 0, files: 0, bytes: 0 },
    limits: undefined,
  };
  const rules = { capture, maxEntries, expectHeader: signed !== undefined };
  let members = 0;
  let implied = 0;
  // With a signed header, every unpacked byte is accounted for (see InflateBudget).
  const budget = signed ? new InflateBudget(stream, PRE_HEADER_BUDGET) : undefined;

  for await (const { header, body } of readTar(budget?.pull ?? stream)) {
    members++;
    const d = decideMember(header, so, rules);
    rules.expectHeader = false;
    if (d.action === "refuse") {
      if (d.code !== "UnsafeMember") throw new PatchopsError(d.code, d.why);
      throw refuse(header, d.why, d.cause === undefined ? undefined : { cause: d.cause });
    }
    if (d.action === "skip") continue;
    if (d.action === "header") {
      const limits = await takeHeader(header, body, signed!, tree);
      so.limits = limits.totals;
      deltas = limits.deltas ?? deltas;
      const { bytes, entries } = limits.totals;
      budget!.limit = budget!.used + bytes + entries * MEMBER_OVERHEAD_BUDGET + TRAILER_BUDGET;
      continue;
    }
    countMember(so.seen, header);
    if (d.action === "capture") {
      tree.captured.set(d.path, await collect(body, header.size));
      continue;
    }
    implied += d.create.length;
    const impliedLimit = ((so.limits?.entries ?? maxEntries) + 1) * IMPLIED_PER_MEMBER + IMPLIED_ANY;
    if (implied > impliedLimit) {
      throw refuse(header, `needs more than the ${impliedLimit} directories the archive's members may imply`);
    }
    for (const a of d.create) {
      writer.mkdir(a, 0o755);
      entries.set(a, { type: "directory", mode: 0o755, size: 0, implied: true });
    }
    switch (d.action) {
      case "directory": {
        if (!d.exists) writer.mkdir(d.path, d.mode);
        else if (entries.get(d.path)!.mode !== d.mode) writer.chmodLater(d.path, d.mode);
        entries.set(d.path, { type: "directory", mode: d.mode, size: 0 });
        break;
      }
      case "symlink":
        links.set(d.path, d.target);
        writer.symlink(d.path, d.target);
        entries.set(d.path, { type: "symlink", mode: 0o777, size: 0 });
        break;
      case "hardlink":
        await writer.hardlink(d.path, d.source);
        entries.set(d.path, entries.get(d.source)!);
        tree.files++;
        break;
      case "file": {
        const delta = deltas.get(d.path);
        if (delta) tree.deltas = (tree.deltas ?? 0) + 1;
        if (delta && openBase) {
          await beforeFile?.(delta.size);
          const rebuilt = rebuildMember(d.path, body, delta, openBase);
          const written = await writer.file(d.path, rebuilt, { mode: d.mode, size: delta.size, mtime: header.mtime });
          if (written !== delta.size) throw refuse(header, "is truncated");
          entries.set(d.path, { type: "file", mode: d.mode, size: delta.size });
          tree.files++;
          tree.rebuilt = (tree.rebuilt ?? 0) + 1;
          tree.bytes += delta.size;
          break;
        }
        await beforeFile?.(header.size);
        const written = await writer.file(d.path, body, { mode: d.mode, size: header.size, mtime: header.mtime });
        if (written !== header.size) throw refuse(header, "is truncated");
        entries.set(d.path, { type: "file", mode: d.mode, size: header.size });
        tree.files++;
        tree.bytes += header.size;
        break;
      }
    }
    onEntry?.(d.path, tree);
  }

  await writer.drain();
  if (signed && members === 0) {
    throw new PatchopsError("ArchiveCorrupt", "the archive is empty, but its signature names a header");
  }
  const { seen, limits } = so;
  if (limits && (seen.entries !== limits.entries || seen.files !== limits.files || seen.bytes !== limits.bytes)) {
    throw new PatchopsError(
      "ArchiveCorrupt",
      `the archive holds ${seen.entries} members (${seen.files} files, ${seen.bytes} bytes), but its signed header counts ${limits.entries} (${limits.files} files, ${limits.bytes} bytes)`,
    );
  }
  if ((tree.deltas ?? 0) !== deltas.size) {
    throw new PatchopsError(
      "ArchiveCorrupt",
      `the signed header names ${deltas.size} delta members, but the archive holds ${
        tree.deltas ?? 0
      } of them as files`,
    );
  }
  const escaping = escapingLink(links);
  if (escaping) {
    throw new PatchopsError(
      "UnsafeMember",
      `member "${escaping[0]}" is a symlink to "${escaping[1]}", which leaves the install directory`,
    );
  }
  writer.finish();
  return tree;
}

/**
 * Reads the first member as the signed header (the policy has checked its
 * name and size): it must hash to what the signature vouches for; then its
 * own check turns it into totals.
 */
async function takeHeader(
  member: TarHeader,
  body: AsyncIterable<Uint8Array>,
  expected: NonNullable<StageOptions["header"]>,
  tree: StagedTree,
): Promise<HeaderLimits> {
  const bytes = await collect(body, member.size);
  if (createHash("sha256").update(bytes).digest("hex") !== expected.sha256) {
    throw new PatchopsError(
      "OperationsMismatch",
      `the archive's "${OPERATIONS_MEMBER}" is not the header the signature vouches for`,
    );
  }
  const limits = expected.check(bytes);
  tree.captured.set(OPERATIONS_MEMBER, bytes);
  return limits;
}
