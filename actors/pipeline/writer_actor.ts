/**
 * Cassandra writer actors. A writer only writes: raw trades, candles
 * (provisional, or final: from the window, or from the stored trades when
 * the minute was finalized before), and minutes rebuilt from their stored
 * trades. While Cassandra is down or
 * overloaded it waits the outage out with back-off (its mailbox fills and
 * the senders wait: back-pressure), and it answers every request with a
 * {@linkcode WriteDone} message to the requester, so durability comes back
 * as a message, never as a callback that changes the requester's state.
 *
 * @module
 */
import type {
  Actor,
  ActorContext,
  ActorProps,
  ActorRef,
} from "../../runtime/types.ts";
import {
  isTransient,
  retryWithBackoff,
  type TradeStore,
} from "../cassandra/mod.ts";
import type { PipelineMetrics } from "../metrics/mod.ts";
import type { Candle, LoggedTrade } from "../trade/types.ts";
import { computeCandle } from "../window/mod.ts";

/** The answer to every write request. */
export interface WriteDone {
  type: "write-done";
  /** Echoed from the request so the requester can ignore answers meant for an earlier incarnation. */
  epoch: number;
  tag: number;
  /** Set when the write failed for good (not a passing outage: those are waited out). */
  error?: unknown;
  /**
   * Of a `finals` request: window starts not written because a final row
   * was already there; the requester has them rebuilt from the store once
   * their trades are durable.
   */
  rebuild?: number[];
}

/** Requests a writer handles. */
export type WriteRequest =
  & { epoch: number; tag: number; replyTo: ActorRef<WriteDone> }
  & (
    | { type: "trades"; trades: LoggedTrade[] }
    | { type: "candles"; candles: Candle[]; isFinal: boolean }
    | { type: "finals"; candles: Candle[] }
    | { type: "rebuild"; symbol: string; windowStart: number; sizeMs: number }
  );

/** What a writer needs. */
export interface WriterDeps {
  store: TradeStore;
  metrics: PipelineMetrics;
  /** Back-off between attempts while Cassandra is unavailable. */
  backoff?: { minMs: number; maxMs: number };
}

/**
 * Builds the props of one writer actor.
 *
 * @example
 * ```ts ignore
 * const ref = await system.spawn("trade-writer-0", writerProps({ store, metrics }));
 * await ref.tell({ type: "trades", trades, epoch: 1, tag: 7, replyTo: self });
 * ```
 */
export function writerProps(deps: WriterDeps): ActorProps<WriteRequest> {
  return {
    kind: "writer",
    mailbox: { capacity: 64, overflow: "backpressure" },
    factory: (ctx) => new WriterActor(deps, ctx),
  };
}

