/**
 * The ingest actor: a Finnhub WebSocket client that subscribes every symbol,
 * validates and enriches trades, produces them to the trade log and sends
 * rejects to the dead-letter topic. It reconnects with exponential back-off
 * and jitter when the connection drops or falls silent past a watchdog.
 *
 * @module
 */
import type { Actor, ActorContext, ActorProps } from "../../runtime/types.ts";
import type { TradeProducer } from "../kafka/trade_log.ts";
import type { PipelineMetrics } from "../metrics/mod.ts";
import { parseFeedMessage, toDeadLetter, validateTrade } from "../trade/mod.ts";
import type { DeadLetter, Trade } from "../trade/types.ts";

/** Trades per Kafka send: about 300 KB, well under the broker's 1 MB default. */
const MAX_SEND = 2000;

/** Messages of the ingest actor. */
export type IngestMsg =
  | { type: "connect" }
  | { type: "opened"; conn: number }
  | { type: "frame"; conn: number; data: string; at: number }
  | { type: "closed"; conn: number; detail: string }
  | { type: "watchdog" }
  | { type: "pump" }
  | { type: "status" };

/** The answer to `{type: "status"}`. */
export interface IngestStatus {
  connected: boolean;
  connects: number;
  buffered: number;
}

/** What the ingest actor needs. */
export interface IngestDeps {
  /** The feed URL, token included; never logged. */
  url: string;
  /** Printed instead of the URL. */
  description: string;
  /** Secrets to scrub from any error text before it is logged. */
  secrets: string[];
  symbols: string[];
  producer: TradeProducer;
  metrics: PipelineMetrics;
  allowZeroVolume: boolean;
  /** Reconnect when nothing (not even a ping) arrived for this long. */
  watchdogMs: number;
  backoff: { minMs: number; maxMs: number };
  /** Trades buffered while a send is in flight before the actor waits for it. */
  maxBuffered: number;
  random?: () => number;
}

/**
 * Builds the props of the ingest actor. Frames queue in a bounded mailbox
 * that drops the oldest when Kafka cannot keep up: a live feed cannot be
 * slowed, so memory stays flat and every drop is counted.
 *
 * @example
 * ```ts ignore
 * const ingest = await system.spawn("ingest", ingestProps({ url, description, secrets: [], symbols, producer,
 *   metrics, allowZeroVolume: false, watchdogMs: 90_000, backoff: { minMs: 500, maxMs: 30_000 }, maxBuffered: 20_000 }));
 * ```
 */
export function ingestProps(deps: IngestDeps): ActorProps<IngestMsg> {
  return {
    kind: "ingest",
    // Counted in frames: a busy feed sends a few thousand trades per frame.
    mailbox: { capacity: 64, overflow: "drop-oldest" },
    shutdownTimeoutMs: 15_000,
    factory: (ctx) => new IngestActor(deps, ctx),
  };
}

