/**
 * The ingest actor: a Finnhub WebSocket client that subscribes every symbol
 * it owns (all of them, or those whose ingest lease this instance holds),
 * validates and enriches trades, produces them to Kafka and sends every bad
 * input to the dead-letter topic. It reconnects with exponential back-off and
 * jitter when the connection drops or falls silent past a watchdog.
 *
 * Nothing the feed sends is lost while Kafka keeps up:
 * - `receive` never waits on Kafka, so frames never pile up in the mailbox;
 *   results of sends come back as messages.
 * - Trades wait in a buffer bounded in bytes (`INGEST_BUFFER_BYTES`, sized
 *   for tens of seconds of the configured rate). Only when Kafka cannot take
 *   them for that long are trades dropped, each one counted in
 *   `tickline_trades_dropped_total{reason}`, and `/readyz` fails: the oldest
 *   while Kafka is down, and new frames unread while it is up but slower
 *   than the feed.
 * - Each produce attempt is bounded; a failed chunk is retried first, with
 *   the same records in the same order, so the buffer drains in order.
 * - Dead letters have their own bounded queue and send slot: they can never
 *   hold up trades, and a letter that cannot be sent after a few tries is
 *   dropped and counted in `tickline_dlq_dropped_total{reason}`.
 *
 * @module
 */
import { backoffCeiling } from "../../runtime/mod.ts";
import type {
  Actor,
  ActorContext,
  ActorProps,
  ActorRef,
  Clock,
} from "../../runtime/types.ts";
import {
  type EncodedRecord,
  letterRecord,
  type RecordProducer,
} from "../kafka/kafka_trade_producer.ts";
import type { DlqDropReason, PipelineMetrics } from "../metrics/mod.ts";
import type { FrameJournal } from "../journal/mod.ts";
import { boundedDeadLetter } from "../trade/dead_letter.ts";
import {
  countTradesUnparsed,
  parseFeedMessage,
} from "../trade/feed_message.ts";
import type { RejectReason } from "../trade/types.ts";
import { ByteQueue } from "./ingest_buffer.ts";
import { acceptTrades, type TradeSink } from "./ingest_decision.ts";
import { PackedRecordQueue } from "./packed_queue.ts";

/** Messages of the ingest actor. */
export type IngestMsg =
  | { type: "connect" }
  | { type: "opened"; conn: number }
  | {
    type: "frame";
    conn: number;
    /** The text, or for a binary or oversize frame its start (see `kind`). */
    data: string;
    /** Size of the frame as received, in bytes (characters for text). */
    bytes: number;
    kind: "text" | "binary" | "oversize";
    at: number;
    /** Its sequence number in the journal (absent or 0: not journaled). */
    seq?: number;
  }
  | { type: "closed"; conn: number; detail: string }
  | { type: "watchdog" }
  | { type: "pump" }
  | { type: "sent"; attempt: number; error?: string; ms: number }
  | { type: "overdue"; attempt: number }
  | { type: "dlqPump" }
  | { type: "dlqSent"; attempt: number; error?: string }
  | { type: "own"; symbols: string[] }
  | { type: "lease"; until: number }
  | { type: "leaseCheck" }
  | { type: "status" }
  | { type: "quiesce" };

/** The answer to `{type: "status"}`. */
export interface IngestStatus {
  connected: boolean;
  connects: number;
  /** Trades waiting for Kafka (in flight included). */
  buffered: number;
  bufferedBytes: number;
  /** False after a failed or overdue trade produce, until one succeeds. */
  kafkaHealthy: boolean;
  /** When trades were last dropped (UNIX ms), if ever. */
  lastDropAt?: number;
  /** Dead letters waiting for Kafka. */
  letters: number;
  /** Symbols ingested now. */
  owned: number;
  /** When the last trade frame arrived (UNIX ms), if ever. */
  lastTradeFrameAt?: number;
}

