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

function port(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new RangeError(
      `${name}=${raw} is not a TCP port; set it to an integer 1-65535 or unset it.`,
    );
  }
  return value;
}

/**
 * Builds the configuration from the environment.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * const config = loadInfraConfig({ TRADES_PARTITIONS: "6" });
 * console.log(config.ports.kafka, config.tradesPartitions); // 9092 6
 * ```
 */
export function loadInfraConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
  root: string = REPO_ROOT,
): InfraConfig {
  const localDir = env.TICKLINE_LOCAL_DIR || join(root, ".local");
  const partitions = Number(env.TRADES_PARTITIONS || "3");
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(
      `TRADES_PARTITIONS=${env.TRADES_PARTITIONS} is not a positive integer; set it to e.g. 3 or unset it.`,
    );
  }
  return {
    root,
    localDir,
    libDir: join(localDir, "lib"),
    dataDir: join(localDir, "data"),
    logDir: join(localDir, "logs"),
    runDir: join(localDir, "run"),
    host: "127.0.0.1",
    ports: {
      kafka: port(env, "KAFKA_PORT", 9092),
      kafkaController: port(env, "KAFKA_CONTROLLER_PORT", 9095),
      kafkaJmxExporter: port(env, "KAFKA_JMX_EXPORTER_PORT", 7071),
      cassandra: port(env, "CASSANDRA_PORT", 9042),
      cassandraStorage: port(env, "CASSANDRA_STORAGE_PORT", 7000),
      cassandraJmx: port(env, "CASSANDRA_JMX_PORT", 7199),
      cassandraJmxExporter: port(env, "CASSANDRA_JMX_EXPORTER_PORT", 7072),
      prometheus: port(env, "PROMETHEUS_PORT", 9090),
      alertmanager: port(env, "ALERTMANAGER_PORT", 9093),
    },
    tradesPartitions: partitions,
    // Port 9 (discard) refuses connections: alerts fail fast instead of leaking anywhere.
    slackWebhookUrl: env.SLACK_WEBHOOK_URL || "http://127.0.0.1:9/",
    kafkaHeap: env.KAFKA_HEAP || "512m",
    cassandraHeap: env.CASSANDRA_HEAP || "768m",
  };
}
