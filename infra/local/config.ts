/**
 * Ports, paths and sizes of the local (no-Docker) infrastructure. Defaults are
 * the project's fixed ports; each can be overridden through the environment.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Every port the local servers bind, all on 127.0.0.1. */
export interface InfraPorts {
  kafka: number;
  kafkaController: number;
  kafkaJmxExporter: number;
  cassandra: number;
  cassandraStorage: number;
  cassandraJmx: number;
  cassandraJmxExporter: number;
  prometheus: number;
  alertmanager: number;
}

/** Resolved settings for one run of the infra scripts. */
export interface InfraConfig {
  /** Absolute path of the repository root. */
  root: string;
  /** Absolute path of the git-ignored `.local/` folder (data, logs, jars, pids). */
  localDir: string;
  /** `.local/lib/<profile>`: jars fetched by Maven. */
  libDir: string;
  /** `.local/data/<server>`: each server's storage. */
  dataDir: string;
  /** `.local/logs/<server>.log`: each server's stdout and stderr. */
  logDir: string;
  /** `.local/run/<server>.pid` and generated config files. */
  runDir: string;
  /** The loopback address every server binds. */
  host: string;
  ports: InfraPorts;
  /** Partitions of the `trades` topic. */
  tradesPartitions: number;
  /** The ingest lease topic: one partition per symbol shard (`INGEST_LEASE_TOPIC`). */
  ingestLeaseTopic: string;
  /** Partitions of the ingest lease topic, i.e. the symbol shards (`INGEST_SHARDS`). */
  ingestShards: number;
  /** Where Alertmanager's Slack receiver posts; a dead local port by default. */
  slackWebhookUrl: string;
  /** JVM heap sizes, e.g. "512m". */
  kafkaHeap: string;
  cassandraHeap: string;
}

/** The repository root, derived from this file's location. */
export const REPO_ROOT: string = fileURLToPath(
  new URL("../../", import.meta.url),
)
  .replace(/\/$/, "");

/**
 * Default partitions of `trades`. With kafkajs's default partitioner (Java's
 * murmur2) 3 partitions put 4 of the 6 default symbols on partition 0; 16
 * give each default symbol a partition of its own, so 2 and 3 instances share
 * them 3-3 and 3-2-1 (see `kafka_test.ts`).
 */
export const DEFAULT_TRADES_PARTITIONS = 16;
/** Default partitions of the ingest lease topic (symbol shards). */
export const DEFAULT_INGEST_SHARDS = 16;
/** Default name of the ingest lease topic. */
export const DEFAULT_INGEST_LEASE_TOPIC = "trades.ingest-leases";

/** An integer variable in `[min, max]`; `what` names the expected kind in the error. */
function intVar(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  what: { min: number; max: number; kind: string },
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < what.min || value > what.max) {
    throw new RangeError(
      `${name}=${raw} is not ${what.kind}; set it to e.g. ${fallback} or unset it.`,
    );
  }
  return value;
}

const PORT = { min: 1, max: 65535, kind: "a TCP port (1-65535)" };
const COUNT = {
  min: 1,
  max: Number.MAX_SAFE_INTEGER,
  kind: "a positive integer",
};

/**
 * Builds the configuration from the environment.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * const config = loadInfraConfig({ TRADES_PARTITIONS: "24" });
 * console.log(config.ports.kafka, config.tradesPartitions); // 9092 24
 * ```
 */
export function loadInfraConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
  root: string = REPO_ROOT,
): InfraConfig {
  const localDir = env.TICKLINE_LOCAL_DIR || join(root, ".local");
  return {
    root,
    localDir,
    libDir: join(localDir, "lib"),
    dataDir: join(localDir, "data"),
    logDir: join(localDir, "logs"),
    runDir: join(localDir, "run"),
    host: "127.0.0.1",
    ports: {
      kafka: intVar(env, "KAFKA_PORT", 9092, PORT),
      kafkaController: intVar(env, "KAFKA_CONTROLLER_PORT", 9095, PORT),
      kafkaJmxExporter: intVar(env, "KAFKA_JMX_EXPORTER_PORT", 7071, PORT),
      cassandra: intVar(env, "CASSANDRA_PORT", 9042, PORT),
      cassandraStorage: intVar(env, "CASSANDRA_STORAGE_PORT", 7000, PORT),
      cassandraJmx: intVar(env, "CASSANDRA_JMX_PORT", 7199, PORT),
      cassandraJmxExporter: intVar(
        env,
        "CASSANDRA_JMX_EXPORTER_PORT",
        7072,
        PORT,
      ),
      prometheus: intVar(env, "PROMETHEUS_PORT", 9090, PORT),
      alertmanager: intVar(env, "ALERTMANAGER_PORT", 9093, PORT),
    },
    tradesPartitions: intVar(
      env,
      "TRADES_PARTITIONS",
      DEFAULT_TRADES_PARTITIONS,
      COUNT,
    ),
    ingestLeaseTopic: env.INGEST_LEASE_TOPIC || DEFAULT_INGEST_LEASE_TOPIC,
    ingestShards: intVar(env, "INGEST_SHARDS", DEFAULT_INGEST_SHARDS, COUNT),
    // Port 9 (discard) refuses connections: alerts fail fast instead of leaking anywhere.
    slackWebhookUrl: env.SLACK_WEBHOOK_URL || "http://127.0.0.1:9/",
    kafkaHeap: env.KAFKA_HEAP || "512m",
    cassandraHeap: env.CASSANDRA_HEAP || "768m",
  };
}
