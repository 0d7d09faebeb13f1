/** `POST /v1/session` exchanges a bearer token for the `tracker_session` cookie; `DELETE` signs out. */
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const sessionRoutes = new Hono<AppEnv>();
