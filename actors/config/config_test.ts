import assert from "node:assert/strict";
import { ConfigError, describeFeed, feedUrl, loadConfig } from "./config.ts";

Deno.test("defaults run against the local infrastructure with the simulated feed", () => {
  const c = loadConfig({});
  assert.deepEqual(c.kafkaBrokers, ["127.0.0.1:9092"]);
  assert.deepEqual(c.cassandraContactPoints, ["127.0.0.1:9042"]);
  assert.equal(c.feed.kind, "simulated");
  assert.equal(c.tradesTopic, "trades");
  assert.equal(c.dlqTopic, "trades.dlq");
  // A second instance shares the symbols instead of ingesting them twice.
  assert.equal(c.ingestOwnership, "leases");
  assert.equal(c.ingestSessionTimeoutMs, 10_000);
});

Deno.test("the ingest takeover bound leaves Kafka's smallest session time-out (6 s) room for the rebalance", () => {
  assert.equal(
    loadConfig({ INGEST_SESSION_TIMEOUT_MS: "8000" }).ingestSessionTimeoutMs,
    8_000,
  );
  assert.throws(
    () => loadConfig({ INGEST_SESSION_TIMEOUT_MS: "7000" }),
    (e) =>
      e instanceof ConfigError && /INGEST_SESSION_TIMEOUT_MS/.test(e.message),
  );
});

Deno.test("an unset METRICS_PORT may fall back to a free port; a set one never does", () => {
  const unset = loadConfig({});
  assert.equal(unset.metricsPort, 9464);
  assert.equal(unset.metricsPortFallback, true);
  assert.equal(loadConfig({ METRICS_PORT: "" }).metricsPortFallback, true);
  const set = loadConfig({ METRICS_PORT: "9464" });
  assert.equal(set.metricsPort, 9464);
  assert.equal(set.metricsPortFallback, false);
});

Deno.test("a token selects the real Finnhub; the token never shows in descriptions", () => {
  const c = loadConfig({ FINNHUB_TOKEN: "s3cr3t-token" });
  assert.equal(c.feed.kind, "finnhub");
  assert.equal(feedUrl(c.feed), "wss://ws.finnhub.io/?token=s3cr3t-token");
  assert.ok(!describeFeed(c.feed).includes("s3cr3t"));
});

const BAD: [Record<string, string>, string, RegExp][] = [
  [{ KAFKA_BROKERS: " , " }, "KAFKA_BROKERS", /at least one/],
  [{ METRICS_PORT: "99999" }, "METRICS_PORT", /<= 65535/],
  [{ METRICS_PORT: "abc" }, "METRICS_PORT", /abc/],
  [{ WINDOW_LATENESS_MS: "1.5" }, "WINDOW_LATENESS_MS", /whole number/],
  [{ ALLOW_ZERO_VOLUME: "maybe" }, "ALLOW_ZERO_VOLUME", /true or false/],
  [{ FINNHUB_URL: "http://x" }, "FINNHUB_URL", /ws:\/\//],
  [{ LOG_LEVEL: "loud" }, "LOG_LEVEL", /debug, info/],
  [{ CASSANDRA_KEYSPACE: "Market-1" }, "CASSANDRA_KEYSPACE", /CQL identifier/],
];

for (const [env, variable, problem] of BAD) {
  Deno.test(`a bad ${variable} stops start-up with one line naming it and an example`, () => {
    assert.throws(() => loadConfig(env), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.variable, variable);
      assert.match(e.message, problem);
      assert.match(e.message, new RegExp(`example: ${variable}=`));
      assert.ok(!e.message.includes("\n"), "one line");
      return true;
    });
  });
}

Deno.test("main exits 2 with one line on a bad variable, and never echoes a secret", async () => {
  const { code, stderr, stdout } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../../main.ts", import.meta.url).pathname,
    ],
    env: { METRICS_PORT: "nope", FINNHUB_TOKEN: "s3cr3t-token" },
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 2);
  assert.match(err, /METRICS_PORT/);
  assert.ok(
    !err.includes("s3cr3t") &&
      !new TextDecoder().decode(stdout).includes("s3cr3t"),
  );
});
