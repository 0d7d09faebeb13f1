/** Time as the code sees it: real in production, controlled in tests (no sleeping). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private time = Date.parse("2026-01-05T09:00:00Z")) {}
  now(): number {
    return this.time;
  }
  set(time: number | string): void {
    this.time = typeof time === "string" ? Date.parse(time) : time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}
