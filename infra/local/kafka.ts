/**
 * A single-node Apache Kafka (KRaft, combined broker + controller) run from
 * Maven jars, with the Prometheus JMX exporter as a java agent, and the
 * pipeline's topics.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { InfraConfig } from "./config.ts";
import { kafkaAnswers } from "./readiness.ts";
import type { Launch, ServerSpec } from "./server.ts";
import { runCommand } from "./tools.ts";

/** Jars and executables the Kafka server needs. */
export interface KafkaDeps {
  java: string;
  /** Directory with the Kafka runtime jars. */
  libDir: string;
  /** Path of jmx_prometheus_javaagent.jar. */
  jmxAgentJar: string;
}

/** A topic the pipeline needs. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
}

/** Rules for the JMX exporter, shared with compose.yaml. */
export const KAFKA_JMX_RULES: URL = new URL(
  "../jmx/kafka.yml",
  import.meta.url,
);

/**
 * The pipeline's topics: `trades` keyed by symbol, its dead-letter topic, and
 * the ingest lease topic whose partitions are the symbol shards that the
 * `-ingest` consumer group hands out to instances.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { pipelineTopics } from "./kafka.ts";
 * pipelineTopics(loadInfraConfig()); // [{ topic: "trades", numPartitions: 16 }, ...]
 * ```
 */
export function pipelineTopics(config: InfraConfig): TopicSpec[] {
  return [
    { topic: "trades", numPartitions: config.tradesPartitions },
    // One partition keeps failed messages in arrival order for inspection.
    { topic: "trades.dlq", numPartitions: 1 },
    { topic: config.ingestLeaseTopic, numPartitions: config.ingestShards },
  ];
}

/**
 * The broker's server.properties for one local node.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { kafkaProperties } from "./kafka.ts";
 * console.log(kafkaProperties(loadInfraConfig(), "/tmp/kafka-data"));
 * ```
 */
export function kafkaProperties(config: InfraConfig, logDirs: string): string {
  const { host, ports } = config;
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@${host}:${ports.kafkaController}`,
    `listeners=PLAINTEXT://${host}:${ports.kafka},CONTROLLER://${host}:${ports.kafkaController}`,
    `advertised.listeners=PLAINTEXT://${host}:${ports.kafka}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${logDirs}`,
    // One node: every internal topic must have replication factor 1.
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=3",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    // Consumers in tests join at once instead of waiting 3 s for more members.
    "group.initial.rebalance.delay.ms=0",
    // Topics come from infra:up with explicit partition counts, never from a typo.
    "auto.create.topics.enable=false",
    "num.partitions=1",
    "num.network.threads=2",
    "num.io.threads=4",
    "log.retention.hours=24",
    "log.segment.bytes=67108864",
    "",
  ].join("\n");
}

const LOG4J2_PROPERTIES = [
  "status = warn",
  "appender.console.type = Console",
  "appender.console.name = STDOUT",
  "appender.console.layout.type = PatternLayout",
  "appender.console.layout.pattern = [%d] %p %m (%c)%n",
  "rootLogger.level = INFO",
  "rootLogger.appenderRef.stdout.ref = STDOUT",
  // The state-change and request loggers are very chatty at INFO.
  "logger.statechange.name = state.change.logger",
  "logger.statechange.level = WARN",
  "logger.request.name = kafka.request.logger",
  "logger.request.level = WARN",
  "",
].join("\n");

/**
 * A random KRaft cluster id in Kafka's format (URL-safe base64 of 16 bytes).
 *
 * @example
 * ```ts
 * import { randomClusterId } from "./kafka.ts";
 * randomClusterId().length; // 22
 * ```
 */
export function randomClusterId(): string {
  while (true) {
    const id = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString(
      "base64url",
    );
    // Kafka's own generator skips ids that would look like a command-line flag.
    if (!id.startsWith("-")) return id;
  }
}

/**
 * Creates missing topics and grows `trades` when asked for more partitions.
 *
 * @example
 * ```ts
 * import { ensureTopics } from "./kafka.ts";
 * await ensureTopics(["127.0.0.1:9092"], [{ topic: "trades", numPartitions: 3 }]);
 * ```
 */
