/** `GET /v1/events`: the caller's own action events as Server-Sent Events, resumable with Last-Event-ID. */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import * as v from "valibot";
import { eventStreamResponse } from "../../events/stream";
import { AUTH_PROBLEMS, problem, problems } from "../answers";
import type { AppEnv } from "../env";
import { SESSION_COOKIE } from "../middleware";
import { HttpProblem } from "../problem";
import { defineRoute, type Route } from "../route";

const eventId = (where: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{0,15}$/, `${where} must be an event id from this stream`),
      v.description(
        "The `id:` of the last event received: every later event is replayed, in order, none twice.",
      ),
      v.metadata({ examples: ["1042"] }),
    ),
  );

const EXAMPLE_STREAM =
  "retry: 2000\nid: 1041\n: connected\n\n" +
  'id: 1042\nevent: action.progress\ndata: {"referenceId":"BA-7K3Q9X2M","status":"in_progress",…}\n\n' +
  ": keep-alive\n\n";

/** A stream opened with the session cookie ends once its session does (checked at each heartbeat). */
function sessionCheck(c: Context<AppEnv>): { stillSignedIn?: () => unknown } {
  const { sessions, clock } = c.get("services");
  const id = c.req.header("authorization") === undefined ? getCookie(c, SESSION_COOKIE) : undefined;
  return id ? { stillSignedIn: () => sessions.find(id, clock.now()) } : {};
}

/** Over MAX_STREAMS_PER_PERSON (here, and in a portal's stream object at the edge). */
export const tooManyStreams = (max: number) =>
  new HttpProblem(429, `You already have ${max} open streams; close one (another tab) first.`, {
    type: "/problems/too-many-streams",
    headers: { "retry-after": "10" },
  });

/**
 * At the edge the portal's stream object keeps the count and answers 429 itself: told again here, the
 * refusal leaves as every problem does (with this request's id).
 */
const overLimit = (max: number) => async (res: Response) => {
  if (res.status !== 429) return res;
  await res.body?.cancel();
  throw tooManyStreams(max);
};

export const streamEvents = defineRoute({
  operationId: "streamEvents",
  method: "GET",
  path: "/v1/events",
  tag: "events",
  summary: "Live stream of one's own action events",
  description:
    "Events `action.status` and `action.progress`, each with an `id:` that only grows and the action " +
    "(`#/components/schemas/Action`) as `data:`. A comment line at least every 15 s keeps the stream alive. " +
    "Resume with `Last-Event-ID` (or `?lastEventId=`, for clients that cannot set headers).",
  auth: ["bearer", "cookie"],
  cache: "no-cache, no-transform",
  input: {
    query: v.object({ lastEventId: eventId("lastEventId") }),
    headers: v.object({ "Last-Event-ID": eventId("Last-Event-ID") }),
  },
  answers: {
    200: {
      description:
        "The stream (`Cache-Control: no-cache, no-transform`, `X-Accel-Buffering: no`; never compressed).",
      content: {
        "text/event-stream": {
          schema: { type: "string", description: "SSE frames; each event's `data:` is an Action as JSON." },
          examples: { stream: { summary: "A resumed stream", value: EXAMPLE_STREAM } },
        },
      },
      headers: {
        "X-Accel-Buffering": {
          description: "Tells proxies not to buffer.",
          schema: v.literal("no"),
          required: true,
        },
      },
    },
    ...problems(400, ...AUTH_PROBLEMS),
    429: problem(429, "The caller already has MAX_STREAMS_PER_PERSON open streams; close one first."),
  },
  handler: (c, { query, headers }) => {
    const { db, hub, openStream, config } = c.get("services");
    const principal = c.get("principal");
    const given = headers["Last-Event-ID"] || query.lastEventId;
    const request = {
      owner: { portal: principal.portal, sub: principal.sub },
      lastEventId: given ? Number(given) : null,
      signal: c.req.raw.signal,
    };
    if (openStream) return Promise.resolve(openStream(request)).then(overLimit(config.maxStreamsPerPerson));
    if (hub.countOf(request.owner) >= config.maxStreamsPerPerson)
      throw tooManyStreams(config.maxStreamsPerPerson);
    // The signal is for the edge's polling stream; here Bun cancels the stream itself when the client goes.
    return eventStreamResponse({
      db,
      hub,
      owner: request.owner,
      lastEventId: request.lastEventId,
      ...sessionCheck(c),
    });
  },
});

export const eventRoutes: Route[] = [streamEvents];
