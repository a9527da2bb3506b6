import assert from "node:assert/strict";
import { expandCassandraMacros } from "./macros.ts";
import { JSON_DIR, renderDashboards } from "./generate.ts";
import { dashboardQueries } from "./queries.ts";
import { MARKET_DASHBOARD_UID, REFRESH_INTERVALS } from "./market.ts";
import { PIPELINE_DASHBOARD_UID } from "./pipeline.ts";
import { createPipelineMetrics } from "../actors/metrics/mod.ts";

Deno.test("committed dashboard JSON is up to date (run `deno task dashboards`)", async () => {
  const rendered = renderDashboards();
  const committed = [...Deno.readDirSync(JSON_DIR)].map((e) => e.name).sort();
  assert.deepEqual(committed, Object.keys(rendered).sort());
  for (const [file, text] of Object.entries(rendered)) {
    assert.equal(
      await Deno.readTextFile(`${JSON_DIR}${file}`),
      text,
      `${file} is stale: run deno task dashboards`,
    );
  }
});

Deno.test("market dashboard: symbol variable, 1s refresh, Cassandra panels", () => {
  const d = JSON.parse(renderDashboards()["market.json"]);
  assert.equal(d.uid, MARKET_DASHBOARD_UID);
  assert.equal(d.refresh, "1s");
  assert.ok(d.timepicker.refresh_intervals.includes("1s"));
  assert.deepEqual(d.timepicker.refresh_intervals, REFRESH_INTERVALS);
  const symbol = d.templating.list.find((v: { name: string }) =>
    v.name === "symbol"
  );
  assert.equal(symbol.type, "custom");
  assert.equal(symbol.current.value, "AAPL");
  const types = d.panels.map((p: { type: string }) => p.type).sort();
  assert.deepEqual(types, [
    "candlestick",
    "stat",
    "stat",
    "timeseries",
    "timeseries",
  ]);
  for (const p of d.panels) {
    for (const t of p.targets) {
      assert.deepEqual(t.datasource, {
        type: "hadesarchitect-cassandra-datasource",
        uid: "tickline-cassandra",
      });
      assert.equal(t.queryType, "query");
      assert.equal(t.rawQuery, true);
      assert.equal(typeof t.target, "string");
      assert.ok(t.refId);
    }
  }
});

Deno.test("every CQL query gives the full partition key", () => {
  const cql = dashboardQueries().filter((q) => q.datasource === "cassandra");
  assert.equal(cql.length, 5);
  for (const q of cql) {
    const where = q.query.split(/\bWHERE\b/)[1] ?? "";
    const restricted = (col: string) =>
      new RegExp(`\\b${col}\\s*(=|IN\\s*\\()`).test(where);
    assert.ok(restricted("symbol"), `${q.panel}: symbol`);
    assert.ok(restricted("trade_year"), `${q.panel}: trade_year`);
    assert.ok(restricted("trade_month"), `${q.panel}: trade_month`);
    if (/FROM market\.trades_v2/.test(q.query)) {
      assert.ok(restricted("trade_day"), `${q.panel}: trade_day`);
    } else {
      assert.match(q.query, /FROM market\.trade_aggregates/);
    }
    assert.doesNotMatch(q.query, /ALLOW FILTERING/i);
  }
});

Deno.test("CQL queries expand completely with the dashboard's variables", () => {
  const to = new Date();
  const from = new Date(to.getTime() - 15 * 60_000);
  for (
    const q of dashboardQueries().filter((q) => q.datasource === "cassandra")
  ) {
    const cql = expandCassandraMacros(q.query, {
      from,
      to,
      vars: { symbol: "AAPL" },
      strict: true,
    });
    assert.doesNotMatch(cql, /\$|\[\[/, `${q.panel}: ${cql}`);
  }
});

Deno.test("pipeline dashboard uses Prometheus and only metrics that exist", async () => {
  const d = JSON.parse(renderDashboards()["pipeline.json"]);
  assert.equal(d.uid, PIPELINE_DASHBOARD_UID);
  const exposed = await createPipelineMetrics().registry.metrics();
  const prom = dashboardQueries().filter((q) => q.datasource === "prometheus");
  assert.ok(prom.length >= 15);
  for (const q of prom) {
    assert.equal(q.dashboard, PIPELINE_DASHBOARD_UID);
    assert.doesNotMatch(q.query, /\$/, `${q.panel}: no Grafana variables`);
    for (const name of q.query.match(/tickline_\w+/g) ?? []) {
      const base = name.replace(/_(bucket|sum|count)$/, "");
      assert.ok(exposed.includes(`# TYPE ${base} `), `${q.panel}: ${name}`);
    }
  }
  for (
    const needle of [
      "tickline_trades_received_total",
      "tickline_trades_rejected_total",
      "tickline_dlq_records_total",
      "tickline_consumer_lag_records",
      "tickline_e2e_latency_seconds_bucket",
      "tickline_cassandra_write_duration_seconds_bucket",
      "tickline_actor_restarts_total",
      "tickline_actor_mailbox_depth",
      "tickline_feed_connected",
    ]
  ) {
    assert.ok(prom.some((q) => q.query.includes(needle)), needle);
  }
  for (const p of d.panels) {
    for (const t of p.targets) {
      assert.equal(t.datasource.uid, "tickline-prometheus");
    }
  }
  const e2e = prom.filter((q) =>
    q.query.includes("tickline_e2e_latency_seconds_bucket")
  )
    .map((q) => q.query.match(/histogram_quantile\(([\d.]+)/)?.[1]);
  assert.deepEqual(e2e, ["0.5", "0.95", "0.99"]);
});
