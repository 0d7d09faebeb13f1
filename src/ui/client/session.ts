/**
 * Who is signed in. The page never holds a token: the HttpOnly session cookie goes with every same-origin
 * request, `GET /v1/session` says whose it is, and a 401 from any call means the session is over.
 */
import { h } from "./dom";
import { isDev, setLive, ui } from "./shell";

/** What `GET /v1/session` tells the page (src/http/routes/session.ts; the page shows name and email). */
export interface SessionPerson {
  name: string;
  email: string;
}

const ENDED = "Your session has ended. Sign in again from your learning portal.";

let signedIn = false;
const signOutListeners: (() => void)[] = [];

export const isSignedIn = () => signedIn;

/** Called when the session ends, whatever ended it (the live stream closes itself this way). */
export function onSignedOut(listener: () => void): void {
  signOutListeners.push(listener);
}

/** Shows the signed-out card, with the reason when there is one (and the demo sign-in in development). */
export function signedOut(reason: string | null): void {
  signedIn = false;
  for (const listener of signOutListeners) listener();
  ui.tracker.hidden = true;
  ui.who.hidden = ui.signOut.hidden = true;
  setLive("offline", "Signed out");
  if (reason) ui.signedOutText.textContent = reason;
  ui.devSignIn.hidden = !isDev;
  ui.devSignIn.href = `/dev/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`;
  ui.signedOut.hidden = false;
}

/** Fetches from the API with the session cookie; a 401 anywhere signs the page out (and throws). */
export async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, {
    credentials: "same-origin",
    headers: { accept: "application/json" },
    ...init,
  });
  if (res.status === 401) {
    signedOut(ENDED);
    throw new Error("signed out");
  }
  return res;
}

/** Who is signed in (`GET /v1/session`), or null after showing the signed-out card. */
export async function checkSession(): Promise<SessionPerson | null> {
  const res = await fetch("/v1/session", { credentials: "same-origin" });
  if (res.status === 401) {
    signedOut(signedIn ? ENDED : null);
    return null;
  }
  if (res.status === 403) {
    signedOut("Bulk actions are for admins, managers and instructors.");
    return null;
  }
  if (!res.ok) throw new Error(`session check failed: ${res.status}`);
  const { principal } = (await res.json()) as { principal: SessionPerson };
  ui.who.replaceChildren(h("b", null, principal.name), principal.email);
  ui.who.hidden = ui.signOut.hidden = false;
  ui.signedOut.hidden = true;
  ui.tracker.hidden = false;
  signedIn = true;
  return principal;
}

export async function signOut(): Promise<void> {
  await fetch("/v1/session", { method: "DELETE", credentials: "same-origin" }).catch(() => {});
  signedOut("You signed out. Open the tracker from your learning portal to sign in again.");
}