/** What the ingest actor needs. */
export interface IngestDeps {
  /** The feed URL, token included; never logged. */
  url: string;
  /** Printed instead of the URL. */
  description: string;
  /** Applied to every text that leaves the actor: logs and dead letters. */
  scrub: (text: string) => string;
  symbols: string[];
  /**
   * `"all"`: this instance ingests every symbol (one instance). `"leases"`:
   * only those it is told to own (`own` messages) while its lease holds
   * (`lease` messages), so several instances never ingest a symbol twice.
   */
  ownership?: "all" | "leases";
  producer: RecordProducer;
  metrics: PipelineMetrics;
  allowZeroVolume: boolean;
  /** How far a trade's time may lie ahead of its receipt. */
  maxFutureSkewMs: number;
  /** Reconnect when nothing (not even a ping) arrived for this long. */
  watchdogMs: number;
  backoff: { minMs: number; maxMs: number };
  /** Bound of the trade buffer, in bytes of encoded records. */
  bufferBytes: number;
  /** Bound of one produce request, in bytes. */
  maxRequestBytes: number;
  /** A frame larger than this is not parsed: it becomes a `too_large` letter. */
  maxFrameBytes: number;
  /** A produce still pending after this long counts as a time-out. */
  produceTimeoutMs: number;
  /** Bound of the dead-letter queue, in bytes. */
  dlqBufferBytes: number;
  /** Characters of raw input kept in a letter. */
  dlqMaxRawChars: number;
  /**
   * Where frames are written as they arrive and marked settled once their
   * trades are in Kafka, so a SIGKILL loses none of them (see
   * `actors/journal/`). Without it a kill loses what Kafka had not taken.
   */
  journal?: FrameJournal;
  random?: () => number;
}

/** Quiet this long after a `quiesce`, the feed has no trade of ours in flight. */
export const QUIESCE_QUIET_MS = 200;
/** A `quiesce` waits at most this long for the quiet (a feed that ignores unsubscribes). */
export const QUIESCE_MAX_MS = 2_000;

/** Waits between failed trade produces: 100 ms doubling to 2 s. */
const PRODUCE_RETRY = { minMs: 100, maxMs: 2_000, resetAfterMs: 0 };

/** Tries of one dead-letter chunk before it is dropped. */
const DLQ_TRIES = 3;
/** Frames waiting in the mailbox are bounded in bytes too (a CPU-starved process only). */
const MAX_PENDING_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * The first half of a clean stop: the ingest actor unsubscribes everything,
 * and this waits (bounded) until no trade frame has arrived for
 * {@linkcode QUIESCE_QUIET_MS}, so the frames the feed sent before it read
 * the unsubscribes are received and buffered, not cut off by the close.
 *
 * @example
 * ```ts ignore
 * await quiesceIngest(ingest, clock);
 * await system.shutdown();
 * ```
 */
export async function quiesceIngest(
  ingest: ActorRef<IngestMsg>,
  clock: Clock,
): Promise<void> {
  const ask = () =>
    ingest.ask<IngestStatus>({ type: "status" }, { timeoutMs: 5_000 });
  const began = clock.now();
  await ingest.ask({ type: "quiesce" }, { timeoutMs: 5_000 });
  while (clock.now() - began < QUIESCE_MAX_MS) {
    await new Promise<void>((r) => clock.setTimeout(r, 50));
    const { lastTradeFrameAt = -Infinity } = await ask();
    const quietSince = Math.max(began, lastTradeFrameAt);
    if (clock.now() - quietSince >= QUIESCE_QUIET_MS) return;
  }
}

/**
 * Builds the props of the ingest actor.
 *
 * @example
 * ```ts ignore
 * const ingest = await system.spawn("ingest", ingestProps({ url, description, scrub: (s) => s, symbols,
 *   producer, metrics, allowZeroVolume: false, maxFutureSkewMs: 10_000, watchdogMs: 90_000,
 *   backoff: { minMs: 250, maxMs: 30_000 }, bufferBytes: 64e6, maxRequestBytes: 900_000,
 *   maxFrameBytes: 1 << 20, produceTimeoutMs: 10_000, dlqBufferBytes: 16e6, dlqMaxRawChars: 4096 }));
 * ```
 */
export function ingestProps(deps: IngestDeps): ActorProps<IngestMsg> {
  // Frames are bounded in bytes by the socket callbacks (FrameGate) before
  // they are queued; the mailbox itself must never drop, because send
  // results travel through it too.
  const gate = new FrameGate(MAX_PENDING_FRAME_BYTES);
  return {
    kind: "ingest",
    mailbox: { capacity: 1_000_000, overflow: "backpressure" },
    shutdownTimeoutMs: 15_000,
    factory: (ctx) => new IngestActor(deps, ctx, gate),
  };
}

/**
 * Bytes of frames handed to the mailbox and not yet read. The socket
 * callbacks are the actor's edge: they reserve, `receive` releases. Beyond
 * the bound a frame is dropped and counted (it cannot be read in time).
 */
