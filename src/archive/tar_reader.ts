/**
 * A strict streaming tar reader: ustar, POSIX pax (`x` and `g`) and GNU long
 * names (`L`, `K`), with base-256 sizes. It reports what the archive says and
 * refuses what it cannot read faithfully; deciding what is safe to write is
 * the policy's job (`stage.ts`).
 *
 * Written here rather than taken from npm: the decoders tried either buffer
 * entries, accept headers with bad checksums, or mishandle bsdtar's pax
 * output, and this reader must fail closed on every one of those.
 *
 * @module
 */

import { PatchopsError } from "../errors.ts";
import { ChunkReader } from "./_chunk_reader.ts";
import type { Pull } from "./inflate.ts";

const BLOCK = 512;
/** Upper bound for pax and GNU long-name payloads, which are held in memory. */
const MAX_META = 1 << 20;
/**
 * Upper bound for the records global pax headers set, together. They stay
 * in force for every later member, which merges and scans them: without a
 * bound, 16 MiB of `g` headers (2 MiB as zstd) held 1.4 million records,
 * and 1,000 members then took 60 s and 760 MiB. Real tools write a few
 * (`git archive`: one, `comment`). Their text together is held to
 * `MAX_META` too.
 */
export const MAX_GLOBAL_PAX_RECORDS = 1024;

/** Kinds of members the reader understands. */
export type TarEntryType =
  | "file"
  | "directory"
  | "symlink"
  | "hardlink"
  | "chardev"
  | "blockdev"
  | "fifo"
  | "other";

/** One member's header, after pax and GNU overrides are applied. */
export interface TarHeader {
  /** Member name as stored (not yet normalised or checked). */
  path: string;
  type: TarEntryType;
  /** The raw type flag character, for messages. */
  typeflag: string;
  /** Link target for symlinks and hard links. */
  linkPath: string;
  mode: number;
  size: number;
  /** Modification time in seconds since the epoch. */
  mtime: number;
}

/** A member: its header and a one-shot iterator over its data. */
export interface TarEntry {
  header: TarHeader;
  /** The member's bytes as zero-copy slices; must be consumed before the next entry, or it is skipped. */
  body: AsyncIterable<Uint8Array>;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function corrupt(why: string, options?: ErrorOptions): PatchopsError {
  return new PatchopsError(
    "ArchiveCorrupt",
    `archive is corrupt: ${why}`,
    options,
  );
}

function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch (err) {
    throw corrupt(`${what} is not valid UTF-8`, { cause: err });
  }
}

