/**
 * Small panel helpers shared by the dashboards, so every panel gets the
 * same legend, datasource and sizing conventions.
 *
 * @module
 */

import * as common from "@grafana/grafana-foundation-sdk/common";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { PROMETHEUS_DATASOURCE } from "./cassandra_query.ts";

/** Legend shown as a list under the chart. */
export function listLegend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom);
}

/**
 * A Prometheus range query against the provisioned Prometheus datasource.
 *
 * @example
 * ```ts
 * import { promQuery } from "./panels.ts";
 * const q = promQuery("A", "sum(rate(tickline_trades_received_total[1m]))", "received");
 * ```
 */
export function promQuery(
  refId: string,
  expr: string,
  legendFormat: string,
): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .refId(refId)
    .expr(expr)
    .legendFormat(legendFormat)
    .range()
    .datasource({ ...PROMETHEUS_DATASOURCE });
}

/**
 * A time-series panel of Prometheus queries, given as `[expr, legend]` pairs.
 *
 * @example
 * ```ts
 * import { promTimeseries } from "./panels.ts";
 * const p = promTimeseries("Ingest", "ops", [["sum(rate(tickline_trades_received_total[1m]))", "received"]]);
 * ```
 */
export function promTimeseries(
  title: string,
  unit: string,
  queries: [expr: string, legend: string][],
): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .unit(unit)
    .datasource({ ...PROMETHEUS_DATASOURCE })
    .legend(listLegend())
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .height(8)
    .span(12);
  queries.forEach(([expr, legend], i) =>
    panel.withTarget(promQuery(String.fromCharCode(65 + i), expr, legend))
  );
  return panel;
}