class FrameGate {
  pending = 0;
  constructor(readonly maxBytes: number) {}
  tryReserve(bytes: number): boolean {
    if (this.pending + bytes > this.maxBytes) return false;
    this.pending += bytes;
    return true;
  }
  release(bytes: number): void {
    this.pending = Math.max(0, this.pending - bytes);
  }
}

class IngestActor implements Actor<IngestMsg> {
  private ws?: WebSocket;
  private conn = 0;
  private connected = false;
  private attempt = 0;
  private connects = 0;
  private lastSeen = 0;
  private readonly trades: PackedRecordQueue;
  private readonly letters: ByteQueue<EncodedRecord>;
  private readonly symbols: Set<string>;
  private readonly owned: Set<string>;
  /** Frames received after this (UNIX ms) may have reached another owner too. */
  private leaseUntil: number;
  /** When every symbol was given up, for the handover metric. */
  private releasedAt?: number;
  /** Symbols given up: the frames the feed sent before it read the unsubscribe are still ours. */
  private readonly released = new Set<string>();
  /** Trades ever pushed to the buffer; those not in it any more are settled. */
  private pushed = 0;
  /** Journaled frames read and not yet settled, with `pushed` after each. */
  private readonly unsettled = new SettleQueue();
  /** The journal sequence number of the last frame read. */
  private lastFrameSeq = 0;
  /** When the last trade frame arrived (UNIX ms). */
  private lastTradeFrameAt?: number;
  /** Id of the trade send in flight (0: none); stale results are ignored. */
  private sendAttempt = 0;
  /** The result of the trade send in flight, also told to self when it settles. */
  private sending?: Promise<IngestMsg>;
  private sendFailures = 0;
  /** No new attempt before this time (UNIX ms) after a failure. */
  private retryDue?: number;
  private kafkaHealthy = true;
  private lastDropAt?: number;
  /** Trades shed since shedding began (0: not shedding). */
  private shedCount = 0;
  private dlqAttempt = 0;
  private dlqSending?: Promise<IngestMsg>;
  private dlqTries = 0;
  /** Send ids; a restarted actor starts elsewhere so results meant for its predecessor are ignored. */
  private attempts = Math.floor(Math.random() * 2 ** 40);
  private readonly random: () => number;

  constructor(
    private readonly deps: IngestDeps,
    private readonly ctx: ActorContext<IngestMsg>,
    private readonly gate: FrameGate,
  ) {
    this.random = deps.random ?? Math.random;
    this.trades = new PackedRecordQueue(deps.bufferBytes);
    this.letters = new ByteQueue(deps.dlqBufferBytes);
    this.symbols = new Set(deps.symbols);
    const leases = deps.ownership === "leases";
    this.owned = new Set(leases ? [] : deps.symbols);
    this.leaseUntil = leases ? -Infinity : Infinity;
    deps.metrics.ingestOwnedSymbols.set(this.owned.size);
    deps.metrics.ingestBufferCapacityBytes.set(deps.bufferBytes);
    deps.metrics.kafkaProducerHealthy.set(1);
  }

  preStart(): void {
    // A restarted actor begins a session of its own: its predecessor's
    // unsettled frames become a tail, recovered like a killed process's.
    this.deps.journal?.begin(this.ownership());
    this.connect();
    if (this.deps.ownership === "leases") {
      this.ctx.timers.startPeriodic("lease", { type: "leaseCheck" }, 250);
    }
    this.ctx.timers.startPeriodic(
      "watchdog",
      { type: "watchdog" },
      Math.max(250, this.deps.watchdogMs / 4),
    );
  }

