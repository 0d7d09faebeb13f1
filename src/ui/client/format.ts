/** How numbers and times read on the page: the viewer's own locale and time zone. */

export const num = new Intl.NumberFormat();
const timeFmt = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
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

/** "Today, 14:05", "Tomorrow, 09:00", "Mar 3, 14:05", with the year when it is not this one. */
export function when(iso: string, lower = false): string {
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
  return `${day}, ${timeFmt.format(date)}`;
}
