/**
 * Browser sessions: `POST /v1/session` trades a portal's token (with an `exp`) for a random id the
 * tracker mints; the cookie holds the id, the database its SHA-256. `DELETE /v1/session` revokes it.
 *
 * Several api processes share the database, and a poll must stay a map lookup, so each process keeps
 * the sessions it has seen for at most `recheckMs` before reading the row again: a session revoked on
 * one process is refused by every process within `recheckMs` (SESSION_RECHECK, 2 s by default), and at
 * once by the process that revoked it. Unknown ids are never cached, so junk cookies cannot grow it.
 */
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import { ROLES } from "../actions/model";
import type { Principal } from "../actions/principal";
import type { Db } from "../db/client";
import { sessions } from "../db/schema";

/** 32 random bytes, base64url: the only shape of id ever looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (id: string) => createHash("sha256").update(id).digest("base64url");

interface Held {
  principal: Principal;
  expiresAt: number;
  checkedAt: number;
}

export interface SessionSettings {
  ttlMs: number;
  recheckMs: number;
}

export class SessionStore {
  private readonly held = new Map<string, Held>();
  /** One database read per id at a time, however many requests carry it. */
  private readonly reading = new Map<string, Promise<Principal | null>>();

  constructor(
    private readonly db: Db,
    private readonly settings: SessionSettings,
    private readonly maxHeld = 10_000,
  ) {}

  /**
   * A new session for a verified principal whose token has an `exp`; it ends at `ttlMs` from now or at
   * the token's expiry, whichever comes first.
   */
  async start(
    principal: Principal & { exp: number },
    now: number,
  ): Promise<{ id: string; expiresAt: number }> {
    const id = randomBytes(32).toString("base64url");
    const expiresAt = Math.min(now + this.settings.ttlMs, principal.exp * 1000);
    await this.db.insert(sessions).values({
      idHash: hashOf(id),
      portalId: principal.portal,
      subject: principal.sub,
      role: principal.role,
      email: principal.email,
      name: principal.name,
      createdAt: now,
      expiresAt,
    });
    this.hold(id, sessionPrincipal(principal, expiresAt), expiresAt, now);
    return { id, expiresAt };
  }

  /** The session's person, or null when it is unknown, revoked or over: a Principal without I/O while held. */
  find(id: string, now: number): Principal | null | Promise<Principal | null> {
    const held = this.held.get(id);
    if (held && now < held.expiresAt && now - held.checkedAt < this.settings.recheckMs) return held.principal;
    if (held) this.held.delete(id);
    if (!SESSION_ID.test(id)) return null;
    const pending = this.reading.get(id);
    if (pending) return pending;
    const read = this.read(id, now).finally(() => this.reading.delete(id));
    this.reading.set(id, read);
    return read;
  }

  /** Ends the session here and in the database (every other process drops it within `recheckMs`). */
  async revoke(id: string, now: number): Promise<void> {
    this.held.delete(id);
    if (!SESSION_ID.test(id)) return;
    await this.db
      .update(sessions)
      .set({ revokedAt: now })
      .where(and(eq(sessions.idHash, hashOf(id)), isNull(sessions.revokedAt)));
  }

  private async read(id: string, now: number): Promise<Principal | null> {
    const [row] = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.idHash, hashOf(id)), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
      .limit(1);
    const role = ROLES.find((r) => r === row?.role);
    if (!row || !role) return null;
    const principal = sessionPrincipal(
      { sub: row.subject, portal: row.portalId, role, email: row.email, name: row.name },
      row.expiresAt,
    );
    this.hold(id, principal, row.expiresAt, now);
    return principal;
  }

  private hold(id: string, principal: Principal, expiresAt: number, now: number): void {
    if (this.held.size >= this.maxHeld) this.held.clear();
    this.held.set(id, { principal, expiresAt, checkedAt: now });
  }
}

/** The person as the session knows them; `exp` is the session's end (what the page shows). */
const sessionPrincipal = (p: Omit<Principal, "exp">, expiresAt: number): Principal => ({
  sub: p.sub,
  portal: p.portal,
  role: p.role,
  email: p.email,
  name: p.name,
  exp: Math.floor(expiresAt / 1000),
});

/** When ended sessions are pruned (hourly; the edge's cron runs the job in the minute it names). */
export const PRUNE_SESSIONS_CRON = "23 * * * *";

/** Removes sessions that ended (expired or revoked) more than `graceMs` ago; a clock job. */
export async function pruneSessions(db: Db, now: number, graceMs = 86_400_000): Promise<number> {
  const gone = await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, now - graceMs), lt(sessions.revokedAt, now - graceMs)))
    .returning({ idHash: sessions.idHash });
  return gone.length;
}