  receive(msg: IngestMsg): IngestStatus | void {
    switch (msg.type) {
      case "connect":
        return this.connect();
      case "opened":
        if (msg.conn !== this.conn) return;
        this.connected = true;
        this.lastSeen = this.ctx.clock.now();
        this.deps.metrics.feedConnected.set(1);
        for (const symbol of this.owned) this.subscription("subscribe", symbol);
        this.ctx.log.info("feed connected; subscribed", {
          feed: this.deps.description,
          symbols: this.owned.size,
        });
        return;
      case "own":
        return this.own(msg.symbols);
      case "lease":
        if (msg.until <= this.leaseUntil) return;
        this.leaseUntil = msg.until;
        return this.journalOwnership();
      case "frame":
        this.gate.release(msg.bytes);
        // Frames of an older connection were sent by the feed all the same:
        // they are read, not ignored.
        this.onFrame(msg);
        return this.frameRead(msg.seq ?? 0);
      case "closed":
        if (msg.conn !== this.conn) return;
        return this.onClosed(msg.detail);
      case "leaseCheck":
        return this.lapseIfOverdue(this.ctx.clock.now());
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
      case "sent":
        return this.onSent(msg);
      case "overdue":
        if (msg.attempt !== this.sendAttempt || !this.sending) return;
        this.deps.metrics.produceTimeouts.inc({ topic: "trades" });
        this.setHealthy(false);
        this.ctx.log.warn("Kafka produce overdue; trades buffer meanwhile", {
          timeoutMs: this.deps.produceTimeoutMs,
          buffered: this.trades.length,
        });
        return;
      case "dlqPump":
        return this.dlqPump();
      case "dlqSent":
        return this.onDlqSent(msg);
      case "status":
        return {
          connected: this.connected,
          connects: this.connects,
          buffered: this.trades.length,
          bufferedBytes: this.trades.bytes,
          kafkaHealthy: this.kafkaHealthy,
          lastDropAt: this.lastDropAt,
          letters: this.letters.length,
          owned: this.owned.size,
          lastTradeFrameAt: this.lastTradeFrameAt,
        };
      case "quiesce":
        // A clean stop: unsubscribe now, so the frames still in flight
        // arrive (and are produced) before the socket closes.
        this.own([]);
        return this.receive({ type: "status" }) as IngestStatus;
    }
  }

  async postStop(): Promise<void> {
    this.dropSocket();
    const { metrics, producer } = this.deps;
    metrics.feedConnected.set(0);
    // Hand over what was validated: a clean stop loses nothing already
    // received while Kafka is up. Results cannot come back as messages now.
    this.sendAttempt = -1;
    this.dlqAttempt = -1;
    const deadline = this.ctx.clock.now() + 10_000;
    // A send that succeeded must not be sent again: that would duplicate it.
    const last = this.sending &&
      await withDeadline(this.sending, deadline, this.ctx.clock).catch(() =>
        undefined
      );
    if (last?.type === "sent" && last.error === undefined) {
      metrics.tradesProduced.inc(this.trades.ack());
      this.settle();
    }
    // A send still pending may yet land: resending its chunk could double it.
    const unsettled = this.sending !== undefined && last === undefined;
    const lastLetters = this.dlqSending &&
      await withDeadline(this.dlqSending, deadline, this.ctx.clock).catch(
        () => undefined,
      );
    if (lastLetters?.type === "dlqSent" && lastLetters.error === undefined) {
      metrics.dlqRecords.inc(this.letters.ack().length);
    }
    while (
      !unsettled && this.trades.length > 0 && this.ctx.clock.now() < deadline
    ) {
      const chunk = this.trades.take(this.deps.maxRequestBytes);
      try {
        await withDeadline(
          producer.sendTradeRecords(chunk),
          deadline,
          this.ctx.clock,
        );
        this.trades.ack();
        metrics.tradesProduced.inc(chunk.length);
        this.settle();
      } catch {
        break;
      }
    }
    while (this.letters.length > 0 && this.ctx.clock.now() < deadline) {
      const chunk = this.letters.take(this.deps.maxRequestBytes);
      try {
        // Letters get one bounded try each: they must not delay the stop.
        await withDeadline(
          producer.sendLetterRecords(chunk),
          Math.min(deadline, this.ctx.clock.now() + this.deps.produceTimeoutMs),
          this.ctx.clock,
        );
        this.letters.ack();
        metrics.dlqRecords.inc(chunk.length);
      } catch {
        break;
      }
    }
    // Trades not taken stay unsettled in the journal: the next start
    // recovers them.
    const lost = this.trades.drain();
    const lostLetters = this.letters.drain().length;
    if (lost > 0) metrics.tradesDropped.inc({ reason: "shutdown" }, lost);
    if (lostLetters > 0) {
      metrics.dlqDropped.inc({ reason: "shutdown" }, lostLetters);
    }
    if (lost + lostLetters > 0) {
      this.ctx.log.error("stopped with records Kafka did not take", {
        trades: lost,
        letters: lostLetters,
      });
    }
    this.updateGauges();
  }

