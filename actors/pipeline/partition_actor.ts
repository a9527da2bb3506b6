/**
 * One actor per assigned Kafka partition. For each batch it sends the raw
 * trades to a writer and tells each symbol's window actor (its child) its
 * trades; writers and windows answer with messages, which feed one
 * {@linkcode CommitGate} that decides what may be committed. Nothing here
 * waits for an answer inside a handler: the partition admits the next
 * batch only while it has room (writes in flight, unanswered window
 * messages, pending rebuilds), and that admission is the back-pressure that
 * holds Kafka's fetch loop. A write that failed for good, or a window that
 * failed, restarts this actor, which rewinds the partition to its committed
 * offset: the replay rebuilds exactly what was lost.
 *
 * @module
 */
import type {
  Actor,
  ActorContext,
  ActorProps,
  ActorRef,
} from "../../runtime/types.ts";
import type { LogBatch, TradeSource } from "../kafka/trade_log.ts";
import type { PipelineMetrics } from "../metrics/mod.ts";
import { decodeTrade, toDeadLetter, TradeDecodeError } from "../trade/mod.ts";
import type { DeadLetter, LoggedTrade } from "../trade/types.ts";
import { CommitGate, type SpanId } from "./commit_gate.ts";
import {
  type WindowMsg,
  windowProps,
  type WindowReport,
  type WindowSettings,
} from "./window_actor.ts";
import type { WriteDone, WriterRouter } from "./writer_actor.ts";

/** A batch from the consumer; `admitted` is called once the partition has taken it on. */
export interface BatchMsg {
  type: "batch";
  batch: LogBatch;
  admitted: () => void;
}

/** Messages of a partition actor. */
export type PartitionMsg =
  | BatchMsg
  | WindowReport
  | WriteDone
  | LogEndMsg
  | InFlightShareMsg
  | { type: "tick" };

/** This partition's new share of the instance's trades in flight. */
export interface InFlightShareMsg {
  type: "in-flight-share";
  maxTrades: number;
}

/** Where the log ended at `asOf` (clock ms): `offset` is the next record's. */
export interface LogEndMsg {
  type: "log-end";
  offset: number;
  asOf: number;
}

/** What a partition actor needs. */
export interface PartitionDeps {
  source: TradeSource;
  writers: WriterRouter;
  metrics: PipelineMetrics;
  /** Writes records that cannot be decoded to the dead-letter topic. */
  deadLetters: (letters: DeadLetter[]) => Promise<void>;
  window: WindowSettings;
  commitIntervalMs: number;
  /** Raw-trade writes in flight before the next batch waits. */
  maxInFlightWrites: number;
  /**
   * Trades admitted and not yet durable before the next batch waits. Writes
   * are counted too, but a write can hold a whole fetched batch: this bound
   * is what keeps the decoded trades' memory small while Cassandra lags.
   * The consumer gives each partition its share of one instance-wide bound
   * and changes it as partitions come and go ({@linkcode InFlightShareMsg}).
   */
  maxInFlightTrades: number;
  /** Unanswered trades messages per window before the next batch waits. */
  maxUnackedPerWindow: number;
  /** Late minutes waiting to be rebuilt before the next batch waits. */
  maxPendingRebuilds: number;
  /** Stop a window actor that held nothing for this long. */
  windowIdleMs: number;
}

type Pending =
  | { kind: "trades"; span: SpanId; count: number }
  | { kind: "rebuild"; symbol: string; windowStart: number };

interface WindowEntry {
  ref: ActorRef<WindowMsg>;
  seq: number;
  idleSince: number | undefined;
}

/**
 * Builds the props of the actor for `partition`.
 *
 * @example
 * ```ts ignore
 * const ref = await ctx.spawn(`partition-${p}`, partitionProps(p, deps));
 * await ref.tell({ type: "batch", batch, admitted: () => {} });
 * ```
 */
