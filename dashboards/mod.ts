/**
 * Tickline's Grafana dashboards as code (Grafana Foundation SDK), their
 * JSON rendering, and helpers to run every panel query outside Grafana.
 *
 * @example
 * ```ts
 * import { dashboardQueries, expandCassandraMacros } from "./mod.ts";
 * const now = new Date();
 * for (const q of dashboardQueries()) {
 *   if (q.datasource !== "cassandra") continue;
 *   const cql = expandCassandraMacros(q.query, {
 *     from: new Date(now.getTime() - 15 * 60_000),
 *     to: now,
 *     vars: { symbol: "AAPL" },
 *   });
 * }
 * ```
 *
 * @module
 */

export {
  CASSANDRA_DATASOURCE,
  type CassandraQuery,
  CassandraQueryBuilder,
  PROMETHEUS_DATASOURCE,
} from "./cassandra_query.ts";
export {
  expandCassandraMacros,
  formatGrafanaDate,
  type MacroContext,
  UnknownVariableError,
  UnsupportedDateFormatError,
} from "./macros.ts";
export {
  MARKET_CQL,
  MARKET_DASHBOARD_UID,
  MARKET_SYMBOLS,
  marketDashboard,
  REFRESH_INTERVALS,
} from "./market.ts";
export { PIPELINE_DASHBOARD_UID, pipelineDashboard } from "./pipeline.ts";
export {
  allDashboards,
  JSON_DIR,
  renderDashboards,
  writeDashboards,
} from "./generate.ts";
export { dashboardQueries, type PanelQuery } from "./queries.ts";
