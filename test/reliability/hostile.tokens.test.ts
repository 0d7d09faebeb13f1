/**
 * Tokens and polls as an attacker inside the fence would try them (issue 12):
 * - only the canonical spelling of a token is accepted: junk after the signature, `=` padding and the
 *   standard base64 alphabet used to be accepted (the decoder skipped what it did not expect), and each
 *   spelling became an entry of the verified-token cache (10,000 spellings: RSS +97 MB);
 * - a poll for someone else's recently changed action takes the same path as one for an unknown
 *   reference (it used to be answered from the action cache before the owner check, ~250 µs against
 *   ~600 µs, so existence could be timed). The path is observed by the database reads it makes, not by
 *   timing it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { drizzle } from "drizzle-orm/libsql";
import * as schema from "../../src/db/schema";
import { ADA, BOB, bearer, EVE, LEO, tokenFor } from "../support/env";
import { startTestTracker, type TestTracker, uploadCsv } from "../support/tracker";
import { type Child, Cluster, log, sharedDatabase } from "./support/harness";
import { peakGrowth } from "./support/raw-http";

/** A token of `person` whose signature holds both `-` and `_` (so the standard alphabet spells it otherwise). */
function tokenWithBothAlphabets(person = ADA): string {
  for (let exp = 4_000_000_000; ; exp++) {
    const token = tokenFor(person, { exp });
    const signature = token.split(".")[2]!;
    if (signature.includes("-") && signature.includes("_")) return token;
  }
}

/** Spellings of `token` that decode to the same bytes under a lenient decoder. */
function junkSpellings(token: string): [string, string][] {
  const [head, body, signature] = token.split(".") as [string, string, string];
  const lastBits = (part: string) => {
    // The last character of a 43-character part carries 2 unused bits: set one.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(part.at(-1)!);
    return part.slice(0, -1) + alphabet[last ^ 1]!;
  };
  return [
    ["junk after the signature", `${token}!!`],
    ["junk inside the signature", `${head}.${body}.${signature.slice(0, 10)}*${signature.slice(10)}`],
    ["padding (=) on the signature", `${token}=`],
    ["padding on the payload", `${head}.${body}==.${signature}`],
    ["the standard alphabet (+ and /)", `${head}.${body}.${signature.replace(/-/g, "+").replace(/_/g, "/")}`],
    ["non-zero unused bits", `${head}.${body}.${lastBits(signature)}`],
  ];
}

describe("tokens: only the canonical spelling", () => {
  let t: TestTracker;
  beforeAll(async () => {
    t = await startTestTracker();
  });
  afterAll(() => t.stop());

  const token = tokenWithBothAlphabets();
  for (const [name, spelling] of junkSpellings(token)) {
    test(`${name}: 401, and nothing cached`, async () => {
      const size = t.tracker.services.verifier.size;
      const res = await t.request("/v1/actions", { headers: { authorization: `Bearer ${spelling}` } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { detail: string }).detail).toContain("malformed token");
      expect(t.tracker.services.verifier.size).toBe(size);
    });
  }

  test("the canonical spelling is accepted and cached once", async () => {
    const size = t.tracker.services.verifier.size;
    for (let i = 0; i < 3; i++)
      expect((await t.request("/v1/actions", { headers: { authorization: `Bearer ${token}` } })).status).toBe(
        200,
      );
    expect(t.tracker.services.verifier.size).toBe(size + 1);
  });
});

describe("10,000 junk spellings of one learner token against a real process", () => {
  const cluster = new Cluster();
  let server: Child;
  beforeAll(async () => {
    const { url } = await sharedDatabase(cluster, cluster.tempDir());
    server = await cluster.start({ DATABASE_URL: url, ROLE: "api" });
    for (let i = 0; i < 200; i++) await fetch(`${server.url}/v1/actions`, { headers: bearer(ADA) });
  }, 30_000);
  afterAll(() => cluster.cleanup());

  test("each refused with 401 (not accepted as the learner: 403), and memory stays flat", async () => {
    const token = tokenFor(LEO, { exp: 4_000_000_000 });
    // Characters a lenient base64url decoder skips, in every combination of up to four.
    const junk = "!#$&'()*,;";
    const spelling = (i: number) =>
      token + [...String(i).padStart(4, "0")].map((d) => junk[Number(d)]).join("");
    const statuses = new Map<number, number>();
    const { growthMiB } = await peakGrowth(server.pid, async () => {
      for (let i = 0; i < 10_000; i += 50) {
        const batch = await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            fetch(`${server.url}/v1/actions`, { headers: { authorization: `Bearer ${spelling(i + j)}` } }),
          ),
        );
        for (const res of batch) {
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          await res.arrayBuffer();
        }
      }
    });
    log(
      `hostile.tokens: 10,000 junk spellings: ${JSON.stringify(Object.fromEntries(statuses))}, server +${growthMiB} MiB`,
    );
    expect(Object.fromEntries(statuses)).toEqual({ 401: 10_000 });
    expect(growthMiB).toBeLessThan(24);
  }, 120_000);
});

describe("polls: someone else's action takes the path of an unknown reference", () => {
  let t: TestTracker;
  let ref = "";
  const queries: string[] = [];
  beforeAll(async () => {
    t = await startTestTracker();
    const res = await uploadCsv(t, ADA, "email\nok@example.com\n", "ada.csv");
    ref = ((await res.json()) as { referenceId: string }).referenceId;
    await t.drain();
    // The same database, with every statement the app sends written down.
    t.tracker.services.db = drizzle(t.tracker.database.client, {
      schema,
      logger: { logQuery: (query) => queries.push(query) },
    });
  });
  afterAll(() => t.stop());

  const pollQueries = async (who: typeof ADA, reference: string, headers: Record<string, string> = {}) => {
    // Verified once before, so authentication reads nothing: what is left is the poll's own path.
    await t.request("/v1/actions?limit=1", { headers: bearer(who) });
    queries.length = 0;
    const res = await t.request(`/v1/actions/${reference}`, { headers: { ...bearer(who), ...headers } });
    return { status: res.status, body: await res.text(), queries: [...queries] };
  };

  test("the owner's poll of a cached action reads nothing", async () => {
    const own = await pollQueries(ADA, ref);
    expect(own.status).toBe(200);
    expect(t.tracker.services.actionCache?.get(ref)).toBeDefined();
    expect(own.queries).toEqual([]);
  });

  for (const [label, person] of [
    ["another person of the portal", BOB],
    ["the same sub in another portal", EVE],
  ] as const) {
    test(`${label}: the same statements as for an unknown reference, and the same answer`, async () => {
      const theirs = await pollQueries(person, ref);
      const unknown = await pollQueries(person, "BA-ZZZZZZZZ");
      expect([theirs.status, unknown.status]).toEqual([404, 404]);
      expect(theirs.queries).toHaveLength(1);
      expect(theirs.queries).toEqual(unknown.queries);
      const strip = (body: string) => ({ ...JSON.parse(body), requestId: undefined });
      expect(strip(theirs.body)).toEqual(strip(unknown.body));
      // With the owner's current ETag too.
      const etag = t.tracker.services.actionCache!.get(ref)!.etag;
      expect((await pollQueries(person, ref, { "if-none-match": etag })).queries).toEqual(unknown.queries);
    });
  }
});
