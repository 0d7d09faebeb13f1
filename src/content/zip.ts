/**
 * Minimal, defensive zip reader: walks the central directory itself (fflate exposes
 * neither flags nor external attributes) and inflates single entries with a hard
 * output cap. Runtime-agnostic: no `node:` imports.
 */
import { Inflate } from "fflate";

/** One central-directory record, with ZIP64 sizes already resolved. */
export interface ZipEntry {
  name: string;
  /** General purpose bit flags from the central directory. */
  flags: number;
  /** 0 = stored, 8 = deflate; anything else is unsupported for inflation. */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  versionMadeBy: number;
  externalAttributes: number;
  isDirectory: boolean;
}

/** Why a zip could not be read; `notZip` = no zip structure at all. */
export type ZipErrorReason = "notZip" | "truncated" | "corrupt" | "tooManyEntries" | "sizeMismatch";

/** Structural problem with the archive (mapped to admin-facing text by the caller). */
export class ZipError extends Error {
  constructor(
    readonly reason: ZipErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "ZipError";
  }
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
/** Compressed bytes fed to the inflater per step: deflate peaks at ~1032:1, so ≤ ~1 MiB out per step. */
const INFLATE_STEP = 1024;

const utf8 = new TextDecoder("utf-8");

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(dv: DataView, at: number): number {
  const value = dv.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError("corrupt", "64-bit field out of range");
  return Number(value);
}

/** True when the bytes start like a zip (local header or empty-archive EOCD). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = view(bytes).getUint32(0, true);
  return sig === LOCAL_SIG || sig === EOCD_SIG;
}

function findEocd(bytes: Uint8Array, dv: DataView): number {
  const lowest = Math.max(0, bytes.length - 22 - U16_MAX);
  for (let at = bytes.length - 22; at >= lowest; at--) {
    if (dv.getUint32(at, true) !== EOCD_SIG) continue;
    if (at + 22 + dv.getUint16(at + 20, true) <= bytes.length) return at;
  }
  return -1;
}

interface Directory {
  count: number;
  size: number;
  offset: number;
}

function readDirectoryBounds(bytes: Uint8Array, dv: DataView): Directory {
  const eocd = findEocd(bytes, dv);
  if (eocd < 0) {
    if (looksLikeZip(bytes)) throw new ZipError("truncated", "end of central directory not found");
    throw new ZipError("notZip", "no zip signature");
  }
  const dir: Directory = {
    count: dv.getUint16(eocd + 10, true),
    size: dv.getUint32(eocd + 12, true),
    offset: dv.getUint32(eocd + 16, true),
  };
  if (dir.count === U16_MAX || dir.size === U32_MAX || dir.offset === U32_MAX) {
    const locator = eocd - 20;
    if (locator < 0 || dv.getUint32(locator, true) !== ZIP64_LOCATOR_SIG) {
      throw new ZipError("corrupt", "ZIP64 locator missing");
    }
    const record = u64(dv, locator + 8);
    if (record + 56 > locator || dv.getUint32(record, true) !== ZIP64_EOCD_SIG) {
      throw new ZipError("corrupt", "ZIP64 end record missing");
    }
    dir.count = u64(dv, record + 32);
    dir.size = u64(dv, record + 40);
    dir.offset = u64(dv, record + 48);
  }
  if (dir.offset + dir.size > eocd) throw new ZipError("truncated", "central directory outside the file");
  return dir;
}

function applyZip64Extra(dv: DataView, start: number, end: number, entry: ZipEntry): void {
  let at = start;
  while (at + 4 <= end) {
    const id = dv.getUint16(at, true);
    const len = dv.getUint16(at + 2, true);
    let field = at + 4;
    const fieldEnd = field + len;
    if (fieldEnd > end) throw new ZipError("corrupt", "extra field overflows");
    if (id === 0x0001) {
      const next = (): number => {
        if (field + 8 > fieldEnd) throw new ZipError("corrupt", "short ZIP64 extra field");
        const value = u64(dv, field);
        field += 8;
        return value;
      };
      if (entry.uncompressedSize === U32_MAX) entry.uncompressedSize = next();
      if (entry.compressedSize === U32_MAX) entry.compressedSize = next();
      if (entry.localHeaderOffset === U32_MAX) entry.localHeaderOffset = next();
      return;
    }
    at = fieldEnd;
  }
}

/**
 * Reads every central-directory entry without inflating anything.
 * Throws {@link ZipError} for non-zips, truncation, corruption or more than `maxEntries` entries.
 */
export function readCentralDirectory(bytes: Uint8Array, maxEntries: number): ZipEntry[] {
  const dv = view(bytes);
  const dir = readDirectoryBounds(bytes, dv);
  if (dir.count > maxEntries) throw new ZipError("tooManyEntries", `${dir.count} entries`);
  if (dir.count * 46 > dir.size) throw new ZipError("corrupt", "central directory too small");
  const entries: ZipEntry[] = [];
  const end = dir.offset + dir.size;
  let at = dir.offset;
  for (let i = 0; i < dir.count; i++) {
    if (at + 46 > end || dv.getUint32(at, true) !== CENTRAL_SIG) {
      throw new ZipError("corrupt", `bad central directory record ${i}`);
    }
    const nameLength = dv.getUint16(at + 28, true);
    const extraLength = dv.getUint16(at + 30, true);
    const commentLength = dv.getUint16(at + 32, true);
    const nameStart = at + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > end) throw new ZipError("corrupt", `central record ${i} overflows`);
    const name = utf8.decode(bytes.subarray(nameStart, extraStart));
    const entry: ZipEntry = {
      name,
      flags: dv.getUint16(at + 8, true),
      method: dv.getUint16(at + 10, true),
      crc32: dv.getUint32(at + 16, true),
      compressedSize: dv.getUint32(at + 20, true),
      uncompressedSize: dv.getUint32(at + 24, true),
      localHeaderOffset: dv.getUint32(at + 42, true),
      versionMadeBy: dv.getUint16(at + 4, true),
      externalAttributes: dv.getUint32(at + 38, true),
      isDirectory: name.endsWith("/") || name.endsWith("\\"),
    };
    applyZip64Extra(dv, extraStart, extraStart + extraLength, entry);
    entries.push(entry);
    at = next;
  }
  return entries;
}

