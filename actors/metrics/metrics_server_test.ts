import assert from "node:assert/strict";
import { createPipelineMetrics } from "./pipeline_metrics.ts";
import {
  metricsHandler,
  MetricsServerError,
  startMetricsServer,
} from "./metrics_server.ts";

Deno.test("server serves metrics, healthz and a readyz that flips", async () => {
  const metrics = createPipelineMetrics({ symbols: ["AAPL"], partitions: 1 });
  let ready = false;
  const server = startMetricsServer({ port: 0, metrics, isReady: () => ready });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const m = await fetch(`${base}/metrics`);
    assert.equal(m.status, 200);
    assert.match(
      m.headers.get("content-type") ?? "",
      /^text\/plain; version=0\.0\.4/,
    );
    assert.match(await m.text(), /tickline_feed_connected 0/);

    const h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 200);
    assert.equal((await h.text()).trim(), "ok");

    const r1 = await fetch(`${base}/readyz`);
    assert.equal(r1.status, 503);
    assert.match(await r1.text(), /not ready/);
    ready = true;
    const r2 = await fetch(`${base}/readyz`);
    assert.equal(r2.status, 200);
    await r2.body?.cancel();

    const nf = await fetch(`${base}/nope`);
    assert.equal(nf.status, 404);
    await nf.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("a throwing readiness check is 503 without leaking its message", async () => {
  const secret = "d0secretFinnhubTokenXYZ";
  const handler = metricsHandler(createPipelineMetrics(), () => {
    throw new TypeError(`token=${secret}`);
  });
  const res = await handler(new Request("http://x/readyz"));
  assert.equal(res.status, 503);
  const body = await res.text();
  assert.match(body, /TypeError/);
  assert.ok(!body.includes(secret));
});

Deno.test("no config secret reaches the scrape output", async () => {
  const secret = "c9fake-finnhub-token-0123456789";
  Deno.env.set("FINNHUB_TOKEN", secret);
  try {
    const m = createPipelineMetrics({
      symbols: ["AAPL", "BINANCE:BTCUSDT"],
      partitions: 3,
    });
    m.feedErrors.inc({ kind: "other" });
    m.tradesReceived.inc();
    const text = await metricsHandler(m, () => true)(
      new Request("http://x/metrics"),
    )
      .then((r) => r.text());
    assert.match(text, /symbol="BINANCE:BTCUSDT"/);
    assert.ok(!text.includes(secret));
    assert.ok(!/token/i.test(text), "no metric or label mentions a token");
  } finally {
    Deno.env.delete("FINNHUB_TOKEN");
  }
});

Deno.test("an aborted signal stops the server and close() still resolves", async () => {
  const ac = new AbortController();
  const server = startMetricsServer({
    port: 0,
    metrics: createPipelineMetrics(),
    isReady: () => true,
    signal: ac.signal,
  });
  ac.abort();
  await server.close();
  await server.close();
  await assert.rejects(fetch(`http://127.0.0.1:${server.port}/healthz`));
});

Deno.test("a taken port raises MetricsServerError", async () => {
  const first = startMetricsServer({
    port: 0,
    metrics: createPipelineMetrics(),
    isReady: () => true,
  });
  try {
    assert.throws(
      () =>
        startMetricsServer({
          port: first.port,
          metrics: createPipelineMetrics(),
          isReady: () => true,
        }),
      MetricsServerError,
    );
  } finally {
    await first.close();
  }
});

Deno.test("a fallback handler answers every other GET path; the built-in paths stay", async () => {
  const metrics = createPipelineMetrics();
  const seen: string[] = [];
  const handler = metricsHandler(metrics, () => true, (req) => {
    seen.push(new URL(req.url).pathname);
    return new Response("page", { status: 200 });
  });
  const page = await handler(new Request("http://x/"));
  assert.equal(await page.text(), "page");
  const api = await handler(new Request("http://x/api/candles?symbol=A"));
  assert.equal(await api.text(), "page");
  const h = await handler(new Request("http://x/healthz"));
  assert.equal((await h.text()).trim(), "ok");
  const post = await handler(new Request("http://x/", { method: "POST" }));
  assert.equal(post.status, 405);
  await post.body?.cancel();
  assert.deepEqual(seen, ["/", "/api/candles"]);
});
