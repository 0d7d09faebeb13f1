/** Cron patterns as croner reads them (5 fields, or 6 with seconds). */
import { Cron } from "croner";

export function isCronPattern(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}
