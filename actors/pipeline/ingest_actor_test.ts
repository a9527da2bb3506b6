import assert from "node:assert/strict";
import { type ActorRef, ActorSystem, silentLogger } from "../../runtime/mod.ts";
import {
  type FeedServer,
  type FeedServerOptions,
  startFeedServer,
} from "../feed/mod.ts";
import type { TradeProducer } from "../kafka/trade_log.ts";
import { createPipelineMetrics, type PipelineMetrics } from "../metrics/mod.ts";
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

interface Fixture {
  /** The running feed; a test that restarts it stores the new one here. */
  feed: FeedServer;
  producer: RecordingProducer;
  metrics: PipelineMetrics;
  system: ActorSystem;
  ingest: ActorRef<IngestMsg>;
}

interface FixtureOptions {
  feed: Omit<FeedServerOptions, "port">;
  /** What the ingest actor subscribes; defaults to the feed's symbols. */
  subscribe?: string[];
  tuning?: Partial<Pick<IngestDeps, "watchdogMs" | "backoff" | "maxBuffered">>;
  mailboxCapacity?: number;
  producerDelayMs?: number;
  beforeSpawn?: (system: ActorSystem) => void;
}

/** An ingest actor on a real offline feed and a recording producer; everything is closed after `body`. */
async function withIngest(
  options: FixtureOptions,
  body: (f: Fixture) => Promise<void>,
) {
  const symbols = options.subscribe ?? [...options.feed.symbols];
  const producer = new RecordingProducer();
  producer.delayMs = options.producerDelayMs ?? 0;
  const metrics = createPipelineMetrics({ symbols });
  const system = new ActorSystem("t", { logger: silentLogger() });
  options.beforeSpawn?.(system);
  const feed = await startFeedServer({ port: 0, ...options.feed });
  const props = ingestProps({
    url: feed.url,
    description: "test feed",
    secrets: [],
    symbols,
    producer,
    metrics,
    allowZeroVolume: false,
    watchdogMs: 60_000,
    backoff: { minMs: 10, maxMs: 50 },
    maxBuffered: 1000,
    ...options.tuning,
  });
  if (options.mailboxCapacity) {
    props.mailbox = {
      capacity: options.mailboxCapacity,
      overflow: "drop-oldest",
    };
  }
  const fixture: Fixture = {
    feed,
    producer,
    metrics,
    system,
    ingest: undefined!,
  };
  try {
    fixture.ingest = await system.spawn("ingest", props);
    await body(fixture);
  } finally {
    await system.shutdown();
    await fixture.feed.close();
  }
}

function status(ref: ActorRef<IngestMsg>): Promise<IngestStatus> {
  return ref.ask<IngestStatus>({ type: "status" }, { timeoutMs: 1000 });
}

Deno.test("ingest reconnects and resubscribes when the feed stops and comes back", async () => {
  const symbols = ["AAPL", "BINANCE:BTCUSDT"];
  await withIngest(
    {
      feed: { symbols, ratePerSec: 200, seed: 1 },
      tuning: { backoff: { minMs: 20, maxMs: 200 } },
    },
    async (f) => {
      await until(
        () => f.producer.trades.length > 20,
        "trades before the outage",
      );
      const port = f.feed.port;
      await f.feed.close();
      await until(
        async () => !(await status(f.ingest)).connected,
        "the disconnect to be seen",
      );
      const before = f.producer.trades.length;
      f.feed = await startFeedServer({
        port,
        symbols,
        ratePerSec: 200,
        seed: 2,
      });
      await until(
        () => f.feed.stats().subscriptions === symbols.length,
        "resubscription after restart",
      );
      await until(
        () => f.producer.trades.length > before + 20,
        "trades after the restart",
      );
      const s = await status(f.ingest);
      assert.ok(s.connected);
      assert.ok(s.connects >= 2, `reconnected (${s.connects} connects)`);
      assert.ok((await f.metrics.feedReconnects.get()).values[0].value >= 1);
      assert.deepEqual(
        new Set(f.producer.trades.map((t) => t.symbol)),
        new Set(symbols),
      );
    },
  );
});

Deno.test("ingest reconnects when the feed falls silent past the watchdog", async () => {
  await withIngest(
    {
      feed: { symbols: ["MSFT"], ratePerSec: 100, seed: 3 },
      tuning: { watchdogMs: 400 },
    },
    async (f) => {
      await until(() => f.producer.trades.length > 5, "first trades");
      f.feed.setSilent(true);
      await until(
        async () => (await status(f.ingest)).connects >= 2,
        "a watchdog reconnect",
      );
      f.feed.setSilent(false);
      const before = f.producer.trades.length;
      await until(
        () => f.producer.trades.length > before + 5,
        "trades after the watchdog reconnect",
      );
    },
  );
});

Deno.test("ingest dead-letters invalid trades with reasons and counts them", async () => {
  await withIngest(
    {
      feed: { symbols: ["TSLA"], ratePerSec: 400, seed: 4, injectInvalid: 0.2 },
    },
    async (f) => {
      await until(() => f.producer.letters.length >= 5, "dead letters");
      for (const l of f.producer.letters) {
        assert.ok(l.reason.length > 0 && l.detail.length > 0);
      }
      const rejected = (await f.metrics.tradesRejected.get()).values.reduce(
        (s, v) => s + v.value,
        0,
      );
      assert.ok(rejected >= f.producer.letters.length);
    },
  );
});

Deno.test("ingest holds back while Kafka is slow: mailbox and buffer stay bounded", async () => {
  let maxDepth = 0;
  await withIngest(
    {
      feed: {
        symbols: ["AMZN"],
        ratePerSec: 2000,
        seed: 5,
        batchIntervalMs: 5,
      },
      tuning: { maxBuffered: 50 },
      mailboxCapacity: 20,
      producerDelayMs: 200,
      beforeSpawn: (system) =>
        system.events.subscribe((e) => {
          if (
            e.type === "mailbox_depth" && e.path.endsWith("/ingest")
          ) maxDepth = Math.max(maxDepth, e.depth);
        }),
    },
    async (f) => {
      await until(() => f.producer.sends >= 4, "several slow sends");
      assert.ok(maxDepth <= 20, `mailbox never past capacity (${maxDepth})`);
      assert.ok(
        f.system.droppedCount > 0,
        "frames beyond capacity were dropped and counted",
      );
    },
  );
});

Deno.test("ingest surfaces feed errors (invalid symbol) in metrics and keeps going", async () => {
  await withIngest(
    {
      feed: { symbols: ["AAPL"], ratePerSec: 200, seed: 6 },
      subscribe: ["AAPL", "NOPE"],
    },
    async (f) => {
      await until(async () => {
        const v = (await f.metrics.feedErrors.get()).values;
        return v.some((x) =>
          x.labels.kind === "invalid_symbol" && x.value >= 1
        );
      }, "the invalid-symbol error to be counted");
      const before = f.producer.trades.length;
      await until(
        () => f.producer.trades.length > before + 5,
        "AAPL trades still flowing",
      );
    },
  );
});
