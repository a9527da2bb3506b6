import assert from "node:assert/strict";
import { startFeedServer, TestFeedClient } from "../feed/mod.ts";
import {
  createPipelineMetrics,
  MetricsServerError,
  startMetricsServer,
} from "../metrics/mod.ts";
import {
  FeedPortTakenError,
  isAddrInUse,
  isRunningFeed,
  listenWithFallback,
  startOrJoinFeed,
} from "./ports.ts";

/** Holds a loopback port, the way a first instance would. */
function occupy(): Deno.TcpListener {
  return Deno.listen({ hostname: "127.0.0.1", port: 0 });
}

function metricsServer(port: number) {
  return startMetricsServer({
    port,
    metrics: createPipelineMetrics(),
    isReady: () => true,
  });
}

Deno.test("isAddrInUse finds the bind error through wrappers only", () => {
  const inUse = new Deno.errors.AddrInUse("taken");
  assert.equal(isAddrInUse(inUse), true);
  assert.equal(
    isAddrInUse(new MetricsServerError("x", { cause: inUse })),
    true,
  );
  assert.equal(isAddrInUse(new Deno.errors.PermissionDenied("no")), false);
  assert.equal(isAddrInUse("AddrInUse"), false);
});

Deno.test("metrics port: a taken default port falls back to a free one that serves", async () => {
  using taken = occupy();
  const takenPort = (taken.addr as Deno.NetAddr).port;
  const fellBack: number[] = [];
  const server = listenWithFallback({
    port: takenPort,
    fallback: true,
    listen: metricsServer,
    onFallback: (port) => fellBack.push(port),
  });
  try {
    assert.deepEqual(fellBack, [takenPort]);
    assert.notEqual(server.port, takenPort);
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    assert.equal(await res.text(), "ok\n");
  } finally {
    await server.close();
  }
});

Deno.test("metrics port: a free port is used as given, without fallback", async () => {
  const probe = occupy();
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  let fellBack = false;
  const server = listenWithFallback({
    port,
    fallback: true,
    listen: metricsServer,
    onFallback: () => fellBack = true,
  });
  try {
    assert.equal(server.port, port);
    assert.equal(fellBack, false);
  } finally {
    await server.close();
  }
});

Deno.test("metrics port: an explicitly set port that is taken is an error, not a surprise port", () => {
  using taken = occupy();
  const takenPort = (taken.addr as Deno.NetAddr).port;
  assert.throws(
    () =>
      listenWithFallback({
        port: takenPort,
        fallback: false,
        listen: metricsServer,
      }),
    (err: Error) =>
      err instanceof MetricsServerError && isAddrInUse(err) &&
      err.message.includes(String(takenPort)),
  );
});

Deno.test("simulated feed: a second instance joins the running feed and gets its trades", async () => {
  await using first = await startFeedServer({
    port: 0,
    symbols: ["AAPL", "MSFT"],
    ratePerSec: 200,
    seed: 3,
  });
  assert.equal(await isRunningFeed(first.port), true);
  let started = 0;
  const second = await startOrJoinFeed(first.port, () => {
    started++;
    return startFeedServer({
      port: first.port,
      symbols: ["AAPL", "MSFT"],
      seed: 4,
    });
  });
  assert.equal(started, 1, "it tried to serve first");
  assert.deepEqual(second, { kind: "joined", port: first.port });
  // The joining instance's client is served by the first instance's feed.
  const client = await TestFeedClient.connect(
    `ws://127.0.0.1:${first.port}?token=x`,
  );
  try {
    client.subscribe("AAPL");
    await client.waitFor("a trade", () => client.trades().length > 0, 5_000);
    assert.ok(first.stats().tradesSent > 0);
  } finally {
    await client.close();
  }
});

Deno.test("simulated feed: the first instance on a free port starts its own", async () => {
  const probe = occupy();
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  assert.equal(await isRunningFeed(port), false);
  const feed = await startOrJoinFeed(
    port,
    () => startFeedServer({ port, symbols: ["AAPL"], seed: 1 }),
  );
  assert.equal(feed.kind, "started");
  if (feed.kind === "started") {
    assert.equal(feed.server.port, port);
    assert.equal(await isRunningFeed(port), true);
    await feed.server.close();
  }
});

Deno.test("simulated feed: a port held by something else is a clear FEED_PORT error", async () => {
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("not a feed"),
  );
  try {
    const port = other.addr.port;
    assert.equal(await isRunningFeed(port), false);
    await assert.rejects(
      startOrJoinFeed(
        port,
        () => startFeedServer({ port, symbols: ["AAPL"], seed: 1 }),
      ),
      (err: Error) =>
        err instanceof FeedPortTakenError && err.port === port &&
        /FEED_PORT/.test(err.message) && isAddrInUse(err),
    );
  } finally {
    await other.shutdown();
  }
});
