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
  | { type: "final"; symbol: string; windowStart: number; windowEnd: number };

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
        // The stored trades are the truth: a candle rebuilt from them is exact
        // after replays, late trades and restarts alike.
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

/**
 * A supervisor of `count` writers; ask it `{type: "refs"}` for their refs.
 *
 * @example
 * ```ts ignore
 * const writers = await system.spawn("writers", writersProps(3, deps));
 * const pool = new WriterPool(await writers.ask({ type: "refs" }, { timeoutMs: 5000 }));
 * ```
 */
export function writersProps(
  count: number,
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
      const refs: ActorRef<WriterMsg>[] = [];
      return {
        async preStart() {
          for (let i = 0; i < count; i++) {
            refs.push(await ctx.spawn(`writer-${i}`, writerProps(deps)));
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
 * const pool = new WriterPool(refs);
 * await pool.forSymbol("AAPL").ask({ type: "candles", rows }, { timeoutMs: 60_000 });
 * ```
 */
export class WriterPool {
  /** @param refs At least one writer. */
  constructor(readonly refs: readonly ActorRef<WriterMsg>[]) {
    if (refs.length === 0) {
      throw new RangeError("WriterPool needs at least one writer");
    }
  }

  private next = 0;

  /** The next writer for a batch of raw trades. */
  forTrades(): ActorRef<WriterMsg> {
    this.next = (this.next + 1) % this.refs.length;
    return this.refs[this.next];
  }

  /** The writer for one symbol's candles. */
  forSymbol(symbol: string): ActorRef<WriterMsg> {
    let h = 0;
    for (let i = 0; i < symbol.length; i++) {
      h = (h * 31 + symbol.charCodeAt(i)) | 0;
    }
    return this.refs[Math.abs(h) % this.refs.length];
  }
}
