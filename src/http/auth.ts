/**
 * HS256 access tokens, verified by `hono/jwt` (a kept library, on WebCrypto in Bun and Workers alike)
 * behind a cache of verified tokens, so its cost (~70 µs) is paid once per token and a poller's repeat
 * requests are a map lookup. Before the library sees a token it must be spelled canonically: every part
 * unpadded base64url that decodes and re-encodes to itself. Decoders skip what they do not expect (junk
 * after the signature, `==`, the standard alphabet), so without that check one token had endless
 * accepted spellings, each a new cache entry. Only HS256 is accepted: `alg: none`, RS/HS confusion and
 * anything else is refused.
 */
import { createHmac } from "node:crypto";
import { verify } from "hono/jwt";
import * as v from "valibot";
import { ROLES } from "../actions/model";
import type { Principal } from "../actions/principal";

const ClaimsSchema = v.object({
  sub: v.pipe(v.string(), v.nonEmpty(), v.maxLength(200)),
  portal: v.pipe(v.string(), v.nonEmpty(), v.maxLength(200)),
  role: v.picklist(ROLES),
  email: v.pipe(v.string(), v.maxLength(320)),
  name: v.pipe(v.string(), v.maxLength(200)),
  exp: v.optional(v.number()),
  nbf: v.optional(v.number()),
  iat: v.optional(v.number()),
});

export class TokenError extends Error {}

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

/** Signs claims as an HS256 JWT (the dev token script, the demo and tests use it). */
export function signToken(claims: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${signature}`;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Three parts, each canonical unpadded base64url: the one spelling of a token that is accepted. */
export function isCanonicalToken(token: string): boolean {
  const parts = token.split(".");
  return (
    parts.length === 3 &&
    parts.every(
      (part) => BASE64URL.test(part) && Buffer.from(part, "base64url").toString("base64url") === part,
    )
  );
}

/** Verifies encoding, signature, algorithm, `exp` and `nbf`; resolves to the principal or rejects with TokenError. */
export async function verifyToken(token: string, secret: string, nowMs: number): Promise<Principal> {
  if (token.length > 8192 || !isCanonicalToken(token)) throw new TokenError("malformed token");
  let payload: unknown;
  try {
    // Times are checked below against the tracker's clock (tests control it), not the library's.
    payload = await verify(token, secret, { alg: "HS256", exp: false, nbf: false, iat: false });
  } catch (error) {
    const name = (error as Error).name;
    if (name === "JwtAlgorithmMismatch" || name === "JwtHeaderInvalid")
      throw new TokenError("unsupported token algorithm");
    if (name === "JwtTokenSignatureMismatched") throw new TokenError("bad signature");
    throw new TokenError("malformed token");
  }
  const parsed = v.safeParse(ClaimsSchema, payload);
  if (!parsed.success) throw new TokenError("token claims are incomplete");
  const claims = parsed.output;
  const now = nowMs / 1000;
  if (claims.exp !== undefined && now >= claims.exp) throw new TokenError("token expired");
  if (claims.nbf !== undefined && now + 30 < claims.nbf) throw new TokenError("token not yet valid");
  return {
    sub: claims.sub,
    portal: claims.portal,
    role: claims.role,
    email: claims.email,
    name: claims.name,
    exp: claims.exp,
  };
}

/**
 * Remembers verified tokens so a poller's repeated requests skip verification; expiry is still checked.
 * Keyed by the token as sent, which is only ever cached once verified, so canonical: junk spellings of a
 * token are refused before they could become entries.
 */
export class TokenVerifier {
  private readonly cache = new Map<string, Principal>();

  constructor(
    private readonly secret: string,
    private readonly maxEntries = 10_000,
  ) {}

  /** Entries held (for tests: junk spellings must not add any). */
  get size(): number {
    return this.cache.size;
  }

  async verify(token: string, nowMs: number): Promise<Principal> {
    const cached = this.cached(token, nowMs);
    if (cached) return cached;
    const principal = await verifyToken(token, this.secret, nowMs);
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(token, principal);
    return principal;
  }

  /** A token verified before and not expired since; undefined when it must be verified. */
  cached(token: string, nowMs: number): Principal | undefined {
    const cached = this.cache.get(token);
    if (cached?.exp !== undefined && nowMs / 1000 >= cached.exp) {
      this.cache.delete(token);
      return undefined;
    }
    return cached;
  }
}