export function partitionProps(
  partition: number,
  deps: PartitionDeps,
): ActorProps<PartitionMsg> {
  return {
    kind: "partition",
    restart: "transient",
    // Bounded by construction: one batch at a time, answers to requests in
    // flight, and reports of windows with few unanswered messages each.
    mailbox: { capacity: 4096, overflow: "backpressure" },
    shutdownTimeoutMs: 30_000,
    supervision: {
      strategy: "one_for_one",
      // A window that fails has lost in-memory state that only a replay restores.
      decide: () => "escalate",
    },
    factory: (ctx) => new PartitionActor(partition, deps, ctx),
  };
}

class PartitionActor implements Actor<PartitionMsg> {
  private epoch = -1;
  private nextExpected = 0;
  private gate = new CommitGate(0);
  private stashed?: BatchMsg;
  private readonly pending = new Map<number, Pending>();
  private nextTag = 1;
  private batches = 0;
  private readonly windows = new Map<string, WindowEntry>();
  private lastCommit = 0;
  /** Every record appended before this time has been handed to the windows. */
  private readThrough = Number.NEGATIVE_INFINITY;
  private readonly label: { partition: string };
  private maxInFlightTrades: number;

  constructor(
    private readonly partition: number,
    private readonly deps: PartitionDeps,
    private readonly ctx: ActorContext<PartitionMsg>,
  ) {
    this.label = { partition: String(partition) };
    this.maxInFlightTrades = deps.maxInFlightTrades;
  }

  async preStart(): Promise<void> {
    const { epoch, offset } = await this.deps.source.rewind(this.partition);
    this.epoch = epoch;
    this.nextExpected = offset;
    this.gate = new CommitGate(offset);
    this.lastCommit = this.ctx.clock.now();
    this.ctx.timers.startPeriodic(
      "tick",
      { type: "tick" },
      Math.min(this.deps.commitIntervalMs, 1_000),
    );
    this.ctx.log.info("partition started", {
      partition: this.partition,
      from: offset,
      epoch,
    });
  }

  async receive(msg: PartitionMsg): Promise<void> {
    switch (msg.type) {
      case "batch":
        return await this.onBatch(msg);
      case "window-report":
        return await this.onWindowReport(msg);
      case "write-done":
        return await this.onWriteDone(msg);
      case "log-end":
        return this.onLogEnd(msg);
      case "in-flight-share":
        this.maxInFlightTrades = msg.maxTrades;
        return await this.unstash();
      case "tick":
        return await this.onTick();
    }
  }

  /** The consumer must never wait on a batch this incarnation will not handle. */
  preRestart(): void {
    this.releaseStash();
  }

  async postStop(): Promise<void> {
    this.releaseStash();
    // The next owner reports this partition's lag; a stale value here would linger.
    this.deps.metrics.consumerLag.remove(this.label);
    // Leaving (revocation, shutdown): commit what is safe; the next owner replays the rest.
    if (this.epoch >= 0) await this.commit();
  }

  private releaseStash(): void {
    this.stashed?.admitted();
    this.stashed = undefined;
  }

  private async onBatch(msg: BatchMsg): Promise<void> {
    if (msg.batch.epoch !== this.epoch) {
      msg.admitted(); // fetched before our rewind: dropped, fetched again
      return;
    }
    if (this.stashed) {
      // The consumer sends one batch at a time and waits for admission.
      throw new Error(
        `partition ${this.partition} got a batch while one waits for room; ` +
          `the consumer must await admitted() before the next`,
      );
    }
    if (!this.hasRoom()) {
      this.stashed = msg;
      return;
    }
    await this.dispatch(msg.batch);
    msg.admitted();
  }

