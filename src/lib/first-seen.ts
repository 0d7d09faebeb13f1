/**
 * An exact index from a string key to the first row number it was seen at, for spotting duplicates in
 * uploads of a million rows. A `Map<string, number>` keeps a heap string and a map entry per key (well
 * over 100 bytes each); this keeps the keys' bytes in an arena and the bookkeeping in typed arrays (about
 * 40 bytes a key for short emails), outside the JS heap, so the collector never walks them.
 *
 * Exact: a probe that matches the stored 32-bit hash still compares the key byte for byte, so a hash
 * collision costs a comparison, never a wrong answer.
 *
 * Storage grows in chunks that are never copied (only the slot table is rebuilt when it doubles): copying
 * growable arrays cost more per key than the rest of an insert put together.
 */

/** A 32-bit hash of a key; the index only needs it to be deterministic. Tests inject weak ones. */
export type KeyHash = (key: string) => number;

/** FNV-1a over the UTF-16 code units, then murmur3's finalizer: FNV's low bits (which pick the slot) are weak alone. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Linear probing stays short below half full; a slot is 4 bytes, so this costs ~8 bytes a key. */
const MAX_LOAD = 0.5;
/** Per entry: [hash, position of its bytes, row]. */
const STRIDE = 3;
const ENTRY_BITS = 13;
const ENTRY_MASK = (1 << ENTRY_BITS) - 1;
/** A byte position is chunk index << BYTE_BITS | offset, kept below 2^31 so it stays an int32. */
const BYTE_BITS = 20;
const BYTE_MASK = (1 << BYTE_BITS) - 1;
const MAX_BYTE_CHUNKS = 1 << (31 - BYTE_BITS);
const FIRST_BYTE_CHUNK = 1 << 14;

export class FirstSeen {
  private readonly hash: KeyHash;
  /**
   * Keys' bytes: each a varint byte length, then each UTF-16 code unit as 1–3 UTF-8-style bytes on its
   * own (surrogates included). That encoding is one-to-one even for lone surrogates, which TextEncoder
   * would all turn into U+FFFD and so make distinct keys look equal. Chunks double from 16 KiB to 1 MiB;
   * a key too big for one gets a chunk of its own.
   */
  private readonly byteChunks: Uint8Array[] = [];
  private bytes: Uint8Array = new Uint8Array(0);
  private used = 0;
  /** Fixed-size chunks of entries; entry `e` is in chunk `e >>> ENTRY_BITS`. */
  private readonly entryChunks: Int32Array[] = [];
  private count = 0;
  /** Open addressing: entry index + 1 per slot, 0 for empty (a fresh Int32Array is all empty). */
  private slots = new Int32Array(64);
  private mask = 63;
  private limit = 64 * MAX_LOAD;

  constructor(options: { hash?: KeyHash } = {}) {
    this.hash = options.hash ?? hashKey;
  }

  /** Distinct keys recorded. */
  get size(): number {
    return this.count;
  }

  /** Bytes held by the index's arrays (capacity, not just what is used). */
  get byteLength(): number {
    let total = this.slots.byteLength;
    for (const c of this.byteChunks) total += c.byteLength;
    for (const c of this.entryChunks) total += c.byteLength;
    return total;
  }

  /**
   * Returns the row `key` was first seen at, or 0 if it is new, in which case `row` is recorded for it.
   * `row` must be a positive int32, since 0 means "new".
   */
  firstSeen(key: string, row: number): number {
    if (!(row > 0 && row === (row | 0))) throw new RangeError(`FirstSeen: bad row number ${row}`);
    const h = this.hash(key) | 0;
    const slots = this.slots;
    const mask = this.mask;
    let i = h & mask;
    for (let s = slots[i]!; s !== 0; s = slots[i]!) {
      const chunk = this.entryChunks[(s - 1) >>> ENTRY_BITS]!;
      const o = ((s - 1) & ENTRY_MASK) * STRIDE;
      if (chunk[o] === h && this.matches(key, chunk[o + 1]!)) return chunk[o + 2]!;
      i = (i + 1) & mask;
    }
    this.append(key, h, row);
    slots[i] = this.count;
    if (this.count > this.limit) this.growSlots();
    return 0;
  }

