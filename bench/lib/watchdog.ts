/**
 * For the bench's helper processes: exit when the orchestrator is gone (re-parented) or after
 * `maxMs`, so that nothing outlives a benchmark run that was killed outright.
 */
export function exitWithParent(maxMs = 10 * 60_000): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(3);
  }, 1_000).unref();
  setTimeout(() => process.exit(4), maxMs).unref();
}
