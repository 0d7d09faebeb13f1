/**
 * A path on this origin ("/…", but not "//host" or "/\host", which browsers read as another origin): one
 * check for the page's links (client/) and the sign-in's return address (routes.ts), so they cannot drift.
 */
export const safePath = (url: unknown): string | null =>
  typeof url === "string" && /^\/(?![/\\])/.test(url) ? url : null;
