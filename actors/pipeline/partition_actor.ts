/**
 * One actor per assigned Kafka partition. It writes raw trades through the
 * writers, routes them to per-symbol window actors (its children), has final
 * candles rebuilt from stored trades once they are durable, and commits the
 * partition's offset only below everything not yet durable or still needed.
 * Any failure in its subtree restarts it, and a restart rewinds the
 * partition to the committed offset: replay rebuilds exactly what was lost.
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
import { decodeTrade, toDeadLetter } from "../trade/mod.ts";
import type { Candle, DeadLetter, LoggedTrade } from "../trade/types.ts";
import { windowStartOf } from "../window/mod.ts";
import { OffsetTracker } from "./offset_tracker.ts";
import {
  type WindowMsg,
  windowProps,
  type WindowReport,
  type WindowSettings,
} from "./window_actor.ts";
import type { WriterPool } from "./writer_actor.ts";

/** Messages of a partition actor. */
export type PartitionMsg =
  | { type: "batch"; batch: LogBatch }
  | { type: "tick" }
  | { type: "flush" }
  | { type: "write-failed" };

/** What a partition actor needs. */
export interface PartitionDeps {
  source: TradeSource;
  writers: WriterPool;
  metrics: PipelineMetrics;
  /** Writes records that cannot be decoded to the dead-letter topic. */
  deadLetters: (letters: DeadLetter[]) => Promise<void>;
  window: WindowSettings;
  provisionalIntervalMs: number;
  commitIntervalMs: number;
  /** Raw-trade writes in flight before the actor waits for one. */
  maxInFlightWrites: number;
  /** How long a write may take before the partition gives up and replays. */
  writeTimeoutMs: number;
}

interface FinalJob {
  symbol: string;
  windowStart: number;
  windowEnd: number;
  /** Commit stays below this until the final candle is written. */
  hold: number;
  /** Runs once every offset up to this one is durable. */
  needWritten: number;
  /** The window actor's candle; absent for a late trade, whose window is rebuilt from the store. */
  candle?: Candle;
}

const TICK_MS = 100;

/**
 * Builds the props of the actor for `partition`.
 *
 * @example
 * ```ts ignore
 * const ref = await ctx.spawn(`partition-${p}`, partitionProps(p, deps));
 * await ref.tell({ type: "batch", batch });
 * ```
 */