  /** Whether the bytes stored at `position` are exactly `key`'s encoding. */
  private matches(key: string, position: number): boolean {
    const bytes = this.byteChunks[position >>> BYTE_BITS]!;
    let p = position & BYTE_MASK;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++]!;
      length |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    const n = key.length;
    if (length === n) {
      // As many bytes as code units: a match must be all ASCII, byte for code unit.
      let all = 0;
      for (let k = 0; k < n; k++) {
        const c = key.charCodeAt(k);
        if (bytes[p + k] !== c) return false;
        all |= c;
      }
      return all < 0x80;
    }
    // Every code unit takes 1 to 3 bytes.
    if (length < n || length > n * 3) return false;
    const end = p + length;
    for (let k = 0; k < n; k++) {
      const c = key.charCodeAt(k);
      if (c < 0x80) {
        if (bytes[p++] !== c) return false;
      } else if (c < 0x800) {
        if (bytes[p] !== (0xc0 | (c >> 6)) || bytes[p + 1] !== (0x80 | (c & 0x3f))) return false;
        p += 2;
      } else {
        if (
          bytes[p] !== (0xe0 | (c >> 12)) ||
          bytes[p + 1] !== (0x80 | ((c >> 6) & 0x3f)) ||
          bytes[p + 2] !== (0x80 | (c & 0x3f))
        ) {
          return false;
        }
        p += 3;
      }
      // Past `end` would be the next key's bytes: the stored key is shorter.
      if (p > end) return false;
    }
    return p === end;
  }

  private append(key: string, h: number, row: number): void {
    const n = key.length;
    // At most 3 bytes a code unit, plus a varint length of up to 5 bytes. A key's offset must fit in
    // BYTE_BITS, which only a chunk made for one big key could exceed.
    if (this.used + n * 3 + 5 > this.bytes.length || this.used > BYTE_MASK) this.newByteChunk(n * 3 + 5);
    const bytes = this.bytes;
    const start = this.used;
    // One byte is reserved for the length, which is all emails need; longer keys are shifted after.
    let p = start + 1;
    let k = 0;
    for (; k < n; k++) {
      const c = key.charCodeAt(k);
      if (c >= 0x80) break;
      bytes[p++] = c;
    }
    for (; k < n; k++) {
      const c = key.charCodeAt(k);
      if (c < 0x80) {
        bytes[p++] = c;
      } else if (c < 0x800) {
        bytes[p++] = 0xc0 | (c >> 6);
        bytes[p++] = 0x80 | (c & 0x3f);
      } else {
        bytes[p++] = 0xe0 | (c >> 12);
        bytes[p++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[p++] = 0x80 | (c & 0x3f);
      }
    }
    let length = p - start - 1;
    if (length < 0x80) {
      bytes[start] = length;
    } else {
      let width = 1;
      while (width < 5 && length >>> (7 * width) !== 0) width++;
      bytes.copyWithin(start + width, start + 1, p);
      p += width - 1;
      for (let q = start; length >= 0x80; length >>>= 7) bytes[q++] = (length & 0x7f) | 0x80;
      bytes[start + width - 1] = length;
    }
    this.used = p;

    const e = this.count;
    if ((e & ENTRY_MASK) === 0) this.entryChunks.push(new Int32Array((ENTRY_MASK + 1) * STRIDE));
    const chunk = this.entryChunks[e >>> ENTRY_BITS]!;
    const o = (e & ENTRY_MASK) * STRIDE;
    chunk[o] = h;
    chunk[o + 1] = ((this.byteChunks.length - 1) << BYTE_BITS) | start;
    chunk[o + 2] = row;
    this.count = e + 1;
  }

  private newByteChunk(needed: number): void {
    const index = this.byteChunks.length;
    if (index >= MAX_BYTE_CHUNKS) throw new RangeError("FirstSeen: keys exceed 2 GiB");
    const size = Math.max(
      needed,
      Math.min(1 << BYTE_BITS, Math.max(FIRST_BYTE_CHUNK, this.bytes.length * 2)),
    );
    this.bytes = new Uint8Array(size);
    this.byteChunks.push(this.bytes);
    this.used = 0;
  }

  /** Doubles the table and reinserts from the stored hashes (no key is rehashed or compared). */
  private growSlots(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let e = 0; e < this.count; e++) {
      let i = this.entryChunks[e >>> ENTRY_BITS]![(e & ENTRY_MASK) * STRIDE]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e + 1;
    }
    this.slots = slots;
    this.mask = mask;
    this.limit = size * MAX_LOAD;
  }
}
