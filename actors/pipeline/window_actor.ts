/**
 * Per-symbol window actors: event-time tumbling 1-minute windows around
 * {@linkcode SymbolWindows}. The partition tells them their trades; they
 * send provisional and final candles straight to a candle writer, and after
 * every message that changes what they need they report to the partition
 * (its parent) which offsets they still hold, so the partition's commit gate
 * never passes a trade a window or an unwritten final candle still needs.
 *
 * @module
 */
import type {
  Actor,
  ActorContext,
  ActorProps,
  ActorRef,
} from "../../runtime/types.ts";
import type { Candle, LoggedTrade } from "../trade/types.ts";
import { SymbolWindows, windowStartOf } from "../window/mod.ts";
import type { WriteDone, WriterRouter } from "./writer_actor.ts";

/** Messages of a window actor. */
export type WindowMsg =
  | { type: "trades"; trades: LoggedTrade[]; seq: number }
  | { type: "tick" }
  /** Every record of the partition appended before `at` has been sent here. */
  | { type: "read-through"; at: number }
  | WriteDone;

/** A trade that came after its window was final: its minute is rebuilt from the store. */
export interface LateTrade {
  windowStart: number;
  offset: number;
}

/** What a window actor tells its partition. */
export interface WindowReport {
  type: "window-report";
  symbol: string;
  /** The partition incarnation this window belongs to. */
  epoch: number;
  /** The last trades message handled. */
  seq: number;
  /** Smallest offset an open window or an unwritten final candle still needs. */
  hold: number | undefined;
  late: LateTrade[];
}

/** Settings of a window actor. */
export interface WindowSettings {
  sizeMs: number;
  latenessMs: number;
  graceMs: number;
  /** How far ahead of the wall clock one trade may move event time. */
  maxAheadMs: number;
  /** Upsert open windows' candles this often. */
  provisionalIntervalMs: number;
  /** How often the actor checks for quiet windows to close and provisionals to send. */
  tickMs: number;
  /** Test seam: called before trades are applied; throwing crashes the actor. */
  beforeTrades?: (symbol: string, trades: LoggedTrade[]) => void;
}

/** What a window actor needs. */
export interface WindowDeps {
  symbol: string;
  epoch: number;
  settings: WindowSettings;
  writers: WriterRouter;
  parent: ActorRef<WindowReport>;
}

/**
 * Builds the props of the window actor of `deps.symbol`.
 *
 * @example
 * ```ts ignore
 * const ref = await ctx.spawn("window-AAPL", windowProps({ symbol: "AAPL", epoch, settings, writers, parent: ctx.self }));
 * await ref.tell({ type: "trades", trades, seq: 1 });
 * ```
 */
export function windowProps(deps: WindowDeps): ActorProps<WindowMsg> {
  return {
    kind: "window",
    // The partition sends at most a few unanswered trades messages; the rest
    // is writer answers and ticks, so this never fills.
    mailbox: { capacity: 256, overflow: "backpressure" },
    factory: (ctx) => new WindowActor(deps, ctx),
  };
}

const PROVISIONAL_TAG = 0;

interface OffsetRange {
  min: number;
  max: number;
}

class WindowActor implements Actor<WindowMsg> {
  private readonly windows: SymbolWindows;
  /** Final candles being written: tag -> the offsets of each window, by start. */
  private readonly finals = new Map<number, Map<number, OffsetRange>>();
  private nextTag = PROVISIONAL_TAG + 1;
  private seq = 0;
  private lastTradeAt = Number.NEGATIVE_INFINITY;
  private readThrough = Number.NEGATIVE_INFINITY;
  private lastProvisionalAt = Number.NEGATIVE_INFINITY;
  private provisionalInFlight = false;
  private reportedHold: number | undefined;

  constructor(
    private readonly deps: WindowDeps,
    private readonly ctx: ActorContext<WindowMsg>,
  ) {
    const { settings } = deps;
    this.windows = new SymbolWindows({
      symbol: deps.symbol,
      sizeMs: settings.sizeMs,
      allowedLatenessMs: settings.latenessMs,
      graceMs: settings.graceMs,
      maxAheadMs: settings.maxAheadMs,
    });
  }

  preStart(): void {
    this.ctx.timers.startPeriodic(
      "tick",
      { type: "tick" },
      this.deps.settings.tickMs,
    );
  }

  async receive(msg: WindowMsg): Promise<void> {
    switch (msg.type) {
      case "trades":
        return await this.onTrades(msg.trades, msg.seq);
      case "tick":
        return await this.onTick();
      case "read-through":
        this.readThrough = Math.max(this.readThrough, msg.at);
        return;
      case "write-done":
        return this.onWritten(msg);
    }
  }

