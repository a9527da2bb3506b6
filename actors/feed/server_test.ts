import assert from "node:assert/strict";
import {
  DROP_CLOSE_CODE,
  FeedOptionsError,
  type SentTrade,
  startFeedServer,
} from "./server.ts";
import { FeedReplayError } from "./replay.ts";
import { eventually, TestFeedClient } from "./test_client.ts";
import { validateTrade } from "../trade/validate.ts";

const SYMBOLS = ["AAPL", "MSFT", "TSLA", "BINANCE:BTCUSDT", "BINANCE:ETHUSDT"];
const FAST = {
  port: 0,
  symbols: SYMBOLS,
  batchIntervalMs: 10,
  ratePerSec: 2_000,
};

Deno.test("feed: trades only for subscribed symbols, several symbols per message", async () => {
  await using feed = await startFeedServer({ ...FAST, seed: 3 });
  const client = await TestFeedClient.connect(
    `${feed.url}/?token=secret-ignored`,
  );
  client.subscribe("AAPL", "TSLA", "BINANCE:BTCUSDT");
  await client.waitFor("300 trades", () => client.trades().length >= 300);
  await client.close();

  const trades = client.trades();
  assert.deepEqual(
    new Set(trades.map((t) => t.s)),
    new Set(["AAPL", "TSLA", "BINANCE:BTCUSDT"]),
  );
  assert.ok(
    client.tradeMessages().some((m) =>
      new Set(m.data.map((t) => t.s)).size > 1
    ),
    "some message carries several symbols",
  );
  // Same-millisecond trades, as captured from Finnhub.
  assert.ok(trades.some((t, i) => i > 0 && t.t === trades[i - 1].t));
  for (const t of trades) {
    const r = validateTrade(t, { receivedAt: Date.now() });
    assert.ok(r.ok, JSON.stringify(t));
    if (String(t.s).includes(":")) {
      assert.equal(t.c, undefined); // crypto: no condition codes
    } else {
      assert.ok(Array.isArray(t.c) && Number.isInteger(t.v));
    }
  }
  assert.ok(
    trades.some((t) => String(t.s).includes(":") && !Number.isInteger(t.v)),
  );
});

Deno.test("feed: unsubscribe stops a symbol; unknown and excess symbols get Finnhub's errors", async () => {
  await using feed = await startFeedServer({ ...FAST, maxSymbols: 2, seed: 4 });
  const client = await TestFeedClient.connect(feed.url);
  client.subscribe("AAPL", "MSFT", "AAPL"); // a repeat is not a third symbol
  await client.waitFor(
    "trades of both",
    () => new Set(client.trades().map((t) => t.s)).size === 2,
  );
  assert.equal(client.ofType("error").length, 0);

  client.subscribe("TSLA");
  await client.waitFor(
    "too-many error",
    () => client.ofType("error").length === 1,
  );
  assert.deepEqual(client.ofType("error")[0], {
    type: "error",
    msg: "Subscribing to too many symbols",
  });
  assert.equal(feed.stats().subscriptions, 2);

  client.unsubscribe("MSFT");
  // The server handles one connection's messages in order, so its reply to this
  // bad subscription fences off every trade sent before the unsubscribe.
  client.subscribe("OANDA:EUR_USD");
  await client.waitFor(
    "invalid-symbol error",
    () => client.ofType("error").length === 2,
  );
  assert.deepEqual(client.ofType("error")[1], {
    type: "error",
    msg: "Invalid symbol OANDA:EUR_USD",
  });
  const fence = client.messages.length;
  await client.waitFor("more trades", () => client.trades(fence).length >= 50);
  assert.ok(client.trades(fence).every((t) => t.s === "AAPL"));
  await client.close();
});

