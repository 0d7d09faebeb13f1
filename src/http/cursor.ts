/**
 * Page cursors: an opaque base64url text that holds one position (an action id, a report row). Opaque so
 * that clients pass back what they were given; checked on the way in, so a made-up cursor is a 400.
 */
import { invalid } from "./problem";

export const encodeCursor = (position: number) => Buffer.from(String(position)).toString("base64url");

/** The position in a cursor from this API; a 400 naming `cursor` for anything else. */
export function decodeCursor(cursor: string): number {
  const position = Number(Buffer.from(cursor, "base64url").toString());
  if (!Number.isSafeInteger(position) || position < 1)
    throw invalid([{ path: "cursor", message: "cursor is not a cursor from this API" }], 400);
  return position;
}
