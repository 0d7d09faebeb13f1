/**
 * `GET /metrics` with METRICS_TOKEN set wants `Authorization: Bearer <METRICS_TOKEN>`: deployment-wide
 * counts and request rates are for the operator's scraper, not for every tenant. (The text itself holds
 * no tenant data either way: no portal, person, reference or file name is ever a label.)
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { bearerToken, challenge } from "./middleware";
import { HttpProblem } from "./problem";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Throws 401 unless `authorization` carries the metrics token (compared in constant time). */
export function requireMetricsToken(token: string | undefined, authorization: string | undefined): void {
  if (token === undefined) return;
  const given = bearerToken(authorization) ?? "";
  if (!timingSafeEqual(digest(given), digest(token)))
    throw new HttpProblem(
      401,
      "GET /metrics wants the metrics token: 'Authorization: Bearer <METRICS_TOKEN>'.",
      {
        headers: challenge,
      },
    );
}