  /**
   * Once every record below the log's end has been dispatched, nothing
   * appended before `asOf` can still come: the windows may close quiet
   * minutes up to then. While this partition lags (a batch waits for room,
   * or the fetch loop is behind) they must not, or the trades still in the
   * log would all arrive late and each minute be rebuilt from the store.
   */
  private onLogEnd(msg: LogEndMsg): void {
    if (this.nextExpected < msg.offset || msg.asOf <= this.readThrough) return;
    this.readThrough = msg.asOf;
    for (const entry of this.windows.values()) {
      entry.ref.tell({ type: "read-through", at: msg.asOf }).catch(() => {});
    }
  }

  /** Trades sent to a writer and not yet answered. */
  private get tradesInFlight(): number {
    let n = 0;
    for (const job of this.pending.values()) {
      if (job.kind === "trades") n += job.count;
    }
    return n;
  }

  private hasRoom(): boolean {
    if (this.gate.writesInFlight >= this.deps.maxInFlightWrites) return false;
    if (this.tradesInFlight >= this.maxInFlightTrades) return false;
    if (this.gate.rebuildsPending >= this.deps.maxPendingRebuilds) return false;
    for (const symbol of this.windows.keys()) {
      if (this.gate.unacked(symbol) >= this.deps.maxUnackedPerWindow) {
        return false;
      }
    }
    return true;
  }

  private async unstash(): Promise<void> {
    const msg = this.stashed;
    if (!msg || !this.hasRoom()) return;
    this.stashed = undefined;
    await this.dispatch(msg.batch);
    msg.admitted();
  }

  private async dispatch(batch: LogBatch): Promise<void> {
    const records = batch.records.filter((r) => r.offset >= this.nextExpected);
    if (records.length === 0) return;
    const first = records[0].offset;
    const last = records[records.length - 1].offset;
    this.nextExpected = last + 1;
    const { metrics } = this.deps;
    metrics.recordsConsumed.inc(this.label, records.length);
    metrics.consumerLag.set(
      this.label,
      Math.max(0, batch.highWatermark - last - 1),
    );

    const trades: LoggedTrade[] = [];
    const letters: DeadLetter[] = [];
    const now = this.ctx.clock.now();
    for (const r of records) {
      try {
        trades.push({
          ...decodeTrade(r.value ?? ""),
          partition: this.partition,
          offset: r.offset,
        });
      } catch (e) {
        letters.push(toDeadLetter(
          {
            partition: this.partition,
            offset: r.offset,
            value: r.value ? new TextDecoder().decode(r.value) : null,
          },
          e instanceof TradeDecodeError ? e.reason : "not_an_object",
          `undecodable Kafka record: ${(e as Error).message}`,
          now,
        ));
      }
    }
    if (letters.length > 0) {
      // Rare, and the span must not be committed before they are out.
      await this.deps.deadLetters(letters);
      metrics.dlqRecords.inc(letters.length);
      this.ctx.log.warn("undecodable records sent to the dead-letter topic", {
        count: letters.length,
      });
    }

    const span = this.gate.received(first, last);
    if (trades.length === 0) {
      this.gate.written(span);
    } else {
      const tag = this.nextTag++;
      this.pending.set(tag, { kind: "trades", span, count: trades.length });
      await this.deps.writers.forTrades(this.partition + this.batches++).tell({
        type: "trades",
        trades,
        epoch: this.epoch,
        tag,
        replyTo: this.ctx.self as ActorRef<WriteDone>,
      });
    }
    await this.routeToWindows(trades);
  }

  private async routeToWindows(trades: LoggedTrade[]): Promise<void> {
    const bySymbol = new Map<string, LoggedTrade[]>();
    for (const t of trades) {
      let list = bySymbol.get(t.symbol);
      if (!list) bySymbol.set(t.symbol, list = []);
      list.push(t);
    }
    for (const [symbol, list] of bySymbol) {
      const entry = await this.windowOf(symbol);
      const seq = ++entry.seq;
      entry.idleSince = undefined;
      this.gate.sentToWindow(symbol, seq, list[0].offset);
      await entry.ref.tell({ type: "trades", trades: list, seq });
    }
  }

