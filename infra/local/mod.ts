/**
 * Real Kafka, Cassandra, Prometheus and Alertmanager on 127.0.0.1 without
 * Docker: `deno task infra:up | infra:down | infra:status` run `infra.ts`.
 *
 * @example
 * ```ts ignore
 * import { loadInfraConfig, waitForKafka } from "./infra/local/mod.ts";
 * await waitForKafka(["127.0.0.1:9092"], 60_000);
 * ```
 *
 * @module
 */
export {
  DEFAULT_INGEST_LEASE_TOPIC,
  DEFAULT_INGEST_SHARDS,
  DEFAULT_TRADES_PARTITIONS,
  type InfraConfig,
  type InfraPorts,
  loadInfraConfig,
  REPO_ROOT,
} from "./config.ts";
export { main, prepareToolchain, type Toolchain } from "./infra.ts";
export {
  cassandraAnswers,
  kafkaAnswers,
  waitForCassandra,
  waitForKafka,
} from "./readiness.ts";