export async function ensureTopics(
  brokers: string[],
  topics: TopicSpec[],
): Promise<void> {
  const admin = new Kafka({
    clientId: "tickline-infra",
    brokers,
    logLevel: logLevel.WARN,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({ ...t, replicationFactor: 1 })),
      });
      console.log(
        `[infra] kafka: created topics ${
          missing.map((t) => `${t.topic}(${t.numPartitions})`).join(", ")
        }`,
      );
    }
    const present = topics.filter((t) => existing.has(t.topic));
    if (present.length === 0) return;
    const metadata = await admin.fetchTopicMetadata({
      topics: present.map((t) => t.topic),
    });
    for (const t of present) {
      const have = metadata.topics.find((m) =>
        m.name === t.topic
      )?.partitions.length ?? 0;
      // Kafka cannot shrink a topic; more partitions than asked is left alone.
      if (have < t.numPartitions) {
        await admin.createPartitions({
          topicPartitions: [{ topic: t.topic, count: t.numPartitions }],
        });
        console.log(
          `[infra] kafka: grew ${t.topic} from ${have} to ${t.numPartitions} partitions`,
        );
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * The Kafka server for the local life cycle.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { kafkaServer } from "./kafka.ts";
 * import { startServer } from "./server.ts";
 * const config = loadInfraConfig();
 * await startServer(config, kafkaServer(config, {
 *   java: "/usr/bin/java",
 *   libDir: ".local/lib/kafka",
 *   jmxAgentJar: ".local/lib/jmx/jmx_prometheus_javaagent-1.0.1.jar",
 * }));
 * ```
 */
export function kafkaServer(config: InfraConfig, deps: KafkaDeps): ServerSpec {
  const confDir = join(config.runDir, "kafka");
  const dataDir = join(config.dataDir, "kafka");
  const propertiesFile = join(confDir, "server.properties");
  const log4jFile = join(confDir, "log4j2.properties");
  const brokers = [`${config.host}:${config.ports.kafka}`];
  const classpath = `${deps.libDir}/*`;
  const log4jFlag = `-Dlog4j2.configurationFile=file:${log4jFile}`;
  return {
    name: "kafka",
    port: config.ports.kafka,
    ports: [
      config.ports.kafka,
      config.ports.kafkaController,
      config.ports.kafkaJmxExporter,
    ],
    startTimeoutMs: 60_000,
    stopTimeoutMs: 30_000,
    async prepare(): Promise<Launch> {
      await Deno.mkdir(confDir, { recursive: true });
      await Deno.mkdir(dataDir, { recursive: true });
      await Deno.writeTextFile(
        propertiesFile,
        kafkaProperties(config, dataDir),
      );
      await Deno.writeTextFile(log4jFile, LOG4J2_PROPERTIES);
      const formatted = await Deno.stat(join(dataDir, "meta.properties")).then(
        () => true,
        () => false,
      );
      if (!formatted) {
        await runCommand(deps.java, [
          "-cp",
          classpath,
          log4jFlag,
          "kafka.tools.StorageTool",
          "format",
          "-t",
          randomClusterId(),
          "-c",
          propertiesFile,
          "--ignore-formatted",
        ]);
      }
      return {
        command: deps.java,
        args: [
          "-Xms256m",
          `-Xmx${config.kafkaHeap}`,
          "-XX:+UseG1GC",
          "-XX:MaxGCPauseMillis=20",
          // A JVM that ran out of heap is broken; dying lets infra:status show it.
          "-XX:+ExitOnOutOfMemoryError",
          "-Djava.awt.headless=true",
          `-javaagent:${deps.jmxAgentJar}=${config.host}:${config.ports.kafkaJmxExporter}:${
            new URL(KAFKA_JMX_RULES).pathname
          }`,
          log4jFlag,
          "-cp",
          classpath,
          "kafka.Kafka",
          propertiesFile,
        ],
        cwd: config.localDir,
      };
    },
    ready: () => kafkaAnswers(brokers),
    afterReady: () => ensureTopics(brokers, pipelineTopics(config)),
  };
}
