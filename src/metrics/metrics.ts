/** What `/metrics` shows: request and slice measurements taken in process, and gauges read at scrape time. */
import { and, count, eq, isNotNull, lte, max, min, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { actionEvents, actions } from "../db/schema";
import type { EventHub } from "../events/hub";
import { MAIL_KINDS, outboxBacklog, sendRate } from "../mail/backlog";
import { Counter, Histogram, labelKey, renderGauge } from "./registry";

export class Metrics {
  readonly requests = new Counter(
    "tracker_http_requests_total",
    "HTTP requests by route, method and status.",
  );
  readonly latency = new Histogram("tracker_http_request_duration_seconds", "HTTP request latency by route.");
  readonly slices = new Histogram(
    "tracker_engine_slice_duration_seconds",
    "Engine slice durations (apply and commit) by action type.",
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  /** Label keys by route, then method, then status: lookups with the strings at hand, none built per request. */
  private readonly requestKeys = new Map<
    string,
    { route: string; byMethod: Map<string, Map<number, string>> }
  >();

  /** One request: counted by route, method and status, timed by route. */
  request(route: string, method: string, status: number, seconds: number): void {
    let keys = this.requestKeys.get(route);
    if (!keys) {
      if (this.requestKeys.size >= 1_000) this.requestKeys.clear();
      keys = { route: labelKey({ route }), byMethod: new Map() };
      this.requestKeys.set(route, keys);
    }
    let byStatus = keys.byMethod.get(method);
    if (!byStatus) {
      // Methods come from clients: a flood of made-up ones must not grow this without bound.
      if (keys.byMethod.size >= 16) keys.byMethod.clear();
      byStatus = new Map();
      keys.byMethod.set(method, byStatus);
    }
    let key = byStatus.get(status);
    if (key === undefined) {
      key = labelKey({ route, method, status: String(status) });
      byStatus.set(status, key);
    }
    this.requests.incKey(key);
    this.latency.observeKey(keys.route, seconds);
  }

  readonly transitions = new Counter(
    "tracker_action_transitions_total",
    "Action status changes made by this process.",
  );

  /** The Prometheus text of everything, reading the gauges from the database and the hub now. */
  async render(db: Db, hub: EventHub | null, now: number): Promise<string> {
    const [byStatus, queue, tail, backlog, mailRate] = await Promise.all([
      db
        .select({ type: actions.type, status: actions.status, n: count() })
        .from(actions)
        .groupBy(actions.type, actions.status),
      db
        .select({ n: count(), oldest: min(actions.runAt) })
        .from(actions)
        .where(and(eq(actions.status, "not_started"), isNotNull(actions.runAt), lte(actions.runAt, now))),
      db
        .select({ id: max(actionEvents.id), at: sql<number>`max(${actionEvents.createdAt})` })
        .from(actionEvents),
      outboxBacklog(db, now),
      sendRate(db, now),
    ]);
    const byKind = (value: (kind: (typeof MAIL_KINDS)[number]) => number) =>
      MAIL_KINDS.map((kind) => ({ labels: { kind }, value: value(kind) }));
    const head = tail[0]?.id ?? 0;
    const lines = [
      ...renderGauge(
        "tracker_actions",
        "Actions by type and status.",
        byStatus.map((r) => ({ labels: { type: r.type, status: r.status }, value: r.n })),
      ),
      ...renderGauge("tracker_queue_depth", "Actions due and waiting for a worker.", [
        { value: queue[0]?.n ?? 0 },
      ]),
      ...renderGauge("tracker_queue_oldest_age_seconds", "Age of the oldest action waiting for a worker.", [
        { value: queue[0]?.oldest ? Math.max(0, (now - queue[0].oldest) / 1000) : 0 },
      ]),
      ...renderGauge("tracker_outbox_pending", "Emails waiting to be sent.", [{ value: backlog.pending }]),
      ...renderGauge("tracker_outbox_oldest_age_seconds", "Age of the oldest email waiting.", [
        { value: (backlog.oldestAgeMs ?? 0) / 1000 },
      ]),
      ...renderGauge("tracker_outbox_failed", "Emails given up on.", [{ value: backlog.failed }]),
      ...renderGauge(
        "tracker_outbox_backlog",
        "Emails waiting to be sent, by kind (completion emails go first).",
        byKind((kind) => backlog.byKind[kind].waiting),
      ),
      ...renderGauge(
        "tracker_outbox_backlog_oldest_age_seconds",
        "Age of the oldest email waiting, by kind.",
        byKind((kind) => (backlog.byKind[kind].oldestAgeMs ?? 0) / 1000),
      ),
      ...renderGauge(
        "tracker_outbox_skipped",
        "Emails never sent because their address was not one address, by kind.",
        byKind((kind) => backlog.byKind[kind].skipped),
      ),
      ...renderGauge(
        "tracker_mail_sent_per_second",
        "Emails sent per second over the last minute, by kind (every process).",
        byKind((kind) => mailRate.perSecond[kind]),
      ),
      ...renderGauge(
        "tracker_mail_pace_requests_per_second",
        "The deployment's shared send pace now (MAIL_RATE, lowered for a while after a 429).",
        [{ value: mailRate.pace?.pace ?? 0 }],
      ),
      ...this.requests.render(),
      ...this.latency.render(),
      ...this.slices.render(),
      ...this.transitions.render(),
    ];
    if (hub) {
      lines.push(
        ...renderGauge("tracker_open_streams", "Open event streams on this process.", [
          { value: hub.subscriberCount },
        ]),
        ...renderGauge(
          "tracker_event_tail_lag_events",
          "Events in the log this process has not published yet.",
          [{ value: Math.max(0, head - hub.lastPublishedId) }],
        ),
        ...renderGauge("tracker_action_cache_entries", "Actions held by the poll cache.", [
          { value: hub.actions.size },
        ]),
      );
    }
    return `${lines.join("\n")}\n`;
  }
}
