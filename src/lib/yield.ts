/**
 * Lets timers and I/O run. The embedded libSQL driver answers synchronously, so a loop of slices would
 * otherwise hold the event loop for a whole upload: polls would wait, progress events would bunch up, and
 * garbage collection would fall behind.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) =>
    typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0),
  );
}