  private connect(): void {
    this.dropSocket();
    const conn = ++this.conn;
    this.connects++;
    if (this.connects > 1) this.deps.metrics.feedReconnects.inc();
    this.lastSeen = this.ctx.clock.now();
    const { self, clock } = this.ctx;
    const { maxFrameBytes, dlqMaxRawChars, metrics } = this.deps;
    const gate = this.gate;
    const tell = (m: IngestMsg) => self.tell(m).catch(() => {});
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.deps.url);
    } catch (e) {
      this.onClosed(String(e));
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    const journal = this.deps.journal;
    ws.onopen = () => tell({ type: "opened", conn });
    ws.onmessage = (e) => {
      const at = clock.now();
      let data: string;
      let bytes: number;
      let kind: "text" | "binary" | "oversize";
      if (typeof e.data === "string") {
        bytes = e.data.length;
        kind = bytes > maxFrameBytes ? "oversize" : "text";
        // Only the start of an oversize frame travels on: it is not parsed.
        data = kind === "oversize" ? e.data.slice(0, dlqMaxRawChars) : e.data;
      } else {
        const buf = new Uint8Array(e.data as ArrayBuffer);
        bytes = buf.byteLength;
        kind = "binary";
        data = `base64:${toBase64(buf.subarray(0, dlqMaxRawChars))}`;
      }
      const held = kind === "text" ? bytes : data.length;
      if (!gate.tryReserve(held)) {
        metrics.feedFramesDropped.inc();
        return;
      }
      // Written before it is queued: from here on a SIGKILL cannot lose it.
      const seq = kind === "text" && journal
        ? journal.appendFrame(data, at)
        : 0;
      tell({ type: "frame", conn, data, bytes: held, kind, at, seq });
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
    // Frames already received keep arriving as messages; only new ones stop.
    ws.onopen =
      ws.onerror =
      ws.onclose =
      ws.onmessage =
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
    this.conn++; // stale open/close events of the old socket are ignored from here on
    if (this.connected) this.deps.metrics.feedConnected.set(0);
    this.connected = false;
    const ceiling = backoffCeiling(
      { ...this.deps.backoff, resetAfterMs: 0 },
      this.attempt,
    );
    const delay = Math.floor(this.random() * ceiling);
    this.attempt = Math.min(this.attempt + 1, 30);
    this.ctx.log.warn("feed disconnected; reconnecting", {
      feed: this.deps.description,
      detail: this.deps.scrub(detail),
      delayMs: delay,
    });
    this.ctx.timers.startSingle("reconnect", { type: "connect" }, delay);
  }

  /**
   * Not renewed in time (Kafka unreachable, or this process was frozen):
   * another instance may own these symbols by now, so give them all up.
   */
  private lapseIfOverdue(at: number): void {
    if (this.owned.size === 0 || at <= this.leaseUntil) return;
    this.ctx.log.warn("ingest lease lapsed; giving every symbol up");
    this.own([]);
  }

  private onFrame(msg: Extract<IngestMsg, { type: "frame" }>): void {
    const { metrics } = this.deps;
    // A frame past the lease unsubscribes at once, not at the next check.
    this.lapseIfOverdue(msg.at);
    this.lastSeen = this.ctx.clock.now();
    metrics.feedLastMessage.set(this.lastSeen / 1000);
    if (msg.kind === "binary") {
      metrics.feedMessages.inc({ type: "invalid_json" });
      this.reject(
        msg.data,
        "binary_frame",
        "binary frame; Finnhub sends text frames only",
        msg.at,
      );
      return this.dlqPump();
    }
    if (msg.kind === "oversize") {
      metrics.feedMessages.inc({ type: "invalid_json" });
      this.reject(
        msg.data,
        "too_large",
        `frame of ${msg.bytes} characters exceeds FEED_MAX_FRAME_BYTES (${this.deps.maxFrameBytes}); not parsed`,
        msg.at,
      );
      return this.dlqPump();
    }
    if (this.wouldOverflow(msg.bytes)) {
      const count = countTradesUnparsed(msg.data);
      if (count !== undefined) return this.shed(count, msg);
    } else if (this.shedCount > 0) {
      this.ctx.log.warn("ingest caught up; stopped shedding", {
        shed: this.shedCount,
      });
      this.shedCount = 0;
    }
    const message = parseFeedMessage(msg.data);
    switch (message.kind) {
      case "ping":
        metrics.feedMessages.inc({ type: "ping" });
        return;
      case "error":
        metrics.feedMessages.inc({ type: "error" });
        metrics.feedErrors.inc({ kind: message.errorKind });
        this.ctx.log.error("feed reported an error", {
          msg: this.deps.scrub(message.msg),
          kind: message.errorKind,
        });
        return;
      case "unknown":
        metrics.feedMessages.inc({ type: "unknown" });
        this.reject(
          msg.data,
          "unknown_type",
          `unknown frame type ${JSON.stringify(message.type.slice(0, 64))}`,
          msg.at,
        );
        return this.dlqPump();
      case "invalid_json":
        metrics.feedMessages.inc({ type: "invalid_json" });
        this.reject(msg.data, message.reason, message.detail, msg.at);
        return this.dlqPump();
      case "trades":
        break;
    }
    this.tradeFrameReceived(msg, message.data.length);
    let droppedNow = 0;
    const bySymbol = new Map<string, number>();
    const sink: TradeSink = {
      accept: (record, symbol) => {
        bySymbol.set(symbol, (bySymbol.get(symbol) ?? 0) + 1);
        this.pushed++;
        droppedNow += this.trades.push(record);
      },
      reject: (raw, reason, detail) => this.reject(raw, reason, detail, msg.at),
      notOwned: () => metrics.tradesNotOwned.inc(),
    };
    acceptTrades(message.data, msg.at, this.deps, {
      owned: this.owned,
      released: this.released,
      leaseUntil: this.leaseUntil,
    }, sink);
    // One labelled increment per symbol and frame, not per trade.
    for (const [symbol, n] of bySymbol) {
      metrics.tradesBySymbol.inc({ symbol }, n);
    }
    if (droppedNow > 0) {
      metrics.tradesDropped.inc({ reason: "buffer_full" }, droppedNow);
      this.lastDropAt = this.ctx.clock.now();
      this.ctx.log.warn("ingest buffer full; dropped the oldest trades", {
        dropped: droppedNow,
        bufferBytes: this.deps.bufferBytes,
      });
    }
    this.pump();
    this.dlqPump();
  }

  /**
   * Kafka is up but slower than the feed, and a frame of `bytes` would not
   * fit in the trade buffer: it is shed unread (counted, reason `shed`)
   * rather than parsed, validated and encoded only for as many of the oldest
   * buffered trades to be dropped for it. The same number is lost either
   * way; shedding spends the CPU on what can still be written, where
   * drop-oldest let a flood starve the rest of the pipeline. While Kafka is
   * down the buffer keeps its drop-oldest order: after an outage the
   * freshest trades are the ones worth producing.
   */
  private wouldOverflow(bytes: number): boolean {
    return this.kafkaHealthy &&
      this.trades.bytes + bytes > this.deps.bufferBytes;
  }

  /** What every trade frame counts, read or shed: it arrived, with `trades`. */
  private tradeFrameReceived(
    msg: Extract<IngestMsg, { type: "frame" }>,
    trades: number,
  ): void {
    this.deps.metrics.feedMessages.inc({ type: "trade" });
    this.deps.metrics.tradesReceived.inc(trades);
    // A connection that delivers data has proven itself: start back-off afresh.
    if (msg.conn === this.conn) this.attempt = 0;
    this.lastTradeFrameAt = msg.at;
  }

  /** Drops a trade frame unread, counting its `count` trades (see `wouldOverflow`). */
  private shed(count: number, msg: Extract<IngestMsg, { type: "frame" }>) {
    const { metrics } = this.deps;
    this.tradeFrameReceived(msg, count);
    if (count === 0) return;
    metrics.tradesDropped.inc({ reason: "shed" }, count);
    this.lastDropAt = this.ctx.clock.now();
    if (this.shedCount === 0) {
      this.ctx.log.warn(
        "ingest buffer full while Kafka is up; shedding trade frames unread until it has room",
        { bufferBytes: this.deps.bufferBytes },
      );
    }
    this.shedCount += count;
    this.pump();
  }

  /** Subscribes what is newly owned and unsubscribes what is not owned any more. */
  private own(symbols: string[]): void {
    const next = new Set(symbols.filter((s) => this.symbols.has(s)));
    const had = this.owned.size > 0;
    // Give up first: the next owner may subscribe as soon as we have.
    for (const s of [...this.owned]) {
      if (next.has(s)) continue;
      this.owned.delete(s);
      this.released.add(s);
      this.subscription("unsubscribe", s);
    }
    for (const s of next) {
      if (this.owned.has(s)) continue;
      this.owned.add(s);
      this.released.delete(s);
      this.subscription("subscribe", s);
    }
    const now = this.ctx.clock.now();
    if (this.owned.size === 0) {
      if (had) this.releasedAt ??= now;
    } else if (this.releasedAt !== undefined) {
      this.deps.metrics.ingestHandoverSeconds.observe(
        (now - this.releasedAt) / 1000,
      );
      this.releasedAt = undefined;
    }
    this.deps.metrics.ingestOwnedSymbols.set(this.owned.size);
    this.ctx.log.info("ingest symbols owned", { symbols: this.owned.size });
    this.journalOwnership();
  }

  /** What the journal records of the ownership: recovery decides by it. */
  private ownership() {
    return {
      owned: [...this.owned],
      released: [...this.released],
      leaseUntil: this.leaseUntil,
    };
  }

  /** Frames after the last one read are decided by the ownership from now on. */
  private journalOwnership(): void {
    this.deps.journal?.state(this.lastFrameSeq, this.ownership());
  }

  /** A frame was read: it is settled once the trades it pushed are. */
  private frameRead(seq: number): void {
    if (seq === 0) return;
    this.lastFrameSeq = seq;
    this.unsettled.push(seq, this.pushed);
    this.settle();
  }

  /**
   * Marks settled in the journal every frame whose trades have all left the
   * buffer (acknowledged by Kafka, or dropped and counted). The buffer is
   * first in, first out, so they are a prefix of the frames read.
   */
  private settle(): void {
    const seq = this.unsettled.popThrough(this.pushed - this.trades.length);
    if (seq > 0) this.deps.journal?.settled(seq);
  }

  private subscription(type: "subscribe" | "unsubscribe", symbol: string) {
    if (!this.connected || this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ type, symbol }));
  }

  /** Queues a dead letter for `raw` (bounded, scrubbed) and counts the reject. */
  private reject(
    raw: unknown,
    reason: RejectReason,
    detail: string,
    at: number,
  ): void {
    this.deps.metrics.tradesRejected.inc({ reason });
    let record: EncodedRecord;
    try {
      const letter = boundedDeadLetter(
        raw,
        reason,
        detail,
        at,
        this.deps.dlqMaxRawChars,
      );
      letter.raw = this.deps.scrub(letter.raw as string);
      letter.detail = this.deps.scrub(letter.detail);
      record = letterRecord(letter);
    } catch {
      this.deps.metrics.dlqDropped.inc({ reason: "unserialisable" });
      return;
    }
    if (record.bytes > this.deps.maxRequestBytes) {
      this.deps.metrics.dlqDropped.inc({ reason: "too_large" });
      return;
    }
    const dropped = this.letters.push(record).length;
    if (dropped > 0) this.dropLetters("queue_full", dropped);
  }

  private dropLetters(reason: DlqDropReason, n: number): void {
    this.deps.metrics.dlqDropped.inc({ reason }, n);
  }

  private pump(): void {
    this.updateGauges();
    if (this.sending || this.trades.length === 0) return;
    // After a failure new frames wait for the back-off like the retry does.
    if (this.retryDue !== undefined && this.ctx.clock.now() < this.retryDue) {
      return;
    }
    const chunk = this.trades.take(this.deps.maxRequestBytes);
    if (chunk.length === 0) return;
    const attempt = ++this.attempts;
    this.sendAttempt = attempt;
    const started = performance.now();
    const self = this.ctx.self;
    this.ctx.timers.startSingle(
      "overdue",
      { type: "overdue", attempt },
      this.deps.produceTimeoutMs,
    );
    this.sending = this.deps.producer.sendTradeRecords(chunk).then(
      (): IngestMsg => ({
        type: "sent",
        attempt,
        ms: performance.now() - started,
      }),
      (e): IngestMsg => ({
        type: "sent",
        attempt,
        ms: performance.now() - started,
        error: String(e instanceof Error ? e.message : e),
      }),
    ).then((m: IngestMsg) => {
      self.tell(m).catch(() => {});
      return m;
    });
  }

  private onSent(msg: Extract<IngestMsg, { type: "sent" }>): void {
    if (msg.attempt !== this.sendAttempt) return;
    this.sending = undefined;
    this.ctx.timers.cancel("overdue");
    const { metrics } = this.deps;
    if (msg.error === undefined) {
      metrics.tradesProduced.inc(this.trades.ack());
      this.settle();
      metrics.produceDuration.observe(msg.ms / 1000);
      if (this.sendFailures > 0) {
        this.ctx.log.info("Kafka takes trades again; draining the buffer", {
          failedAttempts: this.sendFailures,
          buffered: this.trades.length,
        });
      }
      this.sendFailures = 0;
      this.retryDue = undefined;
      this.setHealthy(true);
      return this.pump();
    }
    metrics.produceErrors.inc();
    this.setHealthy(false);
    this.sendFailures++;
    // One line per outage and then one per 20 failures, not one per retry.
    if (this.sendFailures === 1 || this.sendFailures % 20 === 0) {
      this.ctx.log.error(
        "Kafka produce failed; trades buffer and retry in order",
        {
          error: this.deps.scrub(msg.error),
          failedAttempts: this.sendFailures,
          buffered: this.trades.length,
          bufferedBytes: this.trades.bytes,
        },
      );
    }
    const delay = backoffCeiling(PRODUCE_RETRY, this.sendFailures);
    this.retryDue = this.ctx.clock.now() + delay;
    this.ctx.timers.startSingle("pump", { type: "pump" }, delay);
    this.updateGauges();
  }

  private dlqPump(): void {
    if (this.dlqSending || this.letters.length === 0) return;
    const chunk = this.letters.take(this.deps.maxRequestBytes);
    if (chunk.length === 0) return;
    const attempt = ++this.attempts;
    this.dlqAttempt = attempt;
    const self = this.ctx.self;
    const timeoutMs = this.deps.produceTimeoutMs;
    // A hanging DLQ send must not hold its slot forever: give up after the time-out.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`DLQ send overdue after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    this.dlqSending = Promise.race([
      this.deps.producer.sendLetterRecords(chunk),
      overdue,
    ]).then(
      (): IngestMsg => ({ type: "dlqSent", attempt }),
      (e): IngestMsg => ({
        type: "dlqSent",
        attempt,
        error: String(e instanceof Error ? e.message : e),
      }),
    ).then((m: IngestMsg) => {
      clearTimeout(timer);
      self.tell(m).catch(() => {});
      return m;
    });
  }

  private onDlqSent(msg: Extract<IngestMsg, { type: "dlqSent" }>): void {
    if (msg.attempt !== this.dlqAttempt) return;
    this.dlqSending = undefined;
    const { metrics } = this.deps;
    if (msg.error === undefined) {
      metrics.dlqRecords.inc(this.letters.ack().length);
      this.dlqTries = 0;
      this.updateGauges();
      return this.dlqPump();
    }
    if (/overdue/.test(msg.error)) {
      metrics.produceTimeouts.inc({ topic: "dlq" });
    }
    this.dlqTries++;
    if (this.dlqTries >= DLQ_TRIES) {
      const lost = this.letters.ack().length;
      this.dropLetters("send_failed", lost);
      this.dlqTries = 0;
      this.ctx.log.error("dead letters dropped after failed sends", {
        letters: lost,
        tries: DLQ_TRIES,
        error: this.deps.scrub(msg.error),
      });
    }
    this.updateGauges();
    this.ctx.timers.startSingle("dlqPump", { type: "dlqPump" }, 500);
  }

  private setHealthy(healthy: boolean): void {
    this.kafkaHealthy = healthy;
    this.deps.metrics.kafkaProducerHealthy.set(healthy ? 1 : 0);
  }

  private updateGauges(): void {
    const { metrics } = this.deps;
    metrics.ingestBufferBytes.set(this.trades.bytes);
    metrics.ingestBufferTrades.set(this.trades.length);
    metrics.dlqQueueBytes.set(this.letters.bytes);
  }
}

/** Frames read, each with the count of trades pushed once it was read. */
class SettleQueue {
  #seqs: number[] = [];
  #ends: number[] = [];
  #head = 0;

  push(seq: number, end: number): void {
    this.#seqs.push(seq);
    this.#ends.push(end);
  }

  /** Removes the frames whose trades are all among the first `left`; returns the last one's seq (0: none). */
  popThrough(left: number): number {
    let seq = 0;
    while (this.#head < this.#seqs.length && this.#ends[this.#head] <= left) {
      seq = this.#seqs[this.#head++];
    }
    if (this.#head > 1024 && this.#head * 2 > this.#seqs.length) {
      this.#seqs = this.#seqs.slice(this.#head);
      this.#ends = this.#ends.slice(this.#head);
      this.#head = 0;
    }
    return seq;
  }
}

/** `p`, or a rejection once the clock passes `deadline`. */
async function withDeadline<T>(
  p: Promise<T>,
  deadline: number,
  clock: { now(): number },
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("flush deadline passed")),
          Math.max(0, deadline - clock.now()),
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}
