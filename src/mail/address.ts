/**
 * Is this one email address? Addresses come from tokens (the requester's `email` claim) and from the
 * portal's users; whatever they hold is checked here, where an email is written to the outbox, so a
 * claim such as "a@x.com\r\nBcc: everyone@y.com" never reaches the mail provider.
 */
import * as v from "valibot";

/** The same rule as the user upload's email column (valibot's `email`), and RFC 5321's length limit. */
const OneAddress = v.pipe(v.string(), v.maxLength(254), v.email());

/** Null when `value` is exactly one address; otherwise why not, in a sentence that quotes it safely. */
export function addressProblem(value: string): string | null {
  if (v.is(OneAddress, value)) return null;
  return `${quoted(value)} is not one valid email address`;
}

/** The value as a JSON string (control characters such as CR/LF escaped), cut to 120 characters. */
export function quoted(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

/** `quoted` without its quotes: one printable line, for a report's Identifier. */
export function printable(value: string): string {
  return quoted(value).slice(1, -1);
}
