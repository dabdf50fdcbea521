/**
 * Walks the frame structure of a zstd stream (RFC 8878) without
 * decompressing it: frame headers, block headers and checksums give every
 * frame's length. The inflater uses it to drop skippable frames, to start a
 * fresh decompressor per frame where the runtime's stream stops after one,
 * to refuse bytes that are no frame at all, and to tell a truncated stream
 * from a complete one.
 *
 * @module
 */

/** Bytes of a data frame, as the decompressor should see them. */
export interface FramePart {
  /** A view into the walked chunk, or a copy of a frame's magic number. */
  bytes: Uint8Array;
  /** These bytes end a data frame. */
  frameEnd: boolean;
}

const enum State {
  Magic,
  SkipSize,
  FrameHeader,
  BlockHeader,
  Skip,
}

/** Thrown for bytes that are not a zstd frame. */
export class ZstdFrameError extends Error {
  override name = "ZstdFrameError";
}

/**
 * Splits zstd input into the parts of its data frames, one chunk at a time,
 * across chunk boundaries; skippable frames yield nothing.
 *
 * @example
 * ```ts
 * import { ZstdFrames } from "./_zstd_frames.ts";
 * const frames = new ZstdFrames();
 * // A skippable frame with a 2-byte payload: nothing for the decompressor.
 * const parts = frames.walk(new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 7, 7]));
 * if (parts.length !== 0 || !frames.atBoundary) throw new Error("not one skippable frame");
 * ```
 */
export class ZstdFrames {
  #state = State.Magic;
  /** Header bytes gathered so far (a frame header is at most 18 bytes). */
  #head = new Uint8Array(18);
  #have = 0;
  /** Header bytes wanted in the current state. */
  #want = 4;
  /** Bytes left to pass in the Skip state. */
  #skip = 0;
  #inData = false;
  #lastBlock = false;
  #checksum = false;
  #dataFrames = 0;

  /** Data frames completed so far. */
  get dataFrames(): number {
    return this.#dataFrames;
  }

  /** Whether the input so far ends exactly at the end of a frame. */
  get atBoundary(): boolean {
    return this.#state === State.Magic && this.#have === 0;
  }

  /**
   * Returns the data-frame parts of `chunk`, in order. Throws
   * {@linkcode ZstdFrameError} where a frame should start and something else
   * does, or where a header is malformed.
   */
  walk(chunk: Uint8Array): FramePart[] {
    const parts: FramePart[] = [];
    let pos = 0;
    // Start of the data bytes not yet handed out.
    let from = 0;
    const emit = (frameEnd: boolean) => {
      if (this.#inData && (pos > from || frameEnd)) parts.push({ bytes: chunk.subarray(from, pos), frameEnd });
      from = pos;
    };
    while (pos < chunk.length) {
      if (this.#state === State.Skip) {
        const n = Math.min(this.#skip, chunk.length - pos);
        pos += n;
        this.#skip -= n;
        if (this.#skip > 0) break;
        if (this.#afterSkip()) {
          emit(true);
          this.#inData = false;
        }
        continue;
      }
      const n = Math.min(this.#want - this.#have, chunk.length - pos);
      this.#head.set(chunk.subarray(pos, pos + n), this.#have);
      this.#have += n;
      pos += n;
      if (this.#have < this.#want) break;
      if (this.#state === State.Magic) {
        if (this.#magic()) {
          // The magic number may have begun in an earlier chunk: hand it over whole.
          parts.push({ bytes: this.#head.slice(0, 4), frameEnd: false });
          from = pos;
        }
        continue;
      }
      if (this.#header() && this.#afterSkip()) {
        emit(true);
        this.#inData = false;
      }
    }
    emit(false);
    return parts;
  }

  /** Throws unless the input ended at a frame boundary after at least one data frame. */
  finish(): void {
    if (this.#state === State.Magic && this.#have > 0 && this.#dataFrames > 0) {
      throw new ZstdFrameError("unexpected data after the end of the compressed stream");
    }
    if (!this.atBoundary) throw new ZstdFrameError("unexpected end of file (truncated zstd frame)");
    if (this.#dataFrames === 0) throw new ZstdFrameError("no zstd data frame");
  }

  /** Reads a frame's magic number; true for a data frame. */
  #magic(): boolean {
    const h = this.#head;
    const magic = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
    if (magic === 0xfd2fb528) {
      this.#inData = true;
      this.#lastBlock = false;
      this.#state = State.FrameHeader;
      // Magic and frame header descriptor first; the rest once its size is known.
      this.#want = 5;
      return true;
    }
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      this.#inData = false;
      this.#state = State.SkipSize;
      this.#want = 8;
      return false;
    }
    throw new ZstdFrameError(
      this.#dataFrames === 0 ? "not a zstd frame" : "unexpected data after the end of the compressed stream",
    );
  }

  /** Reads a complete header; true when it leads to a Skip state that is already over. */
  #header(): boolean {
    const h = this.#head;
    switch (this.#state) {
      case State.SkipSize:
        this.#skip = (h[4]! | (h[5]! << 8) | (h[6]! << 16) | (h[7]! << 24)) >>> 0;
        break;
      case State.FrameHeader: {
        const fhd = h[4]!;
        if ((fhd & 0x08) !== 0) throw new ZstdFrameError("zstd frame header sets a reserved bit");
        const singleSegment = (fhd & 0x20) !== 0;
        const size = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3]! + [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6]!;
        if (this.#want < size) {
          this.#want = size;
          return false;
        }
        this.#checksum = (fhd & 0x04) !== 0;
        this.#toBlockHeader();
        return false;
      }
      case State.BlockHeader: {
        const bh = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        this.#lastBlock = (bh & 1) !== 0;
        const type = (bh >> 1) & 3;
        if (type === 3) throw new ZstdFrameError("zstd block of the reserved type");
        // An RLE block stores one byte, whatever size it regenerates.
        this.#skip = (type === 1 ? 1 : bh >>> 3) + (this.#lastBlock && this.#checksum ? 4 : 0);
        break;
      }
      default:
        return false;
    }
    this.#state = State.Skip;
    this.#have = 0;
    return this.#skip === 0;
  }

  #toBlockHeader(): void {
    this.#state = State.BlockHeader;
    this.#have = 0;
    this.#want = 3;
  }

  /** After a skipped run: true when it ended a frame. */
  #afterSkip(): boolean {
    if (this.#inData && !this.#lastBlock) {
      this.#toBlockHeader();
      return false;
    }
    if (this.#inData) this.#dataFrames++;
    this.#state = State.Magic;
    this.#have = 0;
    this.#want = 4;
    return true;
  }
}