class WriterActor implements Actor<WriteRequest> {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly deps: WriterDeps,
    private readonly ctx: ActorContext<WriteRequest>,
  ) {
    this.sleep = (ms) =>
      new Promise((resolve) => ctx.clock.setTimeout(resolve, ms));
  }

  async receive(msg: WriteRequest): Promise<void> {
    let error: unknown;
    let rebuild: number[] | undefined;
    try {
      rebuild = await retryWithBackoff(() => this.write(msg), {
        attempts: Infinity,
        minMs: this.deps.backoff?.minMs ?? 100,
        maxMs: this.deps.backoff?.maxMs ?? 5_000,
        isRetryable: isTransient,
        sleep: this.sleep,
        onRetry: (e, attempt, delayMs) => {
          // Once per outage at warn, then quietly: an outage can be long.
          const log = attempt === 1 ? this.ctx.log.warn : this.ctx.log.debug;
          log.call(this.ctx.log, "Cassandra unavailable; waiting it out", {
            error: String(e),
            attempt,
            delayMs,
          });
        },
      });
    } catch (e) {
      error = e;
      this.ctx.log.error("write failed for good; the requester replays", {
        request: msg.type,
        error: String(e),
      });
    }
    // Never await the requester: it may be waiting for room in this mailbox.
    msg.replyTo.tell({
      type: "write-done",
      epoch: msg.epoch,
      tag: msg.tag,
      error,
      rebuild,
    }).catch(() => {});
  }

  /** Writes the final candle of a minute computed from its stored trades. */
  private async rebuild(
    symbol: string,
    windowStart: number,
    sizeMs: number,
  ): Promise<void> {
    const { store, metrics } = this.deps;
    const trades = await store.readTrades(
      symbol,
      windowStart,
      windowStart + sizeMs,
    );
    if (trades.length === 0) return;
    const candle = computeCandle(symbol, windowStart, trades, sizeMs);
    await store.writeCandles([{ candle, isFinal: true }]);
    metrics.candlesEmitted.inc({ state: "recomputed" });
  }

  private async write(msg: WriteRequest): Promise<number[] | undefined> {
    const { store, metrics } = this.deps;
    switch (msg.type) {
      case "trades": {
        await store.writeTrades(msg.trades);
        const now = this.ctx.clock.now();
        for (const t of msg.trades) {
          metrics.e2eLatency.observe((now - t.ingestedAt) / 1000);
        }
        return;
      }
      case "candles":
        await store.writeCandles(
          msg.candles.map((candle) => ({ candle, isFinal: msg.isFinal })),
        );
        metrics.candlesEmitted.inc(
          { state: msg.isFinal ? "final" : "provisional" },
          msg.candles.length,
        );
        return;
      case "finals": {
        const rebuild: number[] = [];
        for (const candle of msg.candles) {
          // A final row already there means an earlier owner of this minute
          // wrote it and may have committed past some of its trades, which
          // this window then never saw: only the stored trades are the whole
          // minute. Without one, nothing was committed past any of its
          // trades, so the window saw them all and its candle is complete.
          if (await store.hasFinalCandle(candle.symbol, candle.windowStart)) {
            rebuild.push(candle.windowStart);
          } else {
            await store.writeCandles([{ candle, isFinal: true }]);
            metrics.candlesEmitted.inc({ state: "final" });
          }
        }
        return rebuild;
      }
      case "rebuild":
        await this.rebuild(msg.symbol, msg.windowStart, msg.sizeMs);
        return;
    }
  }
}

/**
 * Finds writers: raw trades spread by the requester's key (a partition
 * keeps its writer, so its writes queue in order), candles by symbol. The
 * writers are top-level actors with no supervisor between them and the
 * system, so a restart keeps their refs and this router never goes stale.
 *
 * @example
 * ```ts ignore
 * const writers = await spawnWriters(system, 4, 2, { store, metrics });
 * await writers.forTrades(partition).tell(request);
 * ```
 */
export class WriterRouter {
  /** @param trades raw-trade writers; @param candles candle writers (at least one each) */
  constructor(
    private readonly trades: readonly ActorRef<WriteRequest>[],
    private readonly candles: readonly ActorRef<WriteRequest>[],
  ) {
    if (trades.length === 0 || candles.length === 0) {
      throw new RangeError(
        "WriterRouter needs at least one trade writer and one candle writer",
      );
    }
  }

  /** The raw-trade writer for `key` (e.g. a partition number plus a batch count). */
  forTrades(key: number): ActorRef<WriteRequest> {
    return this.trades[Math.abs(key) % this.trades.length];
  }

  /** The candle writer of `symbol`. */
  forCandles(symbol: string): ActorRef<WriteRequest> {
    let h = 0;
    for (let i = 0; i < symbol.length; i++) {
      h = (h * 31 + symbol.charCodeAt(i)) | 0;
    }
    return this.candles[Math.abs(h) % this.candles.length];
  }
}

/**
 * Spawns `count` raw-trade writers and `candleCount` candle writers as
 * top-level actors of `system` (candles have writers of their own so a
 * final candle never waits behind a queue of raw trades).
 *
 * @example
 * ```ts ignore
 * const writers = await spawnWriters(system, 4, 2, { store, metrics });
 * ```
 */
export async function spawnWriters(
  system: {
    spawn<M>(name: string, props: ActorProps<M>): Promise<ActorRef<M>>;
  },
  count: number,
  candleCount: number,
  deps: WriterDeps,
): Promise<WriterRouter> {
  const trades: ActorRef<WriteRequest>[] = [];
  const candles: ActorRef<WriteRequest>[] = [];
  for (let i = 0; i < count; i++) {
    trades.push(await system.spawn(`trade-writer-${i}`, writerProps(deps)));
  }
  for (let i = 0; i < candleCount; i++) {
    candles.push(await system.spawn(`candle-writer-${i}`, writerProps(deps)));
  }
  return new WriterRouter(trades, candles);
}
