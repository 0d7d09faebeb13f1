/** The tracker page at `GET /` (and, in development, a one-click sign-in). Filled in by the UI work. */
import { Hono } from "hono";
import type { AppEnv } from "../http/env";

export const uiRoutes = new Hono<AppEnv>();
