/**
 * A deterministic tar writer (POSIX ustar, with pax records for long or
 * non-ASCII names and large sizes). Owners are always 0/root-less and
 * names empty, so the same tree always gives the same bytes.
 *
 * @module
 */

const BLOCK = 512;
const encoder = new TextEncoder();

/** Fields of one raw header; everything a test needs to forge odd archives. */
export interface HeaderFields {
  name: string;
  /** Type flag character. */
  typeflag: string;
  mode?: number;
  size?: number;
  mtime?: number;
  linkname?: string;
  /** Defaults to POSIX `"ustar\0"` + `"00"`; `"gnu"` writes GNU's `"ustar  \0"`. */
  magic?: "posix" | "gnu" | "none";
  prefix?: string;
  devmajor?: number;
  devminor?: number;
  /** Overrides the computed checksum (to forge corrupt headers). */
  checksum?: number;
}

function putString(
  block: Uint8Array,
  offset: number,
  length: number,
  value: string,
): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) {
    throw new RangeError(`tar field "${value}" exceeds ${length} bytes`);
  }
  block.set(bytes, offset);
}

function putOctal(
  block: Uint8Array,
  offset: number,
  length: number,
  value: number,
): void {
  const text = value.toString(8).padStart(length - 1, "0");
  if (text.length > length - 1) {
    throw new RangeError(`tar number ${value} exceeds its field`);
  }
  putString(block, offset, length, text);
}

/** Encodes one 512-byte header. */
export function encodeHeader(f: HeaderFields): Uint8Array {
  const block = new Uint8Array(BLOCK);
  putString(block, 0, 100, f.name);
  putOctal(block, 100, 8, f.mode ?? 0o644);
  putOctal(block, 108, 8, 0);
  putOctal(block, 116, 8, 0);
  putOctal(block, 124, 12, f.size ?? 0);
  putOctal(block, 136, 12, f.mtime ?? 0);
  block[156] = f.typeflag.charCodeAt(0);
  putString(block, 157, 100, f.linkname ?? "");
  const magic = f.magic ?? "posix";
  if (magic === "posix") {
    putString(block, 257, 6, "ustar\0");
    putString(block, 263, 2, "00");
  } else if (magic === "gnu") {
    putString(block, 257, 8, "ustar  \0");
  }
  if (magic !== "none") {
    putOctal(block, 329, 8, f.devmajor ?? 0);
    putOctal(block, 337, 8, f.devminor ?? 0);
  }
  if (f.prefix) putString(block, 345, 155, f.prefix);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  const text = (f.checksum ?? sum).toString(8).padStart(6, "0");
  putString(block, 148, 8, `${text}\0 `);
  return block;
}

/** Encodes pax records as the payload of an `x` header. */
export function encodePax(records: Record<string, string>): Uint8Array {
  let out = "";
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    const bodyLen = encoder.encode(body).length;
    let len = bodyLen + 1;
    while (String(len).length + bodyLen !== len) {
      len = String(len).length + bodyLen;
    }
    out += `${len}${body}`;
  }
  return encoder.encode(out);
}

/** Zero padding that completes a member of `size` bytes to a block. */
export function padding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The end-of-archive marker: two zero blocks. */
export function endOfArchive(): Uint8Array {
  return new Uint8Array(BLOCK * 2);
}

/** One member for {@linkcode tarMember}. */
export interface MemberSpec {
  path: string;
  type: "file" | "directory" | "symlink" | "hardlink";
  mode: number;
  mtime?: number;
  /** For symlinks and hard links. */
  linkPath?: string;
  /** File size; the data itself is written by the caller. */
  size?: number;
}

function fitsUstar(value: string, limit: number): boolean {
  return encoder.encode(value).length <= limit &&
    [...value].every((c) => c.charCodeAt(0) < 0x80);
}

/**
 * Header blocks (a pax header first when needed) for one member. File data
 * and its {@linkcode padding} follow from the caller.
 */
export function tarMember(spec: MemberSpec): Uint8Array[] {
  const typeflag = { file: "0", directory: "5", symlink: "2", hardlink: "1" }[spec.type];
  let name = spec.type === "directory" && !spec.path.endsWith("/") ? `${spec.path}/` : spec.path;
  let linkname = spec.linkPath ?? "";
  const size = spec.size ?? 0;
  const pax: Record<string, string> = {};
  if (!fitsUstar(name, 100)) {
    pax.path = name;
    name = `PaxHeaders/${
      Array.from(encoder.encode(name)).slice(0, 40).map((b) => b.toString(16))
        .join("")
    }`
      .slice(0, 99);
  }
  if (!fitsUstar(linkname, 100)) {
    pax.linkpath = linkname;
    linkname = "";
  }
  const bigSize = size > 0o77777777777;
  if (bigSize) pax.size = String(size);
  const blocks: Uint8Array[] = [];
  if (Object.keys(pax).length > 0) {
    const data = encodePax(pax);
    blocks.push(
      encodeHeader({
        name: "././@PaxHeader",
        typeflag: "x",
        size: data.length,
        mtime: spec.mtime ?? 0,
      }),
      data,
      padding(data.length),
    );
  }
  blocks.push(encodeHeader({
    name,
    typeflag,
    mode: spec.mode,
    size: bigSize ? 0 : size,
    mtime: spec.mtime ?? 0,
    linkname,
  }));
  return blocks;
}
