/**
 * Lists every panel query of the dashboards, so tests can run them against
 * the real Cassandra and Prometheus.
 *
 * @module
 */

import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { allDashboards } from "./generate.ts";

/** One query of one panel. */
export interface PanelQuery {
  /** Dashboard uid. */
  dashboard: string;
  /** Panel title. */
  panel: string;
  datasource: "cassandra" | "prometheus";
  /** Raw CQL (with Grafana variables and plugin macros) or PromQL. */
  query: string;
}

type AnyPanel = dashboard.Panel | dashboard.RowPanel;

function panelsOf(d: dashboard.Dashboard): dashboard.Panel[] {
  const out: dashboard.Panel[] = [];
  for (const p of (d.panels ?? []) as AnyPanel[]) {
    if (p.type === "row") {
      out.push(...((p as dashboard.RowPanel).panels ?? []));
    } else {
      out.push(p as dashboard.Panel);
    }
  }
  return out;
}

/**
 * Every panel query of every dashboard.
 *
 * @example
 * ```ts
 * import { dashboardQueries } from "./queries.ts";
 * const cql = dashboardQueries().filter((q) => q.datasource === "cassandra");
 * ```
 */
export function dashboardQueries(): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const d of Object.values(allDashboards())) {
    for (const panel of panelsOf(d)) {
      for (
        const t of (panel.targets ?? []) as unknown as Record<string, unknown>[]
      ) {
        const ds = (t.datasource ?? panel.datasource) as
          | { type?: string }
          | undefined;
        const isCassandra = ds?.type === "hadesarchitect-cassandra-datasource";
        out.push({
          dashboard: d.uid ?? d.title ?? "",
          panel: panel.title ?? "",
          datasource: isCassandra ? "cassandra" : "prometheus",
          query: String(isCassandra ? t.target : t.expr),
        });
      }
    }
  }
  return out;
}
