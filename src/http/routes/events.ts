/** `GET /v1/events`: the caller's own action events as Server-Sent Events, resumable with Last-Event-ID. */
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { eventStreamResponse } from "../../events/stream";
import type { AppEnv } from "../env";
import { HttpProblem, invalid } from "../problem";

function lastEventIdOf(header: string | undefined, query: string | undefined): number | null {
  const raw = header ?? query;
  if (raw === undefined || raw === "") return null;
  if (!/^\d{1,15}$/.test(raw.trim())) {
    throw invalid(
      [{ path: "Last-Event-ID", message: "Last-Event-ID must be an event id from this stream" }],
      400,
    );
  }
  return Number(raw.trim());
}

/** Over MAX_STREAMS_PER_PERSON (here, and in a portal's stream object at the edge). */
export const tooManyStreams = (max: number) =>
  new HttpProblem(429, `You already have ${max} open streams; close one (another tab) first.`, {
    type: "/problems/too-many-streams",
    headers: { "retry-after": "10" },
  });

export const eventRoutes = new Hono<AppEnv>().get(
  "/",
  describeRoute({
    summary: "Live stream of one's own action events (text/event-stream)",
    description:
      "Events `action.status` and `action.progress`, each with an `id:` that only grows and the action as `data:`. Send `Last-Event-ID` (or `?lastEventId=`) to replay what was missed.",
  }),
  (c) => {
    const { db, hub, openStream } = c.get("services");
    const principal = c.get("principal");
    const request = {
      owner: { portal: principal.portal, sub: principal.sub },
      lastEventId: lastEventIdOf(c.req.header("last-event-id"), c.req.query("lastEventId")),
      signal: c.req.raw.signal,
    };
    if (openStream) return openStream(request);
    const { maxStreamsPerPerson } = c.get("services").config;
    if (hub.countOf(request.owner) >= maxStreamsPerPerson) throw tooManyStreams(maxStreamsPerPerson);
    // The signal is for the edge's polling stream; here Bun cancels the stream itself when the client goes.
    return eventStreamResponse({ db, hub, owner: request.owner, lastEventId: request.lastEventId });
  },
);
