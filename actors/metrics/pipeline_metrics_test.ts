import assert from "node:assert/strict";
import { register as globalRegistry } from "prom-client";
import {
  createPipelineMetrics,
  MEMORY_TYPES,
  REJECT_REASONS,
} from "./pipeline_metrics.ts";

const EXPECTED_NAMES = [
  "tickline_feed_connected",
  "tickline_feed_reconnects_total",
  "tickline_feed_messages_total",
  "tickline_feed_errors_total",
  "tickline_feed_last_message_timestamp_seconds",
  "tickline_trades_received_total",
  "tickline_trades_rejected_total",
  "tickline_dlq_records_total",
  "tickline_produce_duration_seconds",
  "tickline_produce_errors_total",
  "tickline_consumer_lag_records",
  "tickline_records_consumed_total",
  "tickline_candles_emitted_total",
  "tickline_late_trades_total",
  "tickline_cassandra_write_duration_seconds",
  "tickline_cassandra_batch_size",
  "tickline_cassandra_write_errors_total",
  "tickline_cassandra_write_retries_total",
  "tickline_e2e_latency_seconds",
  "tickline_actor_restarts_total",
  "tickline_actor_failures_total",
  "tickline_actor_dead_letters_total",
  "tickline_actor_dropped_messages_total",
  "tickline_actor_mailbox_depth",
  "tickline_actor_handler_duration_seconds",
  "tickline_process_memory_bytes",
  "tickline_ready",
];

/** Prometheus' counter names drop `_total` in the TYPE line; match either. */
function typeLine(text: string, name: string): string | undefined {
  const base = name.replace(/_total$/, "");
  return text.split("\n").find((l) =>
    l.startsWith(`# TYPE ${name} `) || l.startsWith(`# TYPE ${base} `)
  );
}

Deno.test("scrape output declares every metric", async () => {
  const m = createPipelineMetrics({ symbols: ["AAPL"], partitions: 2 });
  const text = await m.registry.metrics();
  for (const name of EXPECTED_NAMES) {
    assert.ok(typeLine(text, name), `missing ${name}`);
  }
});

Deno.test("metrics live in a fresh registry, not the global one", async () => {
  const a = createPipelineMetrics();
  const b = createPipelineMetrics();
  a.tradesReceived.inc(5);
  assert.match(
    await a.registry.metrics(),
    /^tickline_trades_received_total 5$/m,
  );
  assert.match(
    await b.registry.metrics(),
    /^tickline_trades_received_total 0$/m,
  );
  assert.equal(
    globalRegistry.getSingleMetric("tickline_trades_received_total"),
    undefined,
  );
});

Deno.test("bounded label sets are pre-created with zero", async () => {
  const m = createPipelineMetrics({ symbols: ["AAPL", "MSFT"], partitions: 3 });
  const text = await m.registry.metrics();
  for (const reason of REJECT_REASONS) {
    assert.match(
      text,
      new RegExp(`tickline_trades_rejected_total\\{reason="${reason}"\\} 0`),
    );
  }
  assert.equal(REJECT_REASONS.length, 21);
  for (const p of ["0", "1", "2"]) {
    assert.match(
      text,
      new RegExp(`tickline_consumer_lag_records\\{partition="${p}"\\} 0`),
    );
    assert.match(
      text,
      new RegExp(`tickline_records_consumed_total\\{partition="${p}"\\} 0`),
    );
  }
  assert.doesNotMatch(text, /partition="3"/);
  assert.match(text, /tickline_trades_by_symbol_total\{symbol="MSFT"\} 0/);
  assert.match(text, /tickline_candles_emitted_total\{state="recomputed"\} 0/);
  assert.match(
    text,
    /tickline_cassandra_write_errors_total\{table="trade_aggregates"\} 0/,
  );
  assert.match(text, /^tickline_feed_connected 0$/m);
});

Deno.test("memory gauge is read from Deno.memoryUsage on scrape", async () => {
  const m = createPipelineMetrics();
  const text = await m.registry.metrics();
  for (const type of MEMORY_TYPES) {
    const line = text.split("\n").find((l) =>
      l.startsWith(`tickline_process_memory_bytes{type="${type}"}`)
    );
    assert.ok(line, `missing memory type ${type}`);
    assert.ok(Number(line.split(" ")[1]) > 0, line);
  }
});

Deno.test("e2e latency buckets span 1 ms to 10 s", async () => {
  const m = createPipelineMetrics();
  m.e2eLatency.observe(0.004);
  const text = await m.registry.metrics();
  assert.match(text, /tickline_e2e_latency_seconds_bucket\{le="0.001"\} 0/);
  assert.match(text, /tickline_e2e_latency_seconds_bucket\{le="0.005"\} 1/);
  assert.match(text, /tickline_e2e_latency_seconds_bucket\{le="10"\} 1/);
  assert.match(text, /tickline_e2e_latency_seconds_count 1/);
});

Deno.test("labelled metrics accept their documented labels", async () => {
  const m = createPipelineMetrics();
  m.feedMessages.inc({ type: "trade" }, 3);
  m.writeDuration.observe({ table: "trades_v2" }, 0.002);
  m.batchSize.observe({ table: "trade_aggregates" }, 7);
  const text = await m.registry.metrics();
  assert.match(text, /tickline_feed_messages_total\{type="trade"\} 3/);
  assert.match(
    text,
    /tickline_cassandra_write_duration_seconds_count\{table="trades_v2"\} 1/,
  );
  assert.match(
    text,
    /tickline_cassandra_batch_size_sum\{table="trade_aggregates"\} 7/,
  );
});