/** Traditional PKWARE (bit 0) or strong (bit 6) encryption flag set. */
export function hasEncryptionFlag(flags: number): boolean {
  return (flags & 0x0041) !== 0;
}

/** Unix file type S_IFLNK in the high 16 bits of the external attributes. */
export function isSymlink(entry: ZipEntry): boolean {
  return ((entry.externalAttributes >>> 16) & 0o170000) === 0o120000;
}

/** True for names that could escape the extraction folder (`..`, absolute, drive letters, NUL). */
export function isUnsafeEntryName(name: string): boolean {
  const normalized = name.replace(/\\/g, "/");
  if (normalized.includes("\0") || normalized.startsWith("/") || /^[a-zA-Z]:/.test(normalized)) return true;
  return normalized.split("/").some((segment) => segment === "..");
}

/** Validated local header: where the entry's compressed bytes are, and the local flags. */
export interface LocalHeader {
  dataStart: number;
  flags: number;
}

/** Reads the local header of `entry` and checks the data lies inside the archive. */
export function readLocalHeader(bytes: Uint8Array, entry: ZipEntry): LocalHeader {
  const dv = view(bytes);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length) throw new ZipError("truncated", `local header of ${entry.name} missing`);
  if (dv.getUint32(at, true) !== LOCAL_SIG)
    throw new ZipError("corrupt", `bad local header for ${entry.name}`);
  const dataStart = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
  if (dataStart + entry.compressedSize > bytes.length) {
    throw new ZipError("truncated", `data of ${entry.name} runs past the end`);
  }
  return { dataStart, flags: dv.getUint16(at + 6, true) };
}

let crcTable: Uint32Array | undefined;

/** Standard CRC-32 (IEEE 802.3), as stored in zip headers. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

class OutputLimitReached extends Error {}

/**
 * Inflates one entry, never producing more than min(declared size, `maxBytes`) bytes:
 * compressed input is fed in 1 KiB steps and inflation stops as soon as the output
 * exceeds the cap, so a header that understates the size cannot exhaust memory.
 * Throws {@link ZipError} `sizeMismatch` on lying sizes, `corrupt` on bad data or CRC.
 */
export function inflateEntry(bytes: Uint8Array, entry: ZipEntry, maxBytes: number): Uint8Array {
  const { dataStart } = readLocalHeader(bytes, entry);
  const input = bytes.subarray(dataStart, dataStart + entry.compressedSize);
  const cap = Math.min(entry.uncompressedSize, maxBytes);
  let output: Uint8Array;
  if (entry.method === 0) {
    if (input.length !== entry.uncompressedSize) throw new ZipError("sizeMismatch", "stored sizes differ");
    if (input.length > cap) throw new ZipError("sizeMismatch", "entry larger than allowed");
    output = input.slice();
  } else if (entry.method === 8) {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const inflater = new Inflate((chunk) => {
      total += chunk.length;
      if (total > cap) throw new OutputLimitReached();
      chunks.push(chunk);
    });
    try {
      if (input.length === 0) throw new ZipError("corrupt", "empty deflate stream");
      for (let at = 0; at < input.length; at += INFLATE_STEP) {
        const end = Math.min(at + INFLATE_STEP, input.length);
        inflater.push(input.subarray(at, end), end === input.length);
      }
    } catch (error) {
      if (error instanceof OutputLimitReached) throw new ZipError("sizeMismatch", "inflated past the cap");
      if (error instanceof ZipError) throw error;
      throw new ZipError("corrupt", `inflate failed: ${(error as Error).message}`);
    }
    output = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      output.set(chunk, offset);
      offset += chunk.length;
    }
  } else {
    throw new ZipError("corrupt", `unsupported compression method ${entry.method}`);
  }
  if (output.length !== entry.uncompressedSize) throw new ZipError("sizeMismatch", "inflated size differs");
  if (crc32(output) !== entry.crc32) throw new ZipError("corrupt", "CRC mismatch");
  return output;
}