  private async windowOf(symbol: string): Promise<WindowEntry> {
    let entry = this.windows.get(symbol);
    if (!entry) {
      const ref = await this.ctx.spawn<WindowMsg>(
        `window-${encodeURIComponent(symbol)}`,
        windowProps({
          symbol,
          epoch: this.epoch,
          settings: this.deps.window,
          writers: this.deps.writers,
          parent: this.ctx.self as ActorRef<WindowReport>,
        }),
      );
      entry = { ref, seq: 0, idleSince: undefined };
      this.windows.set(symbol, entry);
      if (this.readThrough > Number.NEGATIVE_INFINITY) {
        await ref.tell({ type: "read-through", at: this.readThrough });
      }
    }
    return entry;
  }

  private async onWindowReport(report: WindowReport): Promise<void> {
    if (report.epoch !== this.epoch) return; // from before a restart
    const entry = this.windows.get(report.symbol);
    if (!entry) return;
    this.gate.windowReport(report.symbol, report.seq, report.hold);
    if (report.late.length > 0) {
      this.deps.metrics.lateTrades.inc(report.late.length);
      for (const t of report.late) {
        this.gate.lateTrade(report.symbol, t.windowStart, t.offset);
      }
    }
    if (this.gate.windowIdle(report.symbol)) {
      entry.idleSince ??= this.ctx.clock.now();
    } else {
      entry.idleSince = undefined;
    }
    await this.dispatchRebuilds();
    await this.unstash();
  }

  private async onWriteDone(done: WriteDone): Promise<void> {
    if (done.epoch !== this.epoch) return; // answers a request from before a restart
    const job = this.pending.get(done.tag);
    if (!job) return;
    this.pending.delete(done.tag);
    // Failed for good: restart and replay from the committed offset.
    if (done.error !== undefined) throw done.error;
    if (job.kind === "trades") {
      this.gate.written(job.span);
    } else {
      this.gate.rebuilt(job.symbol, job.windowStart);
    }
    await this.dispatchRebuilds();
    await this.unstash();
  }

  /** Rebuilds the minutes of late trades once those trades are durable. */
  private async dispatchRebuilds(): Promise<void> {
    for (const r of this.gate.takeReadyRebuilds()) {
      const tag = this.nextTag++;
      this.pending.set(tag, { kind: "rebuild", ...r });
      await this.deps.writers.forCandles(r.symbol).tell({
        type: "rebuild",
        symbol: r.symbol,
        windowStart: r.windowStart,
        sizeMs: this.deps.window.sizeMs,
        epoch: this.epoch,
        tag,
        replyTo: this.ctx.self as ActorRef<WriteDone>,
      });
    }
  }

  private async onTick(): Promise<void> {
    const now = this.ctx.clock.now();
    await this.passivateIdleWindows(now);
    if (now - this.lastCommit >= this.deps.commitIntervalMs) {
      this.lastCommit = now;
      await this.commit();
    }
  }

  /**
   * Stops windows that held nothing for a while. Only this actor sends them
   * trades, so stopping one here cannot race a message on its way to it.
   */
  private async passivateIdleWindows(now: number): Promise<void> {
    for (const [symbol, entry] of this.windows) {
      if (
        entry.idleSince === undefined ||
        now - entry.idleSince < this.deps.windowIdleMs ||
        !this.gate.windowIdle(symbol)
      ) continue;
      this.windows.delete(symbol);
      this.gate.forgetWindow(symbol);
      await this.ctx.stopChild(entry.ref.name);
    }
  }

  private async commit(): Promise<void> {
    try {
      await this.deps.source.commit(this.partition, this.gate.committable());
    } catch (e) {
      // Losing a commit only means a longer replay; the rows are idempotent.
      this.ctx.log.warn("offset commit failed", { error: String(e) });
    }
  }
}

/** The ref type of a partition actor. */
export type PartitionRef = ActorRef<PartitionMsg>;
