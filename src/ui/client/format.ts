/** How numbers and times read on the page: the viewer's own locale and time zone. */

export const num = new Intl.NumberFormat();
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const secondsFmt = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const yearFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
const relDay = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** The viewer's time zone, as a person reads it ("America/New York"). */
export const timeZoneName = Intl.DateTimeFormat().resolvedOptions().timeZone.replace(/_/g, " ");

const cap = (s: string) => s.charAt(0).toLocaleUpperCase() + s.slice(1);

/** "3 errors", "1 warning". */
export const plural = (n: number, word: string) => `${num.format(n)} ${word}${n === 1 ? "" : "s"}`;

/** The full date and time, for a tooltip. */
export const fullTime = (iso: string) => fullFmt.format(new Date(iso));

/**
 * "Today, 14:05", "Tomorrow, 09:00", "Mar 3, 14:05", with the year when it is not this one; with the
 * seconds ("Today, 14:05:32") where steps seconds apart must read apart (a timeline).
 */
export function when(iso: string, lower = false, seconds = false): string {
  const date = new Date(iso);
  const startOf = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOf(date) - startOf(new Date())) / 86_400_000);
  const rel = relDay.format(days, "day");
  const day =
    Math.abs(days) <= 1
      ? lower
        ? rel
        : cap(rel)
      : date.getFullYear() === new Date().getFullYear()
        ? dayFmt.format(date)
        : yearFmt.format(date);
  return `${day}, ${(seconds ? secondsFmt : timeFmt).format(date)}`;
}

const roughFmt = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 });

/** "8,420 rows a second": three significant digits, enough to see it move, not enough to flicker. */
export const perSecond = (rate: number, unit: string) =>
  `${roughFmt.format(rate < 10 ? Math.round(rate * 10) / 10 : rate)} ${unit}/s`;

/** A length of time as a person says it: "under a second", "45 s", "3 min 20 s", "1 h 5 min". */
export function span(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 1) return "under a second";
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return m < 10 && s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
}

/** Time left, rounded the way an estimate should be: "about 40 s", "about 3 min", "a few seconds". */
export function timeLeft(seconds: number): string {
  if (seconds < 5) return "a few seconds";
  if (seconds < 60) return `about ${Math.ceil(seconds / 5) * 5} s`;
  if (seconds < 600) return `about ${span(Math.ceil(seconds / 10) * 10)}`;
  return `about ${span(Math.ceil(seconds / 60) * 60)}`;
}

/** "on 3 Mar, 14:05", or "yesterday, 20:43" where the day is said relatively (after "Expired"). */
export function onDay(iso: string): string {
  const said = when(iso, true);
  return said.charAt(0) === said.charAt(0).toLocaleLowerCase() && !/^\d/.test(said) ? said : `on ${said}`;
}