  private async onTrades(trades: LoggedTrade[], seq: number): Promise<void> {
    this.deps.settings.beforeTrades?.(this.deps.symbol, trades);
    const now = this.ctx.clock.now();
    this.lastTradeAt = now;
    const late: LateTrade[] = [];
    for (const t of trades) {
      if (this.windows.add(t, now) === "late") {
        late.push({
          windowStart: windowStartOf(t.timestamp, this.deps.settings.sizeMs),
          offset: t.offset,
        });
      }
    }
    this.seq = seq;
    // Only a quiet symbol closes windows by wall clock; a replay of old
    // trades is closed by its own watermark instead.
    await this.closeDue(Number.NEGATIVE_INFINITY);
    this.report(late, true);
  }

  private async onTick(): Promise<void> {
    const now = this.ctx.clock.now();
    const quiet = now - this.lastTradeAt >= this.deps.settings.graceMs;
    // No trades lately may only mean the partition lags: close by the wall
    // clock no further than the partition has read the log.
    await this.closeDue(
      quiet ? Math.min(now, this.readThrough) : Number.NEGATIVE_INFINITY,
    );
    await this.sendProvisional(now);
    this.report([], false);
  }

  private onWritten(done: WriteDone): void {
    if (done.epoch !== this.deps.epoch) return;
    if (done.tag === PROVISIONAL_TAG) {
      this.provisionalInFlight = false;
      if (done.error !== undefined) {
        // A later provisional or the final replaces it; nothing is lost.
        this.ctx.log.warn("provisional candle not written", {
          error: String(done.error),
        });
      }
      return;
    }
    // Failed for good: only a replay rebuilds what this actor held.
    if (done.error !== undefined) throw done.error;
    const windows = this.finals.get(done.tag);
    this.finals.delete(done.tag);
    // Minutes finalized before (by an earlier owner): the partition has them
    // rebuilt from the store once their trades are durable, holding the
    // commit below them until then.
    const late: LateTrade[] = [];
    for (const start of done.rebuild ?? []) {
      const range = windows?.get(start);
      if (!range) continue;
      late.push({ windowStart: start, offset: range.min });
      late.push({ windowStart: start, offset: range.max });
    }
    this.report(late, false);
  }

  private async closeDue(nowMs: number): Promise<void> {
    // Open windows hold at least one trade, so both offsets exist.
    const ranges = new Map<number, OffsetRange>();
    for (const start of this.windows.openWindowStarts()) {
      ranges.set(start, {
        min: this.windows.minOffsetOf(start)!,
        max: this.windows.maxOffsetOf(start)!,
      });
    }
    const closed = this.windows.closeDue(nowMs);
    if (closed.length === 0) return;
    const tag = this.nextTag++;
    this.finals.set(
      tag,
      new Map(closed.map((c) => [c.windowStart, ranges.get(c.windowStart)!])),
    );
    await this.send(tag, closed, true);
  }

  private async sendProvisional(now: number): Promise<void> {
    const { settings } = this.deps;
    if (
      this.provisionalInFlight ||
      now - this.lastProvisionalAt < settings.provisionalIntervalMs
    ) return;
    // Replayed minutes long past are not live: only their finals matter.
    const live = this.windows.provisional().filter((c) =>
      c.windowEnd + settings.latenessMs + settings.graceMs > now
    );
    if (live.length === 0) return;
    this.lastProvisionalAt = now;
    this.provisionalInFlight = true;
    await this.send(PROVISIONAL_TAG, live, false);
  }

  private async send(
    tag: number,
    candles: Candle[],
    isFinal: boolean,
  ): Promise<void> {
    const common = {
      epoch: this.deps.epoch,
      tag,
      replyTo: this.ctx.self as ActorRef<WriteDone>,
    };
    await this.deps.writers.forCandles(this.deps.symbol).tell(
      isFinal
        ? { type: "finals", candles, ...common }
        : { type: "candles", candles, isFinal: false, ...common },
    );
  }

  /** Tells the partition what this actor holds: always after trades (their ack), else on change. */
  private report(late: LateTrade[], ack: boolean): void {
    let hold = this.windows.minOpenOffset();
    for (const windows of this.finals.values()) {
      for (const { min } of windows.values()) {
        if (hold === undefined || min < hold) hold = min;
      }
    }
    if (!ack && late.length === 0 && hold === this.reportedHold) return;
    this.reportedHold = hold;
    // Never await the parent: it may be waiting for room in this mailbox.
    this.deps.parent.tell({
      type: "window-report",
      symbol: this.deps.symbol,
      epoch: this.deps.epoch,
      seq: this.seq,
      hold,
      late,
    }).catch(() => {});
  }
}
