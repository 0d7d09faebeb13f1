/**
 * How fast a running action goes and when it should end, from the progress frames the stream already
 * delivers (about one a second): no extra request, no timer. Each frame is a sample (arrival time,
 * rows processed). Until the samples span MIN_SPAN_MS the answer is "not yet" (the page says
 * "calculating…"); then the rate starts as the average over that span and follows an exponential moving
 * average with a time constant of SMOOTHING_MS, so one slow slice does not make the estimate jump.
 */

/** Samples must span this long before a rate is given (about two frames). */
export const MIN_SPAN_MS = 1_500;
/** Time constant of the moving average: older rates weigh less with every second. */
export const SMOOTHING_MS = 5_000;

export interface Estimate {
  /** Rows a second, smoothed; null while there is not enough to say. */
  rate: number | null;
  /** Seconds until the last row at that rate; null with no rate (or no total). */
  secondsLeft: number | null;
}

/** The samples of one running action. */
export class RateMeter {
  private first: { at: number; done: number } | null = null;
  private last: { at: number; done: number } | null = null;
  private smoothed: number | null = null;

  /** One frame: `done` rows processed, seen at `at` (milliseconds, any monotonic clock). */
  add(at: number, done: number): void {
    const last = this.last;
    if (!this.first || !last || done < last.done) {
      // The first frame, or a count that went back (a restart from a checkpoint): start afresh.
      this.first = this.last = { at, done };
      this.smoothed = null;
      return;
    }
    if (done === last.done || at <= last.at) return;
    this.last = { at, done };
    if (this.smoothed === null) {
      const span = at - this.first.at;
      if (span >= MIN_SPAN_MS) this.smoothed = ((done - this.first.done) / span) * 1000;
      return;
    }
    const dt = at - last.at;
    const instant = ((done - last.done) / dt) * 1000;
    const weight = 1 - Math.exp(-dt / SMOOTHING_MS);
    this.smoothed += weight * (instant - this.smoothed);
  }

  estimate(total: number): Estimate {
    const rate = this.smoothed;
    if (rate === null || rate <= 0 || !this.last) return { rate: null, secondsLeft: null };
    const left = Math.max(0, total - this.last.done);
    return { rate, secondsLeft: total > 0 ? left / rate : null };
  }
}

/** One meter per running action, fed by every frame of changes; a meter is dropped once its action stops. */
export class RateBook {
  private readonly meters = new Map<string, RateMeter>();

  observe(ref: string, running: boolean, processed: number, at: number): void {
    if (!running) {
      this.meters.delete(ref);
      return;
    }
    let meter = this.meters.get(ref);
    if (!meter) {
      meter = new RateMeter();
      this.meters.set(ref, meter);
    }
    meter.add(at, processed);
  }

  estimate(ref: string, total: number): Estimate {
    return this.meters.get(ref)?.estimate(total) ?? { rate: null, secondsLeft: null };
  }
}
