/**
 * The pipeline dashboard: health of feed, Kafka, actors and Cassandra writes
 * from the app's Prometheus metrics.
 *
 * Queries use fixed `[1m]` windows rather than `$__rate_interval` so they
 * run unchanged against Prometheus in tests.
 *
 * Several instances may run (README, "Running several instances"): every
 * panel aggregates across them (`sum` of rates, `max` of lag and depth, `min`
 * of readiness), except where the split by `instance` is the point: the
 * instances stat, the work per instance, restarts and memory per instance.
 *
 * @module
 */

import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import { PROMETHEUS_DATASOURCE } from "./cassandra_query.ts";
import { promQuery, promTimeseries } from "./panels.ts";
import { REFRESH_INTERVALS } from "./market.ts";

/** uid of the pipeline dashboard (alert annotations link to it). */
export const PIPELINE_DASHBOARD_UID = "tickline-pipeline";

const quantile = (q: number, metric: string, by = "") =>
  `histogram_quantile(${q}, sum by (le${
    by ? ", " + by : ""
  }) (rate(${metric}_bucket[1m])))`;

function upDownStat(
  title: string,
  expr: string,
  up: string,
  down: string,
): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .datasource({ ...PROMETHEUS_DATASOURCE })
    .withTarget(promQuery("A", expr, title))
    .reduceOptions(
      new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(
        false,
      ),
    )
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .mappings([{
      type: dashboard.MappingType.ValueToText,
      options: {
        "0": { text: down, color: "red", index: 0 },
        "1": { text: up, color: "green", index: 1 },
      },
    }])
    .noValue("no data")
    .height(4)
    .span(4);
}

/**
 * Builds the pipeline dashboard.
 *
 * @example
 * ```ts
 * import { pipelineDashboard } from "./pipeline.ts";
 * const json = JSON.stringify(pipelineDashboard(), null, 2);
 * ```
 */
