/** Parses durations such as `90s`, `2h`, `7d`, `500ms` into milliseconds; null when malformed. */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(text);
  if (!match) return null;
  const ms = Number(match[1]) * (UNIT_MS[match[2]!.toLowerCase()] ?? Number.NaN);
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : null;
}
