import assert from "node:assert/strict";
import { type ActorRef, ActorSystem, silentLogger } from "../../runtime/mod.ts";
import type {
  CandleRow,
  StoredTrade,
  TradeStore,
} from "../cassandra/trade_store.ts";
import type {
  LogBatch,
  PartitionListener,
  TradeSource,
} from "../kafka/trade_log.ts";
import { createPipelineMetrics } from "../metrics/mod.ts";
import { encodeTrade } from "../trade/mod.ts";
import type { LoggedTrade } from "../trade/types.ts";
import { computeCandle } from "../window/mod.ts";
import { type PartitionMsg, partitionProps } from "./partition_actor.ts";
import { WriterPool, writerProps } from "./writer_actor.ts";

/** A store that takes `delayMs` per write and remembers what it holds. */
class SlowStore implements TradeStore {
  written = new Map<number, LoggedTrade>();
  candles: CandleRow[] = [];
  pending = 0;
  maxPending = 0;
  writes = 0;
  constructor(private readonly delayMs: number) {}
  async writeTrades(trades: readonly LoggedTrade[]): Promise<void> {
    this.pending++;
    this.maxPending = Math.max(this.maxPending, this.pending);
    await new Promise((r) => setTimeout(r, this.delayMs));
    for (const t of trades) this.written.set(t.offset, t);
    this.pending--;
    this.writes++;
  }
  writeCandles(rows: readonly CandleRow[]): Promise<void> {
    this.candles.push(...rows);
    return Promise.resolve();
  }
  hasFinalCandle(symbol: string, windowStart: number): Promise<boolean> {
    return Promise.resolve(
      this.candles.some((c) =>
        c.isFinal && c.candle.symbol === symbol &&
        c.candle.windowStart === windowStart
      ),
    );
  }
  readTrades(symbol: string, from: number, to: number): Promise<StoredTrade[]> {
    return Promise.resolve(
      [...this.written.values()].filter((t) =>
        t.symbol === symbol && t.timestamp >= from && t.timestamp < to
      ),
    );
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A source whose commits are checked against what the store holds. */
class CheckingSource implements TradeSource {
  commits: number[] = [];
  constructor(private readonly store: SlowStore) {}
  start(_listener: PartitionListener): Promise<void> {
    return Promise.resolve();
  }
  commit(_partition: number, nextOffset: number): Promise<void> {
    for (let o = 0; o < nextOffset; o++) {
      assert.ok(
        this.store.written.has(o),
        `commit ${nextOffset} passes unwritten offset ${o}`,
      );
    }
    this.commits.push(nextOffset);
    return Promise.resolve();
  }
  rewind(): Promise<{ epoch: number; offset: number }> {
    return Promise.resolve({ epoch: 1, offset: 0 });
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function batch(first: number, n: number, t0: number): LogBatch {
  const enc = new TextEncoder();
  return {
    partition: 0,
    epoch: 1,
    highWatermark: first + n,
    records: Array.from({ length: n }, (_, i) => ({
      offset: first + i,
      key: "AAPL",
      value: enc.encode(encodeTrade({
        symbol: i % 2 === 0 ? "AAPL" : "MSFT",
        price: 100 + ((first + i) % 13),
        volume: 1 + ((first + i) % 3),
        timestamp: t0 + (first + i) * 100,
        conditions: [],
        ingestedAt: Date.now(),
      })),
    })),
  };
}

/** A partition actor over one writer on `store`, with short windows and commits. */
async function spawnPartition(
  system: ActorSystem,
  store: SlowStore,
  source: CheckingSource,
  maxInFlightWrites: number,
): Promise<ActorRef<PartitionMsg>> {
  const metrics = createPipelineMetrics();
  const writer = await system.spawn(
    "writer",
    writerProps({ store, metrics, now: () => Date.now() }),
  );
  return await system.spawn<PartitionMsg>(
    "partition-0",
    partitionProps(0, {
      source,
      writers: new WriterPool({ trades: [writer], candles: [writer] }),
      metrics,
      deadLetters: () => Promise.resolve(),
      window: {
        sizeMs: 60_000,
        latenessMs: 1000,
        graceMs: 500,
        idleMs: 60_000,
      },
      provisionalIntervalMs: 1000,
      commitIntervalMs: 10,
      maxInFlightWrites,
      writeTimeoutMs: 10_000,
    }),
  );
}

Deno.test("partition: a slow writer slows the sender, in-flight writes stay bounded, commits never pass an unwritten record", async () => {
  const store = new SlowStore(30);
  const source = new CheckingSource(store);
  const system = new ActorSystem("t", { logger: silentLogger() });
  let maxDepth = 0;
  system.events.subscribe((e) => {
    if (e.type === "mailbox_depth" && e.path.endsWith("partition-0")) {
      maxDepth = Math.max(maxDepth, e.depth);
    }
  });
  try {
    const partition = await spawnPartition(system, store, source, 2);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const batches = 40;
    const perBatch = 10;
    let writesWhenLastAccepted = 0;
    for (let b = 0; b < batches; b++) {
      await partition.tell({
        type: "batch",
        batch: batch(b * perBatch, perBatch, t0),
      });
      writesWhenLastAccepted = store.writes;
    }
    // Back-pressure: the sender could only run ahead by the mailbox, the
    // batch in hand and the writes in flight.
    const slack = 8 + 1 + 2 + 1;
    assert.ok(
      writesWhenLastAccepted >= batches - slack,
      `sender ran ahead of the writer: ${writesWhenLastAccepted} of ${batches} written when the last batch was accepted`,
    );
    assert.ok(
      store.maxPending <= 2,
      `at most 2 writes in flight (${store.maxPending})`,
    );
    assert.ok(maxDepth <= 8, `mailbox within capacity (${maxDepth})`);
    await partition.ask({ type: "flush" }, { timeoutMs: 10_000 });
    assert.equal(store.written.size, batches * perBatch);
    assert.ok(source.commits.length > 0, "offsets were committed");
    // Trades span 40 s of one minute whose window is still open: the commit holds at its first trade.
    assert.equal(
      Math.max(...source.commits),
      0,
      "an open window holds the commit at its first trade",
    );
  } finally {
    await system.shutdown();
  }
});

Deno.test("partition: a closed window's final candle is written once its trades are durable, and releases the commit", async () => {
  const store = new SlowStore(1);
  const source = new CheckingSource(store);
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const partition = await spawnPartition(system, store, source, 4);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    // 0..599 at 100 ms steps span one minute; 600..799 push the watermark past it.
    for (let b = 0; b < 8; b++) {
      await partition.tell({ type: "batch", batch: batch(b * 100, 100, t0) });
    }
    await partition.ask({ type: "flush" }, { timeoutMs: 10_000 });
    const finals = store.candles.filter((c) => c.isFinal);
    assert.deepEqual(finals.map((c) => c.candle.symbol).sort(), [
      "AAPL",
      "MSFT",
    ]);
    for (const { candle } of finals) {
      const mine = [...store.written.values()].filter((t) =>
        t.symbol === candle.symbol && t.timestamp < t0 + 60_000
      );
      assert.equal(candle.tradeCount, mine.length);
      assert.equal(candle.open, mine[0].price);
      assert.equal(candle.close, mine[mine.length - 1].price);
    }
    assert.ok(
      Math.max(...source.commits) >= 600,
      `commit moved past the closed minute (${source.commits.at(-1)})`,
    );
  } finally {
    await system.shutdown();
  }
});

Deno.test("writer: after a replay (a final row exists) the final candle is rebuilt from stored trades, not the partial one in memory", async () => {
  const store = new SlowStore(1);
  const metrics = createPipelineMetrics();
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const writer = await system.spawn(
      "writer",
      writerProps({ store, metrics, now: () => Date.now() }),
    );
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const stored = [0, 1, 2].map((i) => ({
      symbol: "AAPL",
      price: 10 + i,
      volume: 1,
      timestamp: t0 + i * 1000,
      conditions: [],
      ingestedAt: t0,
      partition: 0,
      offset: i,
    }));
    await store.writeTrades(stored);
    const full = computeCandle("AAPL", t0, stored);
    await store.writeCandles([{ candle: full, isFinal: true }]);
    // A replay saw only the last trade of the minute.
    const partial = computeCandle("AAPL", t0, stored.slice(2));
    const written = await writer.ask(
      {
        type: "final",
        symbol: "AAPL",
        windowStart: t0,
        windowEnd: t0 + 60_000,
        candle: partial,
      },
      { timeoutMs: 5000 },
    );
    assert.deepEqual(written, full);
    assert.deepEqual(store.candles.at(-1), { candle: full, isFinal: true });
  } finally {
    await system.shutdown();
  }
});