async function recordSequence(
  seed: number,
  count: number,
): Promise<SentTrade[]> {
  const sent: SentTrade[] = [];
  await using feed = await startFeedServer({
    ...FAST,
    seed,
    maxTrades: count,
    clock: { now: () => 1_714_573_800_000 },
    onTrades: (batch) => sent.push(...batch),
  });
  // Silent until fully subscribed, so no batch sees a partial subscription.
  feed.setSilent(true);
  const client = await TestFeedClient.connect(feed.url);
  client.subscribe("AAPL", "MSFT", "BINANCE:ETHUSDT");
  await eventually("subscriptions", () => feed.stats().subscriptions === 3);
  feed.setSilent(false);
  await client.waitFor(
    `${count} trades`,
    () => client.trades().length >= count,
  );
  await client.close();
  assert.deepEqual(client.trades(), sent); // the hook reports exactly what was sent
  return sent;
}

Deno.test("feed: same seed gives the same trades; another seed does not", async () => {
  const a = await recordSequence(42, 200);
  const b = await recordSequence(42, 200);
  const c = await recordSequence(43, 200);
  assert.equal(a.length, 200);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((t) => t.p), c.map((t) => t.p));
});

Deno.test("feed: maxTrades bounds the trades, pings go on", async () => {
  await using feed = await startFeedServer({
    ...FAST,
    seed: 5,
    maxTrades: 25,
    pingIntervalMs: 20,
  });
  const client = await TestFeedClient.connect(feed.url);
  client.subscribe("AAPL", "BINANCE:BTCUSDT");
  await client.waitFor("25 trades", () => client.trades().length >= 25);
  const mark = client.messages.length;
  await client.waitFor(
    "3 more pings",
    () => client.ofType("ping", mark).length >= 3,
  );
  assert.equal(client.trades().length, 25);
  assert.equal(feed.stats().tradesSent, 25);
  assert.deepEqual(client.ofType("ping", mark)[0], { type: "ping" });
  await client.close();
});

Deno.test("feed: dropConnections closes clients; a reconnect must resubscribe", async () => {
  await using feed = await startFeedServer({ ...FAST, seed: 6 });
  const first = await TestFeedClient.connect(feed.url);
  first.subscribe("MSFT");
  await first.waitFor("trades", () => first.trades().length > 0);
  assert.deepEqual(
    {
      connections: feed.stats().connections,
      subscriptions: feed.stats().subscriptions,
    },
    { connections: 1, subscriptions: 1 },
  );
  feed.dropConnections();
  const closeEvent = await first.closed;
  assert.equal(closeEvent.code, DROP_CLOSE_CODE);
  await eventually(
    "server forgets the connection",
    () => feed.stats().connections === 0,
  );

  const second = await TestFeedClient.connect(feed.url);
  await eventually("reconnected", () => feed.stats().connections === 1);
  assert.equal(feed.stats().subscriptions, 0); // nothing kept across connections
  second.subscribe("MSFT");
  await second.waitFor(
    "trades after reconnect",
    () => second.trades().length > 0,
  );
  await second.close();
});

Deno.test("feed: setSilent stops everything, pings included, without closing", async () => {
  await using feed = await startFeedServer({
    ...FAST,
    seed: 7,
    pingIntervalMs: 15,
  });
  const client = await TestFeedClient.connect(feed.url);
  client.subscribe("TSLA");
  await client.waitFor(
    "trades and pings",
    () => client.trades().length > 0 && client.ofType("ping").length > 0,
  );
  feed.setSilent(true);
  await new Promise((r) => setTimeout(r, 150)); // let frames already in flight land
  const mark = client.messages.length;
  const sentBefore = feed.stats().tradesSent;
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(client.messages.length, mark);
  assert.equal(feed.stats().tradesSent, sentBefore);
  assert.ok(client.open);
  assert.equal(feed.stats().connections, 1);
  feed.setSilent(false);
  await client.waitFor(
    "trades and pings again",
    () =>
      client.trades(mark).length > 0 && client.ofType("ping", mark).length > 0,
  );
  await client.close();
});

