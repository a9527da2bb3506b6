/**
 * Cassandra writer actors: each turns write requests into durable rows and
 * answers only once they are durable, so an `ask` to a writer is the
 * pipeline's proof of durability. A bounded mailbox with back-pressure slows
 * the partitions when Cassandra cannot keep up.
 *
 * @module
 */
import type {
  Actor,
  ActorContext,
  ActorProps,
  ActorRef,
} from "../../runtime/types.ts";
import type { CandleRow, TradeStore } from "../cassandra/trade_store.ts";
import type { PipelineMetrics } from "../metrics/mod.ts";
import type { Candle, LoggedTrade } from "../trade/types.ts";
import { computeCandle } from "../window/mod.ts";

/** Requests a writer handles. */
export type WriterMsg =
  | { type: "trades"; trades: LoggedTrade[] }
  | { type: "candles"; rows: CandleRow[] }
  | {
    type: "final";
    symbol: string;
    windowStart: number;
    windowEnd: number;
    /** The window actor's candle, when it saw the window from its start. */
    candle?: Candle;
  };

/** What a writer needs. */
export interface WriterDeps {
  store: TradeStore;
  metrics: PipelineMetrics;
  /** Wall-clock milliseconds, for end-to-end latency. */
  now: () => number;
}

/**
 * Builds the props of one writer actor.
 *
 * @example
 * ```ts ignore
 * const ref = await ctx.spawn("writer-0", writerProps({ store, metrics, now: () => clock.now() }));
 * await ref.ask({ type: "trades", trades }, { timeoutMs: 60_000 });
 * ```
 */
export function writerProps(deps: WriterDeps): ActorProps<WriterMsg> {
  return {
    kind: "writer",
    mailbox: { capacity: 64, overflow: "backpressure" },
    factory: () => new WriterActor(deps),
  };
}

class WriterActor implements Actor<WriterMsg> {
  constructor(private readonly deps: WriterDeps) {}

  async receive(msg: WriterMsg): Promise<Candle | undefined> {
    const { store, metrics } = this.deps;
    switch (msg.type) {
      case "trades": {
        await store.writeTrades(msg.trades);
        const now = this.deps.now();
        for (const t of msg.trades) {
          metrics.e2eLatency.observe((now - t.ingestedAt) / 1000);
        }
        return undefined;
      }
      case "candles":
        await store.writeCandles(msg.rows);
        metrics.candlesEmitted.inc({ state: "provisional" }, msg.rows.length);
        return undefined;
      case "final": {
        // No final row yet means the window was open at every commit, so every
        // trade of it came after this incarnation's start offset: the window
        // actor saw them all and its (exact) candle is the stored trades' candle.
        if (
          msg.candle &&
          !(await store.hasFinalCandle(msg.symbol, msg.windowStart))
        ) {
          await store.writeCandles([{ candle: msg.candle, isFinal: true }]);
          metrics.candlesEmitted.inc({ state: "final" });
          return msg.candle;
        }
        // Otherwise (a replay, a late trade) the stored trades are the truth.
        const trades = await store.readTrades(
          msg.symbol,
          msg.windowStart,
          msg.windowEnd,
        );
        if (trades.length === 0) return undefined;
        const candle = computeCandle(
          msg.symbol,
          msg.windowStart,
          trades,
          msg.windowEnd - msg.windowStart,
        );
        await store.writeCandles([{ candle, isFinal: true }]);
        metrics.candlesEmitted.inc({ state: "final" });
        return candle;
      }
    }
  }
}

/** Messages of the writers' supervisor. */
export type WritersMsg = { type: "refs" };

/** The refs of the writers, by role. */
export interface WriterRefs {
  trades: ActorRef<WriterMsg>[];
  candles: ActorRef<WriterMsg>[];
}

/**
 * A supervisor of `count` raw-trade writers and `candleCount` candle
 * writers; ask it `{type: "refs"}` for their refs. Candles have writers of
 * their own so a final candle never waits behind a queue of raw trades.
 *
 * @example
 * ```ts ignore
 * const writers = await system.spawn("writers", writersProps(4, 2, deps));
 * const pool = new WriterPool(await writers.ask({ type: "refs" }, { timeoutMs: 5000 }));
 * ```
 */
export function writersProps(
  count: number,
  candleCount: number,
  deps: WriterDeps,
): ActorProps<WritersMsg> {
  return {
    kind: "writers",
    supervision: {
      strategy: "one_for_one",
      maxRestarts: 10,
      withinMs: 30_000,
      backoff: { minMs: 50, maxMs: 5_000, resetAfterMs: 30_000 },
    },
    factory: (ctx: ActorContext<WritersMsg>) => {
      const refs: WriterRefs = { trades: [], candles: [] };
      return {
        async preStart() {
          for (let i = 0; i < count; i++) {
            refs.trades.push(await ctx.spawn(`writer-${i}`, writerProps(deps)));
          }
          for (let i = 0; i < candleCount; i++) {
            refs.candles.push(
              await ctx.spawn(`candle-writer-${i}`, writerProps(deps)),
            );
          }
        },
        receive: () => refs,
      };
    },
  };
}

/**
 * Routes writes to writers: raw trades round-robin (their order does not
 * matter, their keys make them idempotent), candles by symbol, so one
 * symbol's candle upserts always go through one writer in order.
 *
 * @example
 * ```ts ignore
 * const pool = new WriterPool({ trades: [w0, w1], candles: [c0] });
 * await pool.forSymbol("AAPL").ask({ type: "candles", rows }, { timeoutMs: 60_000 });
 * ```
 */
export class WriterPool {
  private next = 0;

  /** @param refs At least one writer of each role. */
  constructor(readonly refs: WriterRefs) {
    if (refs.trades.length === 0 || refs.candles.length === 0) {
      throw new RangeError(
        "WriterPool needs at least one trade writer and one candle writer",
      );
    }
  }

  /** The next writer for a batch of raw trades. */
  forTrades(): ActorRef<WriterMsg> {
    this.next = (this.next + 1) % this.refs.trades.length;
    return this.refs.trades[this.next];
  }

  /** The writer for one symbol's candles. */
  forSymbol(symbol: string): ActorRef<WriterMsg> {
    let h = 0;
    for (let i = 0; i < symbol.length; i++) {
      h = (h * 31 + symbol.charCodeAt(i)) | 0;
    }
    return this.refs.candles[Math.abs(h) % this.refs.candles.length];
  }
}