class IngestActor implements Actor<IngestMsg> {
  private ws?: WebSocket;
  private conn = 0;
  private connected = false;
  private attempt = 0;
  private connects = 0;
  private lastSeen = 0;
  private buffer: Trade[] = [];
  private letters: DeadLetter[] = [];
  private sending?: Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly deps: IngestDeps,
    private readonly ctx: ActorContext<IngestMsg>,
  ) {
    this.random = deps.random ?? Math.random;
  }

  preStart(): void {
    this.connect();
    this.ctx.timers.startPeriodic(
      "watchdog",
      { type: "watchdog" },
      Math.max(250, this.deps.watchdogMs / 4),
    );
  }

  async receive(msg: IngestMsg): Promise<IngestStatus | void> {
    switch (msg.type) {
      case "connect":
        return this.connect();
      case "opened":
        if (msg.conn !== this.conn) return;
        this.connected = true;
        this.lastSeen = this.ctx.clock.now();
        this.deps.metrics.feedConnected.set(1);
        for (const symbol of this.deps.symbols) {
          this.ws?.send(JSON.stringify({ type: "subscribe", symbol }));
        }
        this.ctx.log.info("feed connected; subscribed", {
          feed: this.deps.description,
          symbols: this.deps.symbols.length,
        });
        return;
      case "frame":
        if (msg.conn !== this.conn) return;
        return await this.onFrame(msg.data, msg.at);
      case "closed":
        if (msg.conn !== this.conn) return;
        return this.onClosed(msg.detail);
      case "watchdog": {
        const silentFor = this.ctx.clock.now() - this.lastSeen;
        if (this.ws && silentFor > this.deps.watchdogMs) {
          this.ctx.log.warn("feed silent past the watchdog; reconnecting", {
            silentMs: silentFor,
          });
          this.onClosed("watchdog");
        }
        return;
      }
      case "pump":
        return this.pump();
      case "status":
        return {
          connected: this.connected,
          connects: this.connects,
          buffered: this.buffer.length,
        };
    }
  }

  async postStop(): Promise<void> {
    this.dropSocket();
    this.deps.metrics.feedConnected.set(0);
    // Hand over what was validated: a clean stop loses nothing already received.
    for (let tries = 0; tries < 5; tries++) {
      if (this.sending) await this.sending;
      if (this.buffer.length === 0 && this.letters.length === 0) return;
      this.pump();
    }
    this.ctx.log.error("stopped with trades not produced", {
      trades: this.buffer.length,
    });
  }

  private connect(): void {
    this.dropSocket();
    const conn = ++this.conn;
    this.connects++;
    if (this.connects > 1) this.deps.metrics.feedReconnects.inc();
    this.lastSeen = this.ctx.clock.now();
    const { self, clock } = this.ctx;
    const tell = (m: IngestMsg) => self.tell(m).catch(() => {});
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.deps.url);
    } catch (e) {
      this.onClosed(this.scrub(String(e)));
      return;
    }
    this.ws = ws;
    ws.onopen = () => tell({ type: "opened", conn });
    ws.onmessage = (e) => {
      if (typeof e.data === "string") {
        tell({ type: "frame", conn, data: e.data, at: clock.now() });
      }
    };
    ws.onerror = (e) =>
      tell({
        type: "closed",
        conn,
        detail: (e as ErrorEvent).message ?? "error",
      });
    ws.onclose = (e) =>
      tell({ type: "closed", conn, detail: `closed with code ${e.code}` });
  }

  private dropSocket(): void {
    const ws = this.ws;
    this.ws = undefined;
    if (!ws) return;
    ws.onopen =
      ws.onmessage =
      ws.onerror =
      ws.onclose =
        null;
    if (
      ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING
    ) {
      try {
        ws.close();
      } catch {
        // Closing a socket that is still connecting may throw; it is gone either way.
      }
    }
  }

  private onClosed(detail: string): void {
    this.dropSocket();
    this.conn++; // stale events of the old socket are ignored from here on
    if (this.connected) this.deps.metrics.feedConnected.set(0);
    this.connected = false;
    const ceiling = Math.min(
      this.deps.backoff.maxMs,
      this.deps.backoff.minMs * 2 ** this.attempt,
    );
    const delay = Math.floor(this.random() * ceiling);
    this.attempt = Math.min(this.attempt + 1, 30);
    this.ctx.log.warn("feed disconnected; reconnecting", {
      feed: this.deps.description,
      detail: this.scrub(detail),
      delayMs: delay,
    });
    this.ctx.timers.startSingle("reconnect", { type: "connect" }, delay);
  }

  private async onFrame(data: string, at: number): Promise<void> {
    const { metrics } = this.deps;
    this.lastSeen = this.ctx.clock.now();
    metrics.feedLastMessage.set(this.lastSeen / 1000);
    const message = parseFeedMessage(data);
    switch (message.kind) {
      case "ping":
        metrics.feedMessages.inc({ type: "ping" });
        return;
      case "error":
        metrics.feedMessages.inc({ type: "error" });
        metrics.feedErrors.inc({ kind: message.errorKind });
        this.ctx.log.error("feed reported an error", {
          msg: this.scrub(message.msg),
          kind: message.errorKind,
        });
        return;
      case "unknown":
        metrics.feedMessages.inc({ type: "unknown" });
        this.ctx.log.warn("unknown feed message type", {
          messageType: message.type,
        });
        return;
      case "invalid_json":
        metrics.feedMessages.inc({ type: "invalid_json" });
        this.ctx.log.warn("unreadable feed frame", { detail: message.detail });
        return;
      case "trades":
        metrics.feedMessages.inc({ type: "trade" });
        break;
    }
    // A connection that delivers data has proven itself: start back-off afresh.
    this.attempt = 0;
    metrics.tradesReceived.inc(message.data.length);
    for (const raw of message.data) {
      const result = validateTrade(raw, {
        receivedAt: at,
        allowZeroVolume: this.deps.allowZeroVolume,
        // One trade far ahead would push the watermark past every honest trade.
        maxFutureSkewMs: 60_000,
      });
      if (result.ok) {
        this.buffer.push(result.trade);
      } else {
        metrics.tradesRejected.inc({ reason: result.reason });
        this.letters.push(toDeadLetter(raw, result.reason, result.detail, at));
      }
    }
    this.pump();
    // Back-pressure: while Kafka lags, stop taking frames; the mailbox bounds the rest.
    while (this.buffer.length >= this.deps.maxBuffered && this.sending) {
      await this.sending;
    }
  }

  private pump(): void {
    if (
      this.sending || (this.buffer.length === 0 && this.letters.length === 0)
    ) return;
    // One send at a time, each under the broker's message-size limit; the
    // rest waits its turn (and a failed send retries only its own chunk).
    const trades = this.buffer.splice(0, MAX_SEND);
    const letters = this.letters.splice(0, MAX_SEND);
    const { producer, metrics } = this.deps;
    const started = performance.now();
    this.sending = (async () => {
      try {
        if (trades.length > 0) await producer.sendTrades(trades);
        trades.length = 0;
        if (letters.length > 0) await producer.sendDeadLetters(letters);
        metrics.dlqRecords.inc(letters.length);
        letters.length = 0;
        metrics.produceDuration.observe((performance.now() - started) / 1000);
      } catch (e) {
        metrics.produceErrors.inc();
        this.ctx.log.error("produce failed; retrying", {
          error: this.scrub(String(e)),
        });
        // Put back only what was not sent, in front: order per symbol holds and nothing is lost.
        this.buffer = trades.concat(this.buffer);
        this.letters = letters.concat(this.letters);
        this.ctx.timers.startSingle("pump", { type: "pump" }, 500);
        return;
      } finally {
        this.sending = undefined;
      }
      if (this.buffer.length > 0 || this.letters.length > 0) {
        this.ctx.self.tell({ type: "pump" }).catch(() => {});
      }
    })();
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.deps.secrets) if (s) out = out.split(s).join("***");
    return out;
  }
}
