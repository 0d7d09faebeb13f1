/**
 * The Durable Object that fans out one portal's live streams (class `PortalStreams`, binding `STREAMS`,
 * one object per portal: `idFromName(portal)`), and the two calls the Worker makes to it:
 * - `connectStream`: a `/v1/events` request, already authenticated by the Worker, becomes a stream held
 *   by the object (the Worker passes its response through);
 * - `StreamNotifier.poke`: the code that committed a change tells the object to read the portal's new
 *   events; pokes to a portal are coalesced (one in flight, at most one more after it).
 *
 * One object per portal rather than per person: a change belongs to one person, but the person's
 * streams, the per-person limit and isolation are all kept by the hub inside the object (streams are
 * grouped by person exactly as in the Bun process), while the cost of the objects scales with portals:
 * an object holding streams is billed for its wall time, and its catch-up read is one per portal, not
 * one per person watching. A portal's streams are few enough for one object (one thread, 128 MB: about
 * 4 KB per stream).
 */
import { type Config, parseConfig } from "../config";
import type { Db } from "../db/client";
import type { StreamRequest } from "../http/env";
import { openEdgeDatabase } from "./database";
import { currentInvocation } from "./invocation";
import { PortalFeed } from "./portal-feed";
import { edgeSettings, textBindings } from "./settings";
import type { DurableObjectNamespace, DurableObjectState, EdgeEnv } from "./types";

/** The object's address; never reachable from outside: only the Worker's binding calls it. */
const ORIGIN = "https://portal-streams";

const stubOf = (namespace: DurableObjectNamespace, portal: string) =>
  namespace.get(namespace.idFromName(portal));

/** Opens a stream through the portal's object (the Worker has authenticated `owner`). */
export async function connectStream(namespace: DurableObjectNamespace, request: StreamRequest) {
  const url = new URL(`${ORIGIN}/connect`);
  url.searchParams.set("portal", request.owner.portal);
  url.searchParams.set("sub", request.owner.sub);
  if (request.lastEventId !== null) url.searchParams.set("last", String(request.lastEventId));
  const answer = await stubOf(namespace, request.owner.portal).fetch(url.toString());
  // A copy with mutable headers: the app's middleware adds its own (request id).
  return new Response(answer.body, answer);
}

/** A poke in flight longer than this is taken for lost (its invocation cut short): the next one goes anyway. */
const POKE_STALE_MS = 5_000;

/** Tells portals' stream objects that something was committed; the invocation waits for the pokes. */
export class StreamNotifier {
  private readonly inFlight = new Map<string, { again: boolean; since: number }>();

  constructor(
    private readonly namespace: DurableObjectNamespace | undefined,
    private readonly log: (line: Record<string, unknown>) => void,
  ) {}

  poke(portal: string): void {
    if (!this.namespace) return;
    const current = this.inFlight.get(portal);
    if (current && Date.now() - current.since < POKE_STALE_MS) {
      current.again = true;
      return;
    }
    const state = { again: false, since: Date.now() };
    this.inFlight.set(portal, state);
    const send = async () => {
      try {
        do {
          state.again = false;
          state.since = Date.now();
          const answer = await stubOf(this.namespace!, portal).fetch(
            `${ORIGIN}/notify?portal=${encodeURIComponent(portal)}`,
            { method: "POST" },
          );
          await answer.body?.cancel();
        } while (state.again);
      } catch (error) {
        // The object's catch-up read brings the events a little later.
        this.log({ level: "warn", msg: "stream notification failed", portal, error: String(error) });
      } finally {
        if (this.inFlight.get(portal) === state) this.inFlight.delete(portal);
      }
    };
    const sending = send();
    currentInvocation()?.ctx.waitUntil(sending);
  }
}

/** The Durable Object class (exported by src/worker.ts under the name wrangler.toml gives it). */
export class PortalStreams {
  private feed: PortalFeed | null = null;
  private readonly config: Config;
  private readonly db: Db;

  constructor(
    private readonly state: DurableObjectState,
    private readonly env: EdgeEnv,
  ) {
    this.config = parseConfig(textBindings(env));
    this.db = openEdgeDatabase(env).db;
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const feed = this.feedOf(url.searchParams.get("portal") ?? "");
    if (!feed) return new Response("wrong portal for this object", { status: 400 });
    if (url.pathname === "/connect" && request.method === "GET") {
      const sub = url.searchParams.get("sub") ?? "";
      const last = url.searchParams.get("last");
      return feed.connect({ portal: feed.portal, sub }, last === null ? null : Number(last));
    }
    if (url.pathname === "/notify" && request.method === "POST") {
      this.state.waitUntil(feed.notify().catch((error) => this.warn("notify read failed", error)));
      return new Response(null, { status: 204 });
    }
    return new Response("not found", { status: 404 });
  }

  async alarm(): Promise<void> {
    // A restarted object has no streams (their clients reconnect to it): nothing to catch up.
    await this.feed?.catchUp().catch((error) => this.warn("catch-up read failed", error));
  }

  /** The object serves one portal, named by its first request; any other is refused. */
  private feedOf(portal: string): PortalFeed | null {
    if (!portal) return null;
    if (this.feed) return this.feed.portal === portal ? this.feed : null;
    const settings = edgeSettings(this.env);
    const storage = this.state.storage;
    this.feed = new PortalFeed({
      db: this.db,
      portal,
      maxStreamsPerPerson: this.config.maxStreamsPerPerson,
      maxDurationMs: settings.streamMaxDurationMs,
      catchUpMs: settings.streamCatchUpMs,
      scheduleCatchUp: (at) => {
        const change = at === null ? storage.deleteAlarm() : storage.setAlarm(at);
        this.state.waitUntil(change.catch((error) => this.warn("alarm not set", error)));
      },
    });
    return this.feed;
  }

  private warn(msg: string, error: unknown): void {
    console.log(JSON.stringify({ level: "warn", msg, portal: this.feed?.portal, error: String(error) }));
  }
}
