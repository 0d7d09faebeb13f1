/**
 * The route table: every operation of the API, once. Adding a route is adding its object to the list at
 * the end of its resource's file (actions.ts, reports.ts…); the app, the 405s and the document follow.
 */

import { problems } from "../answers";
import { openApiDocument } from "../openapi/document";
import { defineRoute, type Route } from "../route";
import { actionRoutes } from "./actions";
import { eventRoutes } from "./events";
import { reportRoutes } from "./reports";
import { serviceRoutes } from "./service";
import { sessionRoutes } from "./session";

const documents = new Map<string, object>();

/** `GET /openapi.json`, generated once per server URL from this very table. */
const openApi = defineRoute({
  operationId: "openapi",
  method: "GET",
  path: "/openapi.json",
  tag: "service",
  summary: "This document (OpenAPI 3.1)",
  auth: [],
  cache: "no-cache",
  answers: {
    200: {
      description: "The OpenAPI 3.1 document of every operation here.",
      content: {
        "application/json": {
          schema: {
            type: "object",
            properties: { openapi: { type: "string", pattern: "^3\\.1\\." }, paths: { type: "object" } },
            required: ["openapi", "paths"],
          },
        },
      },
    },
    ...problems(),
  },
  handler: (c) => c.json(documentFor(c.get("services").config.publicUrl)),
});

export const ROUTES: readonly Route[] = [
  ...actionRoutes,
  ...reportRoutes,
  ...eventRoutes,
  ...sessionRoutes,
  ...serviceRoutes,
  openApi,
];

export function documentFor(serverUrl: string) {
  const known = documents.get(serverUrl);
  if (known) return known;
  const document = openApiDocument(ROUTES, serverUrl);
  documents.set(serverUrl, document);
  return document;
}