function cString(block: Uint8Array, start: number, length: number): Uint8Array {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

function parseNumber(
  block: Uint8Array,
  start: number,
  length: number,
  what: string,
): number {
  const field = block.subarray(start, start + length);
  if ((field[0]! & 0x80) !== 0) {
    // GNU base-256: big-endian two's complement; negative values are refused.
    if ((field[0]! & 0x40) !== 0) throw corrupt(`negative ${what}`);
    let value = field[0]! & 0x3f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + field[i]!;
      if (value > Number.MAX_SAFE_INTEGER) throw corrupt(`${what} too large`);
    }
    return value;
  }
  let value = 0;
  let i = 0;
  while (i < field.length && (field[i] === 0x20 || field[i] === 0)) i++;
  let digits = 0;
  for (; i < field.length; i++) {
    const c = field[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw corrupt(`${what} field is not octal`);
    value = value * 8 + (c - 0x30);
    digits++;
  }
  return digits === 0 ? 0 : value;
}

function checksumOk(block: Uint8Array): boolean {
  const stored = parseNumber(block, 148, 8, "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function typeOf(flag: string, name: string): TarEntryType {
  switch (flag) {
    case "0":
    case "\0":
    case "7":
      return name.endsWith("/") ? "directory" : "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "3":
      return "chardev";
    case "4":
      return "blockdev";
    case "5":
      return "directory";
    case "6":
      return "fifo";
    default:
      return "other";
  }
}

/** Parses pax extended-header records (`"<len> <key>=<value>\n"`). */
export function parsePax(data: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    if (space < 0) throw corrupt("pax record without a length");
    const lenText = decodeText(data.subarray(pos, space), "pax record length");
    const len = Number(lenText);
    if (
      !/^[0-9]+$/.test(lenText) || len <= space - pos || pos + len > data.length
    ) {
      throw corrupt(`pax record length "${lenText}" is invalid`);
    }
    const record = data.subarray(space + 1, pos + len);
    if (record[record.length - 1] !== 0x0a) {
      throw corrupt("pax record does not end in a newline");
    }
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw corrupt('pax record without "="');
    const key = decodeText(record.subarray(0, eq), "pax key");
    const value = decodeText(
      record.subarray(eq + 1, record.length - 1),
      `pax value of "${key}"`,
    );
    records.set(key, value);
    pos += len;
  }
  return records;
}

function paxNumber(
  records: Map<string, string>,
  key: string,
): number | undefined {
  const text = records.get(key);
  if (text === undefined) return undefined;
  if (!/^-?[0-9]+(\.[0-9]*)?$/.test(text)) {
    throw corrupt(`pax ${key} "${text}" is not a number`);
  }
  return Math.trunc(Number(text));
}

/**
 * Reads tar members from a decompressed stream, in order. After the
 * end-of-archive marker, the rest of the stream is drained so that every
 * byte upstream is seen (the hash covers them all). A header and a body
 * part are valid until the next step of the iteration: the source may
 * reuse its buffer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTar } from "./tar_reader.ts";
 * import { endOfArchive, padding, tarMember } from "./tar_writer.ts";
 * const data = new TextEncoder().encode("hello");
 * const tar = [...tarMember({ path: "a.txt", type: "file", mode: 0o644, size: 5 }), data, padding(5), endOfArchive()];
 * const paths: string[] = [];
 * for await (const { header, body } of readTar(new Blob(tar as Uint8Array<ArrayBuffer>[]).stream())) {
 *   paths.push(header.path);
 *   // Read the member's bytes here, or they are skipped.
 *   for await (const _ of body) continue;
 * }
 * assert.deepEqual(paths, ["a.txt"]);
 * ```
 */
export async function* readTar(
  source: ReadableStream<Uint8Array> | Pull,
): AsyncGenerator<TarEntry> {
  const reader = new ChunkReader(source);
  let globalPax = new Map<string, string>();
  let localPax: Map<string, string> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const at = reader.position;
      const block = await reader.readExact(BLOCK);
      if (block.length === 0) {
        throw corrupt(
          "archive ends without an end-of-archive marker (truncated)",
        );
      }
      if (block.length < BLOCK) throw corrupt(`truncated header at byte ${at}`);
      if (isZeroBlock(block)) {
        if (localPax || longName !== undefined || longLink !== undefined) {
          throw corrupt("archive ends after an extended header");
        }
        // One zero block ends the archive for GNU tar too; whatever follows is padding.
        await reader.drain();
        return;
      }
      if (!checksumOk(block)) {
        throw corrupt(`header checksum mismatch at byte ${at}`);
      }
      const flag = String.fromCharCode(block[156]!);
      const size = parseNumber(block, 124, 12, "size");
      const magic = decodeText(cString(block, 257, 6), "magic");

      if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
        if (size > MAX_META) {
          throw corrupt(`extended header of ${size} bytes is too large`);
        }
        const data = await reader.readExact(size);
        if (data.length < size) throw corrupt("truncated extended header");
        const copy = data.slice();
        await skipPadding(reader, size);
        if (flag === "x") localPax = parsePax(copy);
        else if (flag === "g") {
          const records = parsePax(copy);
          if (records.has("path") || records.has("linkpath")) {
            throw corrupt("global pax header sets a path");
          }
          const merged = new Map([...globalPax, ...records]);
          if (merged.size > MAX_GLOBAL_PAX_RECORDS) {
            throw corrupt(`global pax headers set more than ${MAX_GLOBAL_PAX_RECORDS} records`);
          }
          // ...and no more text than one extended header may hold: 1,024 records of 1 MiB each were held to the end.
          let held = 0;
          for (const [k, v] of merged) held += k.length + v.length;
          if (held > MAX_META) throw corrupt(`global pax headers set more than ${MAX_META} bytes of records`);
          globalPax = merged;
        } else {
          const nul = copy.indexOf(0);
          const text = decodeText(
            nul < 0 ? copy : copy.subarray(0, nul),
            "GNU long name",
          );
          if (flag === "L") longName = text;
          else longLink = text;
        }
        continue;
      }

      const pax = localPax ? new Map([...globalPax, ...localPax]) : globalPax;
      localPax = undefined;
      let name = decodeText(cString(block, 0, 100), "member name");
      if (magic === "ustar") {
        const prefix = decodeText(
          cString(block, 345, 155),
          "member name prefix",
        );
        if (prefix.length > 0) name = `${prefix}/${name}`;
      }
      let linkPath = decodeText(cString(block, 157, 100), "link name");
      if (longName !== undefined) name = longName;
      if (longLink !== undefined) linkPath = longLink;
      longName = undefined;
      longLink = undefined;
      name = pax.get("path") ?? name;
      linkPath = pax.get("linkpath") ?? linkPath;
      const realSize = paxNumber(pax, "size") ?? size;
      if (realSize < 0 || realSize > Number.MAX_SAFE_INTEGER) {
        throw corrupt(`member "${name}" has an invalid size`);
      }
      for (const key of pax.keys()) {
        if (key.startsWith("GNU.sparse.")) {
          throw corrupt(
            `member "${name}" is a sparse file, which is not supported`,
          );
        }
      }
      const type = typeOf(flag, name);
      if (flag === "S") {
        throw corrupt(
          `member "${name}" is a sparse file, which is not supported`,
        );
      }
      if (flag === "V") {
        await skipData(reader, realSize, name);
        continue;
      }
      // Only files carry data; links and directories have a size of 0 in
      // well-formed archives, but skip whatever the header says.
      const header: TarHeader = {
        path: name,
        type,
        typeflag: flag === "\0" ? "0" : flag,
        linkPath,
        mode: parseNumber(block, 100, 8, "mode") & 0o7777,
        size: type === "file" ? realSize : 0,
        mtime: paxNumber(pax, "mtime") ?? parseNumber(block, 136, 12, "mtime"),
      };
      if (type !== "file") {
        await skipData(reader, realSize, name);
        yield { header, body: (async function* () {})() };
        continue;
      }
      let remaining = realSize;
      const body = (async function* () {
        while (remaining > 0) {
          const part = await reader.readSome(remaining);
          if (part === undefined) {
            throw corrupt(`member "${name}" is truncated`);
          }
          remaining -= part.length;
          yield part;
        }
      })();
      yield { header, body };
      while (remaining > 0) {
        const part = await reader.readSome(remaining);
        if (part === undefined) throw corrupt(`member "${name}" is truncated`);
        remaining -= part.length;
      }
      await skipPadding(reader, realSize);
    }
  } catch (err) {
    await reader.cancel(err);
    if (!(err instanceof PatchopsError)) {
      // The decompressor reports bad data as a plain error.
      throw corrupt(`compressed data is invalid (${err instanceof Error ? err.message : String(err)})`, {
        cause: err,
      });
    }
    throw err;
  }
}

async function skipPadding(reader: ChunkReader, size: number): Promise<void> {
  const pad = (BLOCK - (size % BLOCK)) % BLOCK;
  if (pad === 0) return;
  const got = await reader.readExact(pad);
  if (got.length < pad) throw corrupt("archive is truncated in block padding");
}

async function skipData(
  reader: ChunkReader,
  size: number,
  name: string,
): Promise<void> {
  let remaining = size;
  while (remaining > 0) {
    const part = await reader.readSome(remaining);
    if (part === undefined) throw corrupt(`member "${name}" is truncated`);
    remaining -= part.length;
  }
  await skipPadding(reader, size);
}
