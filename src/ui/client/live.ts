/**
 * The page's one live connection: an EventSource on `/v1/events`. The browser resends `Last-Event-ID`
 * on its own reconnects; after a hard close (an HTTP error) the session is checked and the stream reopened
 * from the last event seen (`?lastEventId=`). Events are coalesced per animation frame (the newest version
 * of each action wins), accepted into the store, and handed to every subscriber as one batch of changes,
 * so a fast 60,000-row upload costs each view at most one update a frame.
 */
import type { ActionView } from "../../actions/view";
import { setLive } from "./shell";
import type { ActionChange, ActionStore } from "./store";

/** The stream's event types that carry an `ActionView`. */
const ACTION_EVENTS = ["action.status", "action.progress"] as const;
const MAX_RETRY_MS = 30_000;

export interface LiveOptions {
  /** Checks the session before reopening a closed stream: false (signed out) stops reconnecting. */
  checkSession: () => Promise<boolean>;
  /** After a reconnect: views to merge again, covering anything a replay could not (belt and braces). */
  onReopen: () => Promise<ActionView[] | null>;
}

export type ChangeListener = (changes: readonly ActionChange[]) => void;

export class LiveStream {
  private es: EventSource | null = null;
  private lastEventId: string | null = null;
  private retryMs = 1000;
  private opened = false;
  private readonly pending = new Map<string, ActionView>();
  private frame = 0;
  private readonly listeners: ChangeListener[] = [];

  constructor(
    private readonly store: ActionStore,
    private readonly options: LiveOptions,
  ) {}

  /** Every frame's accepted changes (in the order they were queued) go to each subscriber. */
  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Opens the stream (closing any open one), from the last event seen. */
  connect(): void {
    this.es?.close();
    const from = this.lastEventId ? `?lastEventId=${encodeURIComponent(this.lastEventId)}` : "";
    const es = new EventSource(`/v1/events${from}`);
    this.es = es;
    setLive("connecting", "Connecting…");
    es.onopen = () => {
      this.retryMs = 1000;
      setLive("live", "Live");
      if (this.opened) this.reopened().catch(() => {});
      this.opened = true;
    };
    for (const type of ACTION_EVENTS) es.addEventListener(type, (event) => this.onEvent(event));
    es.onerror = () => this.onError(es);
  }

  close(): void {
    this.es?.close();
    this.es = null;
  }

  /** Queues a view for the next frame (the newest version of each action wins). */
  queue(v: ActionView): void {
    const queued = this.pending.get(v.referenceId);
    if (!queued || queued.version < v.version) this.pending.set(v.referenceId, v);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private async reopened(): Promise<void> {
    for (const view of (await this.options.onReopen()) ?? []) this.queue(view);
  }

  private onEvent(event: MessageEvent<string>): void {
    if (event.lastEventId) this.lastEventId = event.lastEventId;
    let view: ActionView;
    try {
      view = JSON.parse(event.data) as ActionView;
    } catch {
      return;
    }
    this.queue(view);
  }

  /** The browser retries dropped connections itself; when it gives up (CLOSED), we do, with backoff. */
  private onError(es: EventSource): void {
    if (this.es !== es) return;
    setLive("reconnecting", "Reconnecting…");
    if (es.readyState !== EventSource.CLOSED) return;
    this.close();
    const retry = () => {
      this.options.checkSession().then(
        (signedIn) => signedIn && this.connect(),
        () => {
          this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
          setTimeout(retry, this.retryMs);
        },
      );
    };
    setTimeout(retry, this.retryMs);
  }

  private flush(): void {
    this.frame = 0;
    const changes: ActionChange[] = [];
    for (const view of this.pending.values()) {
      const change = this.store.accept(view);
      if (change) changes.push(change);
    }
    this.pending.clear();
    for (const listener of this.listeners) listener(changes);
  }
}