Deno.test("feed: replays a recording at its pace, filtered, retimed, junk verbatim", async () => {
  const t0 = 1_672_348_887_196;
  const lines = [
    JSON.stringify({
      type: "trade",
      data: [
        { s: "AAPL", p: 150.25, t: t0, v: 10, c: ["1", "12"] },
        { s: "MSFT", p: 250, t: t0, v: 5 },
        { s: "AAPL", p: 150.26, t: Math.floor(t0 / 1000), v: 1 }, // bad t stays bad
      ],
    }),
    '{"type":"ping"}',
    "",
    "not json at all",
    JSON.stringify({
      type: "trade",
      data: [{ s: "AAPL", p: 150.3, t: t0 + 40, v: 3 }],
    }),
  ];
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    // A clock that moves 10 ms per tick: the second trade line is 40 ms later.
    let now = 1_800_000_000_000;
    const sentAt: number[] = [];
    await using feed = await startFeedServer({
      ...FAST,
      replayFile: path,
      clock: { now: () => now += 10 },
      onTrades: () => sentAt.push(now),
    });
    const client = await TestFeedClient.connect(feed.url);
    client.subscribe("AAPL");
    await client.waitFor(
      "the whole recording",
      () => client.trades().length === 3,
    );
    await eventually("replay finished", () => feed.stats().replayFinished);
    const start = client.trades()[0].t as number;
    assert.deepEqual(client.trades(), [
      { s: "AAPL", p: 150.25, t: start, v: 10, c: ["1", "12"] },
      { s: "AAPL", p: 150.26, t: Math.floor(t0 / 1000), v: 1 },
      { s: "AAPL", p: 150.3, t: start + 40, v: 3 },
    ]);
    // Recorded pace: the second line left 40 ms of clock time after the first.
    assert.equal(sentAt.length, 2);
    assert.equal(sentAt[0], start);
    assert.ok(
      sentAt[1] >= start + 40 && sentAt[1] < start + 60,
      String(sentAt[1] - start),
    );
    assert.ok(client.messages.includes("not json at all"));
    assert.equal(feed.stats().tradesSent, 4); // MSFT went out to nobody's filter but was sent
    await client.close();
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("feed: injectInvalid mixes in trades the validator rejects", async () => {
  await using feed = await startFeedServer({
    ...FAST,
    seed: 8,
    injectInvalid: 0.3,
    maxTrades: 300,
  });
  const client = await TestFeedClient.connect(feed.url);
  client.subscribe("AAPL", "BINANCE:BTCUSDT");
  await client.waitFor("300 trades", () => client.trades().length >= 300);
  await client.close();
  const results = client.trades().map((t) =>
    validateTrade(t, { receivedAt: Date.now() })
  );
  const rejected = results.filter((r) => !r.ok).length;
  assert.ok(rejected > 40 && rejected < 150, `rejected ${rejected} of 300`);
  assert.ok(
    client.trades().every((t) => t.s === "AAPL" || t.s === "BINANCE:BTCUSDT"),
  );
});

Deno.test("feed: close() closes open clients and releases everything", async () => {
  const feed = await startFeedServer({ ...FAST, seed: 9 });
  const client = await TestFeedClient.connect(feed.url);
  client.subscribe("AAPL");
  await client.waitFor("trades", () => client.trades().length > 0);
  await feed.close();
  const closeEvent = await client.closed;
  assert.equal(closeEvent.code, 1001);
  await feed.close(); // idempotent
  await assert.rejects(() => TestFeedClient.connect(feed.url));
});

Deno.test("feed: plain HTTP gets 426, not a crash", async () => {
  await using feed = await startFeedServer({ ...FAST, seed: 10 });
  const res = await fetch(feed.url.replace("ws://", "http://"));
  assert.equal(res.status, 426);
  await res.body?.cancel();
});

Deno.test("feed: refuses unusable options and unreadable replay files", async () => {
  await assert.rejects(
    () => startFeedServer({ port: 0, symbols: [] }),
    FeedOptionsError,
  );
  await assert.rejects(
    () => startFeedServer({ port: 0, symbols: ["A"], injectInvalid: 2 }),
    FeedOptionsError,
  );
  await assert.rejects(
    () => startFeedServer({ port: 0, symbols: ["A"], batchIntervalMs: 0 }),
    FeedOptionsError,
  );
  await assert.rejects(
    () =>
      startFeedServer({
        port: 0,
        symbols: ["A"],
        replayFile: "/nonexistent/x.jsonl",
      }),
    FeedReplayError,
  );
});

// Finding 7 of issue 9: only clients with a subscription get trades, and the
// server counts per symbol what it delivered; nothing piles up before.
Deno.test("feed: delivers only after subscription, no backlog, and counts what it delivered per symbol", async () => {
  const delivered: SentTrade[] = [];
  await using feed = await startFeedServer({
    ...FAST,
    seed: 8,
    startAfterSubscriptions: 2,
    onTrades: (t) => delivered.push(...t),
  });
  const client = await TestFeedClient.connect(feed.url);
  client.subscribe("AAPL");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(feed.stats().delivered, 0, "waits for both subscriptions");
  client.subscribe("MSFT");
  await client.waitFor("200 trades", () => client.trades().length >= 200);
  const stats = feed.stats();
  await client.close();
  // No burst: the first message holds one tick's share, not a backlog.
  assert.ok(client.tradeMessages()[0].data.length <= 2_000 * 10 / 1000 + 1);
  const got = client.trades();
  assert.deepEqual(new Set(got.map((t) => t.s)), new Set(["AAPL", "MSFT"]));
  const counted = (s: string) => delivered.filter((t) => t.s === s).length;
  assert.ok(stats.delivered >= got.length);
  assert.equal(stats.deliveredBySymbol.AAPL ?? 0, counted("AAPL"));
  assert.equal(stats.deliveredBySymbol.MSFT ?? 0, counted("MSFT"));
  assert.equal(stats.deliveredBySymbol.TSLA, undefined, "never subscribed");
});

Deno.test("feed: a replay streams on while nobody holds a symbol, counting what nobody got", async () => {
  const t0 = 1_700_000_000_000;
  // 200 lines, 5 ms apart, one AAPL and one MSFT trade each: 1 s of market.
  const lines = Array.from({ length: 200 }, (_, i) =>
    JSON.stringify({
      type: "trade",
      data: [
        { s: "AAPL", p: 100 + i, t: t0 + 5 * i, v: 1 },
        { s: "MSFT", p: 200 + i, t: t0 + 5 * i, v: 1 },
      ],
    }));
  const path = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(path, lines.join("\n"));
    await using feed = await startFeedServer({ ...FAST, replayFile: path });
    const client = await TestFeedClient.connect(feed.url);
    client.subscribe("AAPL");
    await client.waitFor("some AAPL", () => client.trades().length >= 20);
    client.unsubscribe("AAPL");
    // Nobody listens now: the replay goes on to its end all the same.
    await eventually("replay finished", () => feed.stats().replayFinished);
    const stats = feed.stats();
    assert.equal(stats.tradesSent, 400);
    assert.equal(stats.delivered + stats.missed, 400);
    assert.equal(stats.missedBySymbol.MSFT, 200, "MSFT was never held");
    assert.equal(stats.deliveredBySymbol.AAPL, client.trades().length);
    assert.ok(
      stats.missedBySymbol.AAPL > 0,
      "AAPL went on after the unsubscribe",
    );
    const byGap = Object.fromEntries(stats.gaps.map((g) => [g.symbol, g]));
    assert.equal(byGap.MSFT.missed, 200);
    assert.equal(byGap.AAPL.missed, stats.missedBySymbol.AAPL);
    assert.equal(byGap.AAPL.to, undefined, "AAPL's gap is still open");
    await client.close();
  } finally {
    await Deno.remove(path);
  }
});
