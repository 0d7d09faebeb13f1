/** FirstSeen must answer exactly as a Map would: never a false duplicate, never a missed one. */
import { expect, test } from "bun:test";
import { FirstSeen, hashKey, type KeyHash } from "../src/lib/first-seen";

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Code units from every encoding width, including lone surrogates (which TextEncoder would conflate). */
const ALPHABET = [
  "a",
  "b",
  "Z",
  "0",
  ".",
  "@",
  "é",
  "Ã",
  "©",
  "ß",
  "ж",
  "€",
  "中",
  "\uffff",
  "😀",
  "\ud800",
  "\udc00",
];

function randomKey(next: () => number): string {
  if (next() < 0.6) return `u${Math.floor(next() * 200_000)}@example.com`;
  let key = "";
  const length = Math.floor(next() * 12);
  for (let i = 0; i < length; i++) key += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return key;
}

/** Feeds keys to both a FirstSeen and a Map and checks every answer. */
function checkAgainstMap(keys: Iterable<string>, hash?: KeyHash): FirstSeen {
  const index = new FirstSeen(hash ? { hash } : {});
  const map = new Map<string, number>();
  let row = 1;
  for (const key of keys) {
    row++;
    const expected = map.get(key) ?? 0;
    if (!expected) map.set(key, row);
    const got = index.firstSeen(key, row);
    if (got !== expected)
      throw new Error(`row ${row}, key ${JSON.stringify(key)}: got ${got}, expected ${expected}`);
  }
  expect(index.size).toBe(map.size);
  return index;
}

function* randomKeys(count: number, seed: number): Generator<string> {
  const next = random(seed);
  for (let i = 0; i < count; i++) yield randomKey(next);
}

test("matches a Map on 400,000 random keys, through many resizes", () => {
  const index = checkAgainstMap(randomKeys(400_000, 1));
  expect(index.size).toBeGreaterThan(150_000);
});

test("reports the first row, not the latest, and 0 for new keys", () => {
  const index = new FirstSeen();
  expect(index.firstSeen("a@x.io", 2)).toBe(0);
  expect(index.firstSeen("b@x.io", 3)).toBe(0);
  expect(index.firstSeen("a@x.io", 4)).toBe(2);
  expect(index.firstSeen("a@x.io", 5)).toBe(2);
  expect(index.firstSeen("b@x.io", 6)).toBe(3);
  expect(index.size).toBe(2);
});

/** Keys that are easy to confuse: prefixes, and different strings whose bytes or lengths line up. */
const TRICKY = [
  "",
  "a",
  "ab",
  "abc",
  "é", // stored as C3 A9 ...
  "Ã©", // ... which are these two code units
  "\u00e9",
  "e\u0301", // not normalised: a different key
  "\ud800",
  "\ud801",
  "\udc00",
  "\ud800\udc00",
  "𐀀", // the same string as the line above
  "\ud83d",
  "😀",
  "\ud83d\ude00x",
  "\u0000",
  "\u0000\u0000",
  "\u007f",
  "\u0080",
  "\u07ff",
  "\u0800",
  "\uffff",
  "€",
  "â‚¬",
  "a".repeat(127),
  "a".repeat(128),
  "a".repeat(129),
  `${"a".repeat(127)}é`,
];

test("every key colliding on one hash still gets exact answers", () => {
  const next = random(2);
  const keys = [...TRICKY, ...TRICKY];
  for (let i = 0; i < 3_000; i++) keys.push(randomKey(next));
  for (const k of [...keys]) keys.push(k);
  checkAgainstMap(keys, () => 0);
});

test("a weak hash with only 4,096 values (so each is shared by many keys) still gets exact answers", () => {
  // Truncated, then re-mixed so that equal hashes are spread over the table rather than one probe run.
  const weak: KeyHash = (k) => Math.imul(hashKey(k) & 0xfff, 0x9e3779b1);
  checkAgainstMap(randomKeys(100_000, 3), weak);
});

test("a hash that is just the length: long probe runs of equal hashes", () => {
  checkAgainstMap([...randomKeys(1_500, 5), ...TRICKY, ...randomKeys(1_500, 5)], (k) => k.length);
});

test("random keys built to collide on the real hash", () => {
  // Keys whose real hashes share their low 10 bits all start in the same part of the table.
  const byBucket = new Map<number, string[]>();
  for (const key of randomKeys(200_000, 4)) {
    const bucket = hashKey(key) & 0x3ff;
    const list = byBucket.get(bucket) ?? [];
    list.push(key);
    byBucket.set(bucket, list);
  }
  const keys = byBucket.get(7)!;
  expect(keys.length).toBeGreaterThan(50);
  checkAgainstMap([...keys, ...keys.reverse(), ...TRICKY]);
});

test("tricky keys with the real hash", () => {
  checkAgainstMap([...TRICKY, ...TRICKY.slice().reverse()]);
});

test("long keys, including ones bigger than a storage chunk, then short keys after them", () => {
  const keys: string[] = [];
  for (const n of [1 << 7, 1 << 14, 1 << 16, (1 << 20) - 6, 1 << 20, (1 << 20) + 1, 3 << 20]) {
    const base = "x".repeat(n);
    keys.push(base, `${base.slice(1)}y`, `${base}é`, `é${base.slice(1)}`, `${"中".repeat(n >> 1)}`);
  }
  for (let i = 0; i < 2_000; i++) keys.push(`after${i}@example.com`);
  checkAgainstMap([...keys, ...keys.slice().reverse()]);
});

test("stays compact: 200,000 emails take under 50 bytes each", () => {
  const index = new FirstSeen();
  for (let i = 0; i < 200_000; i++) index.firstSeen(`user${100_000 + i}@example.com`, i + 2);
  expect(index.byteLength / 200_000).toBeLessThan(50);
});

test("rejects row numbers that could be confused with 'new'", () => {
  const index = new FirstSeen();
  for (const row of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
    expect(() => index.firstSeen("a@b.co", row)).toThrow(RangeError);
  }
  expect(index.size).toBe(0);
});
