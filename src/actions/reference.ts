/**
 * Reference IDs such as `BA-7K3Q9X2M`: 8 random Crockford base-32 characters (40 bits).
 * No I, L, O or U, so they read out clearly on the phone; random, so not guessable in sequence.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function randomCode(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return out;
}

export function newReferenceId(): string {
  return `BA-${randomCode(8)}`;
}

export function newTaskId(): string {
  return `T-${randomCode(10)}`;
}

/** Accepts what a person might type: any case, and the easily confused letters O, I, L. */
export function normalizeReferenceId(input: string): string | null {
  if (CANONICAL.test(input)) return input;
  const upper = input.trim().toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
  return CANONICAL.test(upper) ? upper : null;
}

const CANONICAL = /^BA-[0-9A-HJKMNP-TV-Z]{8}$/;
