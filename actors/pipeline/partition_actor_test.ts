import assert from "node:assert/strict";
import { type ActorRef, ActorSystem, silentLogger } from "../../runtime/mod.ts";
import {
  type CandleRow,
  type StoredTrade,
  type TradeStore,
  TradeStoreError,
} from "../cassandra/mod.ts";
import type {
  LogBatch,
  PartitionListener,
  TradeSource,
} from "../kafka/trade_log.ts";
import { createPipelineMetrics } from "../metrics/mod.ts";
import { decodeTrade, encodeTrade } from "../trade/mod.ts";
import { computeCandle } from "../window/mod.ts";
import type { LoggedTrade } from "../trade/types.ts";
import { type PartitionMsg, partitionProps } from "./partition_actor.ts";
import { spawnWriters } from "./writer_actor.ts";

/** A store that takes `delayMs` per write and remembers what it holds. */
class SlowStore implements TradeStore {
  written = new Map<number, LoggedTrade>();
  candles: CandleRow[] = [];
  pending = 0;
  maxPending = 0;
  writes = 0;
  constructor(private readonly delayMs: number) {}
  /** While positive, each write fails as Cassandra does when it is down. */
  failNext = 0;
  async writeTrades(trades: readonly LoggedTrade[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new TradeStoreError("NoHostAvailable (test)", true);
    }
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
  constructor(
    private readonly store: SlowStore,
    private readonly from = 0,
  ) {}
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
    return Promise.resolve({ epoch: 1, offset: this.from });
  }
  logEnds(): Promise<Map<number, number>> {
    return Promise.resolve(new Map()); // told to the partition by each test
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

/** A partition actor over one writer of each kind on `store`, with short windows and commits. */
async function spawnPartition(
  system: ActorSystem,
  store: SlowStore,
  source: CheckingSource,
  maxInFlightWrites: number,
  maxInFlightTrades = 100_000,
): Promise<ActorRef<PartitionMsg>> {
  const metrics = createPipelineMetrics();
  const writers = await spawnWriters(system, 1, 1, {
    store,
    metrics,
    backoff: { minMs: 1, maxMs: 5 },
  });
  return await system.spawn<PartitionMsg>(
    "partition-0",
    partitionProps(0, {
      source,
      writers,
      metrics,
      deadLetters: () => Promise.resolve(),
      window: {
        sizeMs: 60_000,
        latenessMs: 1000,
        graceMs: 500,
        maxAheadMs: Infinity,
        provisionalIntervalMs: 1000,
        tickMs: 20,
      },
      commitIntervalMs: 10,
      maxInFlightWrites,
      maxInFlightTrades,
      maxUnackedPerWindow: 2,
      maxPendingRebuilds: 16,
      windowIdleMs: 60_000,
    }),
  );
}

/** Sends one batch the way the consumer does: the next only once this one is admitted. */
async function send(
  partition: ActorRef<PartitionMsg>,
  b: LogBatch,
): Promise<void> {
  const admitted = Promise.withResolvers<void>();
  await partition.tell({ type: "batch", batch: b, admitted: admitted.resolve });
  await admitted.promise;
}

/** Waits until `check` holds, polling; fails after `ms`. */
async function eventually(
  check: () => boolean,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("partition: a slow writer slows the sender, in-flight writes stay bounded, commits never pass an unwritten record", async () => {
  const store = new SlowStore(30);
  const source = new CheckingSource(store);
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const partition = await spawnPartition(system, store, source, 2);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const batches = 40;
    const perBatch = 10;
    let writesWhenLastAdmitted = 0;
    for (let b = 0; b < batches; b++) {
      await send(partition, batch(b * perBatch, perBatch, t0));
      writesWhenLastAdmitted = store.writes;
    }
    // Back-pressure: admission runs ahead of the writer by the writes in flight only.
    assert.ok(
      writesWhenLastAdmitted >= batches - 3,
      `sender ran ahead of the writer: ${writesWhenLastAdmitted} of ${batches} written when the last batch was admitted`,
    );
    assert.ok(
      store.maxPending <= 1,
      `one writer writes one batch at a time (${store.maxPending})`,
    );
    await eventually(
      () => store.written.size === batches * perBatch,
      "every trade written",
    );
    await eventually(() => source.commits.length > 0, "a commit");
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

Deno.test("partition: trades in flight stay bounded when each write holds many", async () => {
  const store = new SlowStore(20);
  const source = new CheckingSource(store);
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    // Writes alone would let 64 batches (640 trades) run ahead of the store.
    const partition = await spawnPartition(system, store, source, 64, 25);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    const perBatch = 10;
    let mostAhead = 0;
    for (let b = 0; b < 30; b++) {
      await send(partition, batch(b * perBatch, perBatch, t0));
      mostAhead = Math.max(mostAhead, (b + 1) * perBatch - store.written.size);
    }
    // A batch is admitted while fewer than 25 are in flight, so at most 25 + 10 - 1 are.
    assert.ok(
      mostAhead <= 25 + perBatch,
      `${mostAhead} trades admitted and not yet written (bound 25)`,
    );
    assert.ok(mostAhead >= 20, `the bound was not reached (${mostAhead})`);
    await eventually(() => store.written.size === 300, "every trade written");
  } finally {
    await system.shutdown();
  }
});

Deno.test("partition: a closed window's final candle is written and releases the commit", async () => {
  const store = new SlowStore(1);
  const source = new CheckingSource(store);
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const partition = await spawnPartition(system, store, source, 4);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    // 0..599 at 100 ms steps span one minute; 600..799 push the watermark past it.
    for (let b = 0; b < 8; b++) {
      await send(partition, batch(b * 100, 100, t0));
    }
    await eventually(
      () => Math.max(0, ...source.commits) >= 600,
      "the commit to move past the closed minute",
    );
    const finals = store.candles.filter((c) => c.isFinal);
    assert.deepEqual(finals.map((c) => c.candle.symbol).sort(), [
      "AAPL",
      "MSFT",
    ]);
    for (const { candle } of finals) {
      const mine = [...store.written.values()].filter((t) =>
        t.symbol === candle.symbol && t.timestamp < t0 + 60_000
      ).sort((a, b) => a.offset - b.offset);
      assert.equal(candle.tradeCount, mine.length);
      assert.equal(candle.open, mine[0].price);
      assert.equal(candle.close, mine[mine.length - 1].price);
    }
  } finally {
    await system.shutdown();
  }
});

Deno.test("partition: Cassandra unavailable for a while is waited out: no actor restarts, nothing lost, writers still reachable", async () => {
  // Finding 1 of issue 8: a failed write crashed its writer and, within
  // seconds, the whole tree; afterwards every write went to a stopped actor.
  const store = new SlowStore(1);
  const source = new CheckingSource(store);
  const system = new ActorSystem("t", { logger: silentLogger() });
  let restarts = 0;
  system.events.subscribe((e) => {
    if (e.type === "restarted" || e.type === "failed") restarts++;
  });
  try {
    const partition = await spawnPartition(system, store, source, 4);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    store.failNext = 50;
    for (let b = 0; b < 20; b++) {
      await send(partition, batch(b * 10, 10, t0));
    }
    await eventually(() => store.written.size === 200, "every trade written");
    assert.equal(store.failNext, 0, "the outage happened");
    assert.equal(restarts, 0, "no actor failed or restarted");
    // The same refs still reach live writers afterwards.
    await send(partition, batch(200, 10, t0));
    await eventually(() => store.written.size === 210, "a later write");
  } finally {
    await system.shutdown();
  }
});

/** A store whose writes wait until the test opens the gate. */
class GatedStore extends SlowStore {
  readonly gate = Promise.withResolvers<void>();
  constructor() {
    super(0);
  }
  override async writeTrades(trades: readonly LoggedTrade[]): Promise<void> {
    await this.gate.promise;
    await super.writeTrades(trades);
  }
}

Deno.test("partition: a larger share of the trades in flight admits the batch that waited for room", async () => {
  const store = new GatedStore();
  const source = new CheckingSource(store);
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const partition = await spawnPartition(system, store, source, 64, 25);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    await send(partition, batch(0, 30, t0)); // 30 in flight, none written
    let admitted = false;
    await partition.tell({
      type: "batch",
      batch: batch(30, 30, t0),
      admitted: () => admitted = true,
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(admitted, false, "admitted past its share");
    await partition.tell({ type: "in-flight-share", maxTrades: 100 });
    await eventually(() => admitted, "admission under the larger share");
    assert.equal(store.written.size, 0, "admitted before any write was done");
    store.gate.resolve();
    await eventually(() => store.written.size === 60, "both batches written");
  } finally {
    await system.shutdown();
  }
});

Deno.test("partition: a quiet symbol's minute closes by the wall clock only once the partition has read the log that far", async () => {
  // Under overload a symbol looks quiet because its partition lags, not
  // because its market is: closing then makes every trade of the minute
  // still in the log late, and each such minute is read back and rebuilt.
  const store = new SlowStore(1);
  const source = new CheckingSource(store);
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const partition = await spawnPartition(system, store, source, 4);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0); // long past: due by the wall clock
    await send(partition, batch(0, 10, t0));
    const finals = () => store.candles.filter((c) => c.isFinal);
    // The log holds 10 more records this partition has not read.
    await partition.tell({ type: "log-end", offset: 20, asOf: Date.now() });
    await new Promise((r) => setTimeout(r, 800)); // grace 500 ms, ticks 20 ms
    assert.equal(finals().length, 0, "closed while the partition lagged");
    // Read to the end: the quiet minutes close, complete.
    await partition.tell({ type: "log-end", offset: 10, asOf: Date.now() });
    await eventually(() => finals().length === 2, "both symbols' finals");
    for (const { candle } of finals()) assert.equal(candle.tradeCount, 5);
  } finally {
    await system.shutdown();
  }
});

Deno.test("partition: a minute an earlier owner finalized and committed into is rebuilt from the store, not written from the partial window", async () => {
  // The earlier owner closed the minute early (its symbol fell quiet), wrote
  // that partial final, committed to offset 300 and lost the partition. This
  // owner starts at 300 and sees only the minute's tail.
  const store = new SlowStore(1);
  const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
  const earlier = batch(0, 300, t0);
  const decoded = earlier.records.map((r) => ({
    ...decodeTrade(r.value!),
    partition: 0,
    offset: r.offset,
  }));
  await store.writeTrades(decoded);
  for (const symbol of ["AAPL", "MSFT"]) {
    const mine = decoded.filter((t) => t.symbol === symbol);
    await store.writeCandles([{
      candle: computeCandle(symbol, t0, mine),
      isFinal: true,
    }]);
  }
  const source = new CheckingSource(store, 300);
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const partition = await spawnPartition(system, store, source, 4);
    // 300..599 finish the minute; 600..799 push the watermark past it.
    for (let b = 3; b < 8; b++) {
      await send(partition, batch(b * 100, 100, t0));
    }
    await eventually(
      () => Math.max(0, ...source.commits) >= 600,
      "the commit to move past the minute",
    );
    for (const symbol of ["AAPL", "MSFT"]) {
      const whole = [...store.written.values()].filter((t) =>
        t.symbol === symbol && t.timestamp < t0 + 60_000
      );
      const last = store.candles.filter((c) =>
        c.isFinal && c.candle.symbol === symbol && c.candle.windowStart === t0
      ).at(-1)!;
      console.log(
        symbol,
        source.commits.slice(-3),
        store.candles.filter((c) => c.candle.symbol === symbol).map((
          c,
        ) => [c.isFinal, c.candle.tradeCount]),
      );
      assert.equal(last.candle.tradeCount, whole.length, symbol);
      assert.deepEqual(last.candle, computeCandle(symbol, t0, whole));
    }
  } finally {
    await system.shutdown();
  }
});