export function partitionProps(
  partition: number,
  deps: PartitionDeps,
): ActorProps<PartitionMsg> {
  return {
    kind: "partition",
    restart: "transient",
    mailbox: { capacity: 8, overflow: "backpressure" },
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
  private tracker = new OffsetTracker(0);
  private readonly inflight = new Set<Promise<void>>();
  private writeError: unknown;
  private readonly holds = new Map<string, number>();
  /** Final candles waiting for their trades to be durable, by symbol and window. */
  private readonly jobs = new Map<string, FinalJob>();
  /** Final candles being written; they hold the commit until done. */
  private readonly running = new Set<FinalJob>();
  private lastProvisional = 0;
  private lastCommit = 0;
  private readonly label: { partition: string };

  constructor(
    private readonly partition: number,
    private readonly deps: PartitionDeps,
    private readonly ctx: ActorContext<PartitionMsg>,
  ) {
    this.label = { partition: String(partition) };
  }

  async preStart(): Promise<void> {
    const { epoch, offset } = await this.deps.source.rewind(this.partition);
    this.epoch = epoch;
    this.nextExpected = offset;
    this.tracker = new OffsetTracker(offset);
    this.lastProvisional = this.lastCommit = this.ctx.clock.now();
    this.ctx.timers.startPeriodic("tick", { type: "tick" }, TICK_MS);
    this.ctx.log.info("partition started", {
      partition: this.partition,
      from: offset,
      epoch,
    });
  }

  async receive(msg: PartitionMsg): Promise<void> {
    if (this.writeError !== undefined) throw this.writeError;
    switch (msg.type) {
      case "batch":
        return await this.onBatch(msg.batch);
      case "tick":
        return await this.onTick();
      case "flush":
        return await this.flush();
      case "write-failed":
        return; // the check above already threw
    }
  }

  async postStop(): Promise<void> {
    // Leaving cleanly (revocation, shutdown): make what we hold durable and commit it.
    if (this.epoch < 0 || this.writeError !== undefined) return;
    try {
      await this.flush();
    } catch (e) {
      this.ctx.log.warn("flush on stop failed; the next owner replays", {
        error: String(e),
      });
    }
  }

  private async onBatch(batch: LogBatch): Promise<void> {
    if (batch.epoch !== this.epoch) return; // fetched before our rewind
    const records = batch.records.filter((r) => r.offset >= this.nextExpected);
    if (records.length === 0) return;
    const first = records[0].offset;
    const last = records[records.length - 1].offset;
    this.nextExpected = last + 1;
    this.deps.metrics.recordsConsumed.inc(this.label, records.length);
    this.deps.metrics.consumerLag.set(
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
          "not_an_object",
          `undecodable Kafka record: ${(e as Error).message}`,
          now,
        ));
      }
    }
    if (letters.length > 0) {
      await this.deps.deadLetters(letters);
      this.deps.metrics.dlqRecords.inc(letters.length);
      this.ctx.log.warn("undecodable records sent to the dead-letter topic", {
        count: letters.length,
      });
    }

    await this.startWrite(first, last, trades);
    await this.routeToWindows(trades, now);
    this.dispatchFinals();
  }

  private async startWrite(
    first: number,
    last: number,
    trades: LoggedTrade[],
  ): Promise<void> {
    while (this.inflight.size >= this.deps.maxInFlightWrites) {
      await Promise.race(this.inflight);
    }
    const span = this.tracker.received(first, last);
    if (trades.length === 0) {
      this.tracker.written(span);
      return;
    }
    const writer = this.deps.writers.forTrades();
    const write: Promise<void> = writer.ask<void>({ type: "trades", trades }, {
      timeoutMs: this.deps.writeTimeoutMs,
    }).then(
      () => this.tracker.written(span),
      (e) => this.fail(e),
    ).finally(() => this.inflight.delete(write));
    this.inflight.add(write);
  }

  private fail(error: unknown): void {
    this.writeError ??= error;
    // Wake the actor so the failure reaches the supervisor even when idle.
    this.ctx.self.tell({ type: "write-failed" }).catch(() => {});
  }

  private async routeToWindows(
    trades: LoggedTrade[],
    now: number,
  ): Promise<void> {
    const bySymbol = new Map<string, LoggedTrade[]>();
    for (const t of trades) {
      let list = bySymbol.get(t.symbol);
      if (!list) bySymbol.set(t.symbol, list = []);
      list.push(t);
    }
    const reports = await Promise.all(
      [...bySymbol].map(async ([symbol, list]) => {
        // Hold the batch's offsets until the window reports what it keeps.
        const prior = this.holds.get(symbol);
        this.holds.set(symbol, Math.min(prior ?? Infinity, list[0].offset));
        const report = await this.askWindow(symbol, {
          type: "trades",
          trades: list,
          now,
        });
        return [symbol, report] as const;
      }),
    );
    for (const [symbol, report] of reports) {
      this.applyReport(symbol, report);
    }
  }

  private async askWindow(
    symbol: string,
    msg: WindowMsg,
  ): Promise<WindowReport> {
    const name = `window-${encodeURIComponent(symbol)}`;
    let ref = this.ctx.child<WindowMsg>(name);
    if (!ref || !ref.alive) {
      ref = await this.ctx.spawn(name, windowProps(symbol, this.deps.window));
    }
    try {
      return await ref.ask<WindowReport>(msg, { timeoutMs: 30_000 });
    } catch (e) {
      if (ref.alive) throw e;
      // Passivated between lookup and ask: start it again and resend.
      const fresh = await this.ctx.spawn(
        name,
        windowProps(symbol, this.deps.window),
      );
      return await fresh.ask<WindowReport>(msg, { timeoutMs: 30_000 });
    }
  }

  private applyReport(symbol: string, report: WindowReport): void {
    const { metrics } = this.deps;
    if (report.hold === undefined) this.holds.delete(symbol);
    else this.holds.set(symbol, report.hold);
    const needWritten = this.tracker.nextOffset() - 1;
    for (const w of report.closed) {
      this.addJob(
        symbol,
        w.windowStart,
        w.windowEnd,
        report.hold ?? needWritten,
        needWritten,
        w.candle,
      );
    }
    if (report.late.length > 0) {
      metrics.lateTrades.inc(report.late.length);
      for (const t of report.late) {
        const size = this.deps.window.sizeMs;
        const start = windowStartOf(t.timestamp, size);
        this.addJob(
          symbol,
          start,
          start + size,
          t.offset,
          needWritten,
          undefined,
        );
      }
    }
    if (report.provisional.length > 0) {
      const rows = report.provisional.map((candle) => ({
        candle,
        isFinal: false,
      }));
      this.deps.writers.forSymbol(symbol).tell({ type: "candles", rows }).catch(
        (e) =>
          this.ctx.log.warn("provisional candle not queued", {
            error: String(e),
          }),
      );
    }
  }

  private addJob(
    symbol: string,
    windowStart: number,
    windowEnd: number,
    hold: number,
    needWritten: number,
    candle: Candle | undefined,
  ): void {
    const key = `${symbol}\u0000${windowStart}`;
    const job = this.jobs.get(key);
    if (job) {
      job.hold = Math.min(job.hold, hold);
      job.needWritten = Math.max(job.needWritten, needWritten);
      // A late trade joined: only the store knows the whole window now.
      if (!candle) job.candle = undefined;
    } else {
      this.jobs.set(key, {
        symbol,
        windowStart,
        windowEnd,
        hold,
        needWritten,
        candle,
      });
    }
  }

  /**
   * Sends every job whose trades are durable to its symbol's writer. One
   * writer per symbol handles them in order, so a job sent after a running
   * one for the same window reads the store after it.
   */
  private dispatchFinals(): void {
    const durable = this.tracker.firstUnwritten();
    for (const [key, job] of this.jobs) {
      if (job.needWritten >= durable) continue;
      this.jobs.delete(key);
      this.running.add(job);
      const writer = this.deps.writers.forSymbol(job.symbol);
      const run: Promise<void> = writer.ask({
        type: "final",
        symbol: job.symbol,
        windowStart: job.windowStart,
        windowEnd: job.windowEnd,
        candle: job.candle,
      }, { timeoutMs: this.deps.writeTimeoutMs }).then(
        () => {
          this.running.delete(job);
          if (!job.candle) {
            this.deps.metrics.candlesEmitted.inc({ state: "recomputed" });
          }
        },
        (e) => this.fail(e),
      ).finally(() => this.inflight.delete(run));
      this.inflight.add(run);
    }
  }

  private async onTick(): Promise<void> {
    const now = this.ctx.clock.now();
    const provisional =
      now - this.lastProvisional >= this.deps.provisionalIntervalMs;
    if (provisional) this.lastProvisional = now;
    // Ticks go only to windows holding something; idle ones passivate.
    const busy = [...this.holds.keys()];
    const reports = await Promise.all(
      busy.map(async (symbol) =>
        [
          symbol,
          await this.askWindow(symbol, { type: "tick", now, provisional }),
        ] as const
      ),
    );
    for (const [symbol, report] of reports) {
      this.applyReport(symbol, report);
    }
    this.dispatchFinals();
    if (now - this.lastCommit >= this.deps.commitIntervalMs) {
      this.lastCommit = now;
      await this.commit();
    }
  }

  private committable(): number {
    const holds = [...this.holds.values()];
    for (const job of this.jobs.values()) holds.push(job.hold);
    for (const job of this.running) holds.push(job.hold);
    return this.tracker.committable(holds);
  }

  private async commit(): Promise<void> {
    try {
      await this.deps.source.commit(this.partition, this.committable());
    } catch (e) {
      // Losing a commit only means a longer replay; the rows are idempotent.
      this.ctx.log.warn("offset commit failed", { error: String(e) });
    }
  }

  private async flush(): Promise<void> {
    // Terminates: once the writes land every job is ready, and jobs add no writes.
    while (this.inflight.size > 0 || this.readyJobs()) {
      this.dispatchFinals();
      if (this.inflight.size > 0) await Promise.race(this.inflight);
      if (this.writeError !== undefined) throw this.writeError;
    }
    await this.commit();
  }

  private readyJobs(): boolean {
    const durable = this.tracker.firstUnwritten();
    for (const job of this.jobs.values()) {
      if (job.needWritten < durable) return true;
    }
    return false;
  }
}

/** The ref type of a partition actor. */
export type PartitionRef = ActorRef<PartitionMsg>;
