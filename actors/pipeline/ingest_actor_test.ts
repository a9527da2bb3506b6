import assert from "node:assert/strict";
import { type ActorRef, ActorSystem, silentLogger } from "../../runtime/mod.ts";
import { startFeedServer } from "../feed/mod.ts";
import type { TradeProducer } from "../kafka/trade_log.ts";
import { createPipelineMetrics } from "../metrics/mod.ts";
import type { DeadLetter, Trade } from "../trade/types.ts";
import {
  type IngestDeps,
  type IngestMsg,
  ingestProps,
  type IngestStatus,
} from "./ingest_actor.ts";

class RecordingProducer implements TradeProducer {
  trades: Trade[] = [];
  letters: DeadLetter[] = [];
  delayMs = 0;
  sends = 0;
  async sendTrades(trades: readonly Trade[]): Promise<void> {
    this.sends++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    this.trades.push(...trades);
  }
  sendDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function testProps(
  url: string,
  symbols: string[],
  producer: TradeProducer,
  metrics: ReturnType<typeof createPipelineMetrics>,
  tuning: Pick<IngestDeps, "watchdogMs" | "backoff" | "maxBuffered">,
) {
  return ingestProps({
    url,
    description: "test feed",
    secrets: [],
    symbols,
    producer,
    metrics,
    allowZeroVolume: false,
    ...tuning,
  });
}

function status(ref: ActorRef<IngestMsg>): Promise<IngestStatus> {
  return ref.ask<IngestStatus>({ type: "status" }, { timeoutMs: 1000 });
}

Deno.test("ingest reconnects and resubscribes when the feed stops and comes back", async () => {
  const symbols = ["AAPL", "BINANCE:BTCUSDT"];
  let feed = await startFeedServer({
    port: 0,
    symbols,
    ratePerSec: 200,
    seed: 1,
  });
  const port = feed.port;
  const producer = new RecordingProducer();
  const metrics = createPipelineMetrics({ symbols });
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const ingest = await system.spawn(
      "ingest",
      testProps(feed.url, symbols, producer, metrics, {
        watchdogMs: 60_000,
        backoff: { minMs: 20, maxMs: 200 },
        maxBuffered: 1000,
      }),
    );
    await until(() => producer.trades.length > 20, "trades before the outage");
    await feed.close();
    await until(
      async () => !(await status(ingest)).connected,
      "the disconnect to be seen",
    );
    const before = producer.trades.length;
    feed = await startFeedServer({ port, symbols, ratePerSec: 200, seed: 2 });
    await until(
      () => feed.stats().subscriptions === symbols.length,
      "resubscription after restart",
    );
    await until(
      () => producer.trades.length > before + 20,
      "trades after the restart",
    );
    const s = await status(ingest);
    assert.ok(s.connected);
    assert.ok(s.connects >= 2, `reconnected (${s.connects} connects)`);
    assert.ok((await metrics.feedReconnects.get()).values[0].value >= 1);
    assert.deepEqual(
      new Set(producer.trades.map((t) => t.symbol)),
      new Set(symbols),
    );
  } finally {
    await system.shutdown();
    await feed.close();
  }
});

Deno.test("ingest reconnects when the feed falls silent past the watchdog", async () => {
  const symbols = ["MSFT"];
  const feed = await startFeedServer({
    port: 0,
    symbols,
    ratePerSec: 100,
    seed: 3,
  });
  const producer = new RecordingProducer();
  const metrics = createPipelineMetrics({ symbols });
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    const ingest = await system.spawn(
      "ingest",
      testProps(feed.url, symbols, producer, metrics, {
        watchdogMs: 400,
        backoff: { minMs: 10, maxMs: 50 },
        maxBuffered: 1000,
      }),
    );
    await until(() => producer.trades.length > 5, "first trades");
    feed.setSilent(true);
    await until(
      async () => (await status(ingest)).connects >= 2,
      "a watchdog reconnect",
    );
    feed.setSilent(false);
    const before = producer.trades.length;
    await until(
      () => producer.trades.length > before + 5,
      "trades after the watchdog reconnect",
    );
  } finally {
    await system.shutdown();
    await feed.close();
  }
});

Deno.test("ingest dead-letters invalid trades with reasons and counts them", async () => {
  const symbols = ["TSLA"];
  const feed = await startFeedServer({
    port: 0,
    symbols,
    ratePerSec: 400,
    seed: 4,
    injectInvalid: 0.2,
  });
  const producer = new RecordingProducer();
  const metrics = createPipelineMetrics({ symbols });
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    await system.spawn(
      "ingest",
      testProps(feed.url, symbols, producer, metrics, {
        watchdogMs: 60_000,
        backoff: { minMs: 10, maxMs: 50 },
        maxBuffered: 1000,
      }),
    );
    await until(() => producer.letters.length >= 5, "dead letters");
    for (const l of producer.letters) {
      assert.ok(l.reason.length > 0 && l.detail.length > 0);
    }
    const rejected = (await metrics.tradesRejected.get()).values.reduce(
      (s, v) => s + v.value,
      0,
    );
    assert.ok(rejected >= producer.letters.length);
  } finally {
    await system.shutdown();
    await feed.close();
  }
});

Deno.test("ingest holds back while Kafka is slow: mailbox and buffer stay bounded", async () => {
  const symbols = ["AMZN"];
  const feed = await startFeedServer({
    port: 0,
    symbols,
    ratePerSec: 2000,
    seed: 5,
    batchIntervalMs: 5,
  });
  const producer = new RecordingProducer();
  producer.delayMs = 200;
  const metrics = createPipelineMetrics({ symbols });
  const system = new ActorSystem("t", { logger: silentLogger() });
  let maxDepth = 0;
  system.events.subscribe((e) => {
    if (e.type === "mailbox_depth" && e.path.endsWith("/ingest")) {
      maxDepth = Math.max(maxDepth, e.depth);
    }
  });
  try {
    await system.spawn("ingest", {
      ...testProps(feed.url, symbols, producer, metrics, {
        watchdogMs: 60_000,
        backoff: { minMs: 10, maxMs: 50 },
        maxBuffered: 50,
      }),
      mailbox: { capacity: 20, overflow: "drop-oldest" },
    });
    await until(() => producer.sends >= 4, "several slow sends");
    assert.ok(maxDepth <= 20, `mailbox never past capacity (${maxDepth})`);
    assert.ok(
      system.droppedCount > 0,
      "frames beyond capacity were dropped and counted",
    );
  } finally {
    await system.shutdown();
    await feed.close();
  }
});

Deno.test("ingest surfaces feed errors (invalid symbol) in metrics and keeps going", async () => {
  const feed = await startFeedServer({
    port: 0,
    symbols: ["AAPL"],
    ratePerSec: 200,
    seed: 6,
  });
  const producer = new RecordingProducer();
  const symbols = ["AAPL", "NOPE"];
  const metrics = createPipelineMetrics({ symbols });
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    await system.spawn(
      "ingest",
      testProps(feed.url, symbols, producer, metrics, {
        watchdogMs: 60_000,
        backoff: { minMs: 10, maxMs: 50 },
        maxBuffered: 1000,
      }),
    );
    await until(async () => {
      const v = (await metrics.feedErrors.get()).values;
      return v.some((x) => x.labels.kind === "invalid_symbol" && x.value >= 1);
    }, "the invalid-symbol error to be counted");
    const before = producer.trades.length;
    await until(
      () => producer.trades.length > before + 5,
      "AAPL trades still flowing",
    );
  } finally {
    await system.shutdown();
    await feed.close();
  }
});
