import assert from "node:assert/strict";
import { ActorSystem, silentLogger } from "../../runtime/mod.ts";
import type { CandleRow, StoredTrade, TradeStore } from "../cassandra/mod.ts";
import type { PartitionListener, TradeSource } from "../kafka/trade_log.ts";
import { createPipelineMetrics } from "../metrics/mod.ts";
import type { LoggedTrade } from "../trade/types.ts";
import {
  type ConsumerMsg,
  consumerProps,
  type ConsumerStatus,
  inFlightShare,
} from "./consumer_actor.ts";
import { spawnWriters } from "./writer_actor.ts";

/** A source the test drives: it assigns and revokes partitions by hand. */
class HandSource implements TradeSource {
  listener?: PartitionListener;
  start(listener: PartitionListener): Promise<void> {
    this.listener = listener;
    return Promise.resolve();
  }
  commit(): Promise<void> {
    return Promise.resolve();
  }
  rewind(): Promise<{ epoch: number; offset: number }> {
    return Promise.resolve({ epoch: 1, offset: 0 });
  }
  logEnds(): Promise<Map<number, number>> {
    return Promise.resolve(new Map());
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

const store: TradeStore = {
  writeTrades: (_: readonly LoggedTrade[]) => Promise.resolve(),
  writeCandles: (_: readonly CandleRow[]) => Promise.resolve(),
  hasFinalCandle: () => Promise.resolve(false),
  readTrades: (): Promise<StoredTrade[]> => Promise.resolve([]),
  close: () => Promise.resolve(),
};

Deno.test("inFlightShare splits the bound evenly, never below one", () => {
  assert.equal(inFlightShare(32_768, 16), 2_048);
  assert.equal(inFlightShare(32_768, 3), 10_922);
  assert.equal(inFlightShare(32_768, 0), 32_768);
  assert.equal(inFlightShare(10, 64), 1);
});

Deno.test("consumer: the instance's trades in flight are shared by its partitions as they come and go", async () => {
  const system = new ActorSystem("t", { logger: silentLogger() });
  const source = new HandSource();
  const metrics = createPipelineMetrics();
  try {
    const writers = await spawnWriters(system, 1, 1, { store, metrics });
    const consumer = await system.spawn<ConsumerMsg>(
      "consumer",
      consumerProps({
        source,
        maxInFlightTrades: 30_000,
        partition: {
          writers,
          metrics,
          deadLetters: () => Promise.resolve(),
          window: {
            sizeMs: 60_000,
            latenessMs: 1000,
            graceMs: 500,
            maxAheadMs: Infinity,
            provisionalIntervalMs: 1000,
            tickMs: 50,
          },
          commitIntervalMs: 100,
          maxInFlightWrites: 8,
          maxUnackedPerWindow: 2,
          maxPendingRebuilds: 16,
          windowIdleMs: 60_000,
        },
      }),
    );
    const status = () =>
      consumer.ask<ConsumerStatus>({ type: "status" }, { timeoutMs: 1000 });
    while (!source.listener) await new Promise((r) => setTimeout(r, 5));
    await source.listener.assigned([0, 1, 2]);
    assert.deepEqual(await status(), {
      joined: true,
      partitions: [0, 1, 2],
      inFlightShare: 10_000,
    });
    await source.listener.assigned([3, 4, 5, 6, 7]);
    assert.equal((await status()).inFlightShare, 3_750);
    await source.listener.revoked([2, 3, 4, 5, 6, 7]);
    assert.deepEqual(await status(), {
      joined: true,
      partitions: [0, 1],
      inFlightShare: 15_000,
    });
  } finally {
    await system.shutdown();
  }
});
