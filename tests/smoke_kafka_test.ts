/**
 * Smoke test: kafkajs under Deno produces to and consumes from the real broker
 * started by `deno task infra:up`, and the pipeline's topics exist.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { loadInfraConfig } from "../infra/local/config.ts";
import { pipelineTopics } from "../infra/local/kafka.ts";
import { waitForKafka } from "../infra/local/readiness.ts";

Deno.env.set("KAFKAJS_NO_PARTITIONER_WARNING", "1");

const config = loadInfraConfig();
const brokers = [
  Deno.env.get("KAFKA_BROKERS") ?? `${config.host}:${config.ports.kafka}`,
];

function client(): Kafka {
  return new Kafka({
    clientId: "tickline-smoke",
    brokers,
    logLevel: logLevel.ERROR,
  });
}

Deno.test({
  name:
    "smoke kafka: trades, trades.dlq and the ingest lease topic exist with the configured partitions",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await waitForKafka(brokers, 60_000);
    const admin = client().admin();
    await admin.connect();
    try {
      const wanted = pipelineTopics(config);
      assert.deepEqual(wanted.map((t) => t.topic), [
        "trades",
        "trades.dlq",
        config.ingestLeaseTopic,
      ]);
      const { topics } = await admin.fetchTopicMetadata({
        topics: wanted.map((t) => t.topic),
      });
      const partitions = Object.fromEntries(
        topics.map((t) => [t.name, t.partitions.length]),
      );
      for (const { topic, numPartitions } of wanted) {
        // infra:up grows a topic but cannot shrink one: more is fine.
        assert.ok(
          partitions[topic] >= numPartitions,
          `${topic} has ${
            partitions[topic]
          } partitions, wanted ${numPartitions}`,
        );
      }
      assert.equal(partitions["trades.dlq"], 1);
    } finally {
      await admin.disconnect();
    }
  },
});

Deno.test({
  name: "smoke kafka: kafkajs round-trips keyed messages through the broker",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await waitForKafka(brokers, 60_000);
    const runId = crypto.randomUUID();
    const topic = `smoke-${runId}`;
    const kafka = client();
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({
      groupId: `smoke-${runId}`,
      maxWaitTimeInMs: 100,
    });
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic, numPartitions: 2 }],
        waitForLeaders: true,
      });
      const sent = ["AAPL", "MSFT", "AAPL"].map((key, i) => ({
        key,
        value: `${runId}:${i}`,
      }));
      await producer.connect();
      await producer.send({ topic, messages: sent });

      const received: { key: string; value: string; partition: number }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error("no messages consumed within 30 s")),
          30_000,
        );
        consumer.run({
          eachMessage: ({ message, partition }) => {
            received.push({
              key: String(message.key),
              value: String(message.value),
              partition,
            });
            if (received.length === sent.length) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        }).catch(reject);
      });

      assert.deepEqual(
        received.map((m) => m.value).sort(),
        sent.map((m) => m.value).sort(),
      );
      // Keyed by symbol: both AAPL messages land in one partition.
      const aapl = new Set(
        received.filter((m) => m.key === "AAPL").map((m) => m.partition),
      );
      assert.equal(aapl.size, 1);
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect().catch(() => {});
    }
  },
});