export function pipelineDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder("Tickline — Pipeline")
    .uid(PIPELINE_DASHBOARD_UID)
    .tags(["tickline", "pipeline"])
    .description("Feed, Kafka, actors and Cassandra writes of the pipeline.")
    .timezone("utc")
    .time({ from: "now-15m", to: "now" })
    .refresh("5s")
    .timepicker(
      new dashboard.TimePickerBuilder().refreshIntervals(REFRESH_INTERVALS),
    )
    .withPanel(
      upDownStat(
        "Feed connection (any instance)",
        "max(tickline_feed_connected)",
        "Connected",
        "Disconnected",
      ),
    )
    .withPanel(
      upDownStat(
        "Ready (every instance)",
        "min(tickline_ready)",
        "Ready",
        "Not ready",
      ),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title("Instances")
        .description(
          "Instances scraped, how many are ready, and how many hold a feed connection.",
        )
        .datasource({ ...PROMETHEUS_DATASOURCE })
        .withTarget(promQuery("A", "count(tickline_ready)", "running"))
        .withTarget(promQuery("B", "sum(tickline_ready)", "ready"))
        .withTarget(
          promQuery("C", "sum(tickline_feed_connected)", "on the feed"),
        )
        .reduceOptions(
          new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(
            false,
          ),
        )
        .graphMode(common.BigValueGraphMode.None)
        .noValue("0")
        .height(4)
        .span(4),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title("Seconds since last feed message")
        .datasource({ ...PROMETHEUS_DATASOURCE })
        .withTarget(
          promQuery(
            "A",
            "time() - max(tickline_feed_last_message_timestamp_seconds)",
            "age",
          ),
        )
        .unit("s")
        .decimals(1)
        .height(4)
        .span(4),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title("Targets down")
        .datasource({ ...PROMETHEUS_DATASOURCE })
        .withTarget(promQuery("A", "count(up == 0) or vector(0)", "down"))
        .height(4)
        .span(4),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title("Most consumer lag (records)")
        .datasource({ ...PROMETHEUS_DATASOURCE })
        .withTarget(
          promQuery("A", "max(tickline_consumer_lag_records)", "lag"),
        )
        .height(4)
        .span(4),
    )
    .withPanel(
      promTimeseries("Ingest and reject rate", "ops", [
        ["sum(rate(tickline_trades_received_total[1m]))", "received"],
        [
          "sum by (reason) (rate(tickline_trades_rejected_total[1m])) > 0",
          "rejected {{reason}}",
        ],
        [
          "sum by (type) (rate(tickline_feed_messages_total[1m]))",
          "frames {{type}}",
        ],
      ]),
    )
    .withPanel(
      promTimeseries("Dead-letter queue", "short", [
        ["sum(rate(tickline_dlq_records_total[1m]))", "DLQ records/s"],
        ["sum(tickline_dlq_records_total)", "DLQ records total"],
      ]),
    )
    .withPanel(
      promTimeseries("Ingest buffer and drops (Kafka outage)", "short", [
        ["sum(tickline_ingest_buffer_trades)", "trades waiting for Kafka"],
        [
          "sum by (reason) (increase(tickline_trades_dropped_total[1m])) > 0",
          "trades dropped {{reason}}",
        ],
        [
          "sum by (reason) (increase(tickline_dlq_dropped_total[1m])) > 0",
          "letters dropped {{reason}}",
        ],
        [
          "sum(increase(tickline_produce_errors_total[1m]))",
          "produce errors",
        ],
        [
          "sum by (topic) (increase(tickline_produce_timeouts_total[1m])) > 0",
          "produce time-outs {{topic}}",
        ],
      ]),
    )
    .withPanel(
      promTimeseries("Consumer lag by partition", "short", [
        [
          "max by (partition) (tickline_consumer_lag_records)",
          "partition {{partition}}",
        ],
      ]),
    )
    .withPanel(
      promTimeseries("Records consumed by partition", "ops", [
        [
          "sum by (partition) (rate(tickline_records_consumed_total[1m]))",
          "partition {{partition}}",
        ],
      ]),
    )
    .withPanel(
      // Per instance on purpose: shows how the symbols (ingest) and the
      // partitions (consume) are spread, and each rebalance moving them.
      promTimeseries("Work per instance", "ops", [
        [
          "sum by (instance) (rate(tickline_trades_received_total[1m]))",
          "ingest {{instance}}",
        ],
        [
          "sum by (instance) (rate(tickline_records_consumed_total[1m]))",
          "consume {{instance}}",
        ],
      ]),
    )
    .withPanel(
      // Ingest leases: which instance ingests how many symbols, and how long
      // each rebalance left them unsubscribed.
      promTimeseries("Ingest ownership and handovers", "short", [
        [
          "sum by (instance) (tickline_ingest_owned_symbols)",
          "symbols {{instance}}",
        ],
        [
          quantile(0.95, "tickline_ingest_handover_seconds"),
          "handover p95 (s)",
        ],
      ]),
    )
    .withPanel(
      promTimeseries("End-to-end latency (ingest to durable write)", "s", [
        [quantile(0.5, "tickline_e2e_latency_seconds"), "p50"],
        [quantile(0.95, "tickline_e2e_latency_seconds"), "p95"],
        [quantile(0.99, "tickline_e2e_latency_seconds"), "p99"],
      ]),
    )
    .withPanel(
      promTimeseries("Write and produce latency p95", "s", [
        [
          quantile(0.95, "tickline_cassandra_write_duration_seconds", "table"),
          "cassandra {{table}}",
        ],
        [quantile(0.95, "tickline_produce_duration_seconds"), "kafka produce"],
      ]),
    )
    .withPanel(
      promTimeseries("Write errors and retries", "ops", [
        [
          "sum by (table) (rate(tickline_cassandra_write_errors_total[1m]))",
          "errors {{table}}",
        ],
        [
          "sum by (table) (rate(tickline_cassandra_write_retries_total[1m]))",
          "retries {{table}}",
        ],
        ["sum(rate(tickline_produce_errors_total[1m]))", "produce errors"],
      ]),
    )
    .withPanel(
      promTimeseries("Candles emitted and late trades", "ops", [
        [
          "sum by (state) (rate(tickline_candles_emitted_total[1m]))",
          "candles {{state}}",
        ],
        ["sum(rate(tickline_late_trades_total[1m]))", "late trades"],
      ]),
    )
    .withPanel(
      promTimeseries("Actor restarts and failures (5m)", "short", [
        [
          "sum by (kind) (increase(tickline_actor_restarts_total[5m]))",
          "restarts {{kind}}",
        ],
        [
          "sum by (kind) (increase(tickline_actor_failures_total[5m]))",
          "failures {{kind}}",
        ],
        [
          "sum(increase(tickline_actor_dead_letters_total[5m]))",
          "dead letters",
        ],
        [
          "sum by (instance) (increase(tickline_actor_restarts_total[5m])) > 0",
          "restarts on {{instance}}",
        ],
      ]),
    )
    .withPanel(
      promTimeseries("Mailbox depth (max per kind)", "short", [
        ["max by (kind) (tickline_actor_mailbox_depth)", "{{kind}}"],
        [
          "sum by (kind) (rate(tickline_actor_dropped_messages_total[1m])) > 0",
          "dropped/s {{kind}}",
        ],
      ]),
    )
    .withPanel(
      promTimeseries("Actor handler p95", "s", [
        [
          quantile(0.95, "tickline_actor_handler_duration_seconds", "kind"),
          "{{kind}}",
        ],
      ]),
    )
    .withPanel(
      promTimeseries("Process memory", "bytes", [
        [
          "max by (type) (tickline_process_memory_bytes)",
          "{{type}} (largest instance)",
        ],
        [
          'max by (instance) (tickline_process_memory_bytes{type="rss"})',
          "rss {{instance}}",
        ],
      ]),
    )
    .withPanel(
      promTimeseries("Feed reconnects and errors (5m)", "short", [
        ["sum(increase(tickline_feed_reconnects_total[5m]))", "reconnects"],
        [
          "sum by (kind) (increase(tickline_feed_errors_total[5m])) > 0",
          "error {{kind}}",
        ],
      ]),
    )
    .build();
}
