/**
 * The Cassandra datasource plugin's raw-CQL query model, as a builder the
 * Grafana Foundation SDK accepts (the SDK ships no Cassandra types).
 *
 * @module
 */

import type * as cog from "@grafana/grafana-foundation-sdk/cog";

/** Datasource reference of the provisioned Cassandra datasource. */
export const CASSANDRA_DATASOURCE = {
  type: "hadesarchitect-cassandra-datasource",
  uid: "tickline-cassandra",
} as const;

/** Datasource reference of the provisioned Prometheus datasource. */
export const PROMETHEUS_DATASOURCE = {
  type: "prometheus",
  uid: "tickline-prometheus",
} as const;

/** One raw CQL panel query of the Cassandra plugin. */
export interface CassandraQuery extends cog.Dataquery {
  refId: string;
  queryType: "query";
  rawQuery: true;
  /** The CQL text, with Grafana variables and plugin macros. */
  target: string;
  /** Series name override; `{{ column }}` placeholders are allowed. */
  alias?: string;
  datasource: typeof CASSANDRA_DATASOURCE;
}

/**
 * Builds a {@linkcode CassandraQuery}.
 *
 * @example
 * ```ts
 * import { CassandraQueryBuilder } from "./cassandra_query.ts";
 * const q = new CassandraQueryBuilder("SELECT symbol, ts, price FROM market.trades_v2 WHERE ...")
 *   .refId("A").alias("price").build();
 * ```
 */
export class CassandraQueryBuilder implements cog.Builder<cog.Dataquery> {
  #query: CassandraQuery;

  /** @param cql the raw CQL */
  constructor(cql: string) {
    this.#query = {
      refId: "A",
      queryType: "query",
      rawQuery: true,
      target: cql,
      datasource: { ...CASSANDRA_DATASOURCE },
      // The SDK's marker method; JSON.stringify drops it.
      _implementsDataqueryVariant() {},
    };
  }

  /** Sets the query's refId (unique per panel). */
  refId(refId: string): this {
    this.#query.refId = refId;
    return this;
  }

  /** Sets the series name. */
  alias(alias: string): this {
    this.#query.alias = alias;
    return this;
  }

  /** Returns the query model. */
  build(): CassandraQuery {
    return this.#query;
  }
}
