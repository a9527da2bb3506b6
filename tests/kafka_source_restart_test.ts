/**
 * A consumer restart on the real Kafka: starting the trade source again
 * (as a restarted consumer actor does) stops the running kafkajs consumer
 * and joins with a fresh one, instead of failing with "Cannot subscribe to
 * topic while consumer is running" (finding 1 of issue 8).
 */
import assert from "node:assert/strict";
import { createKafka, KafkaTradeSource } from "../actors/kafka/mod.ts";
import type { LogBatch } from "../actors/kafka/trade_log.ts";
import { silentLogger } from "../runtime/mod.ts";
import {
  createTopics,
  deleteTopics,
  eventually,
  KAFKA_BROKERS,
  runId,
  testKafka,
} from "./support/servers.ts";

Deno.test({
  name:
    "kafka source: a second start (a consumer restart) rejoins with a fresh consumer and delivers again",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    const topic = `it-${id}-restart`;
    const admin = testKafka();
    await createTopics(admin, [{ topic, numPartitions: 1 }]);
    const producer = admin.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })),
    });
    await producer.disconnect();
    const kafka = createKafka({
      brokers: KAFKA_BROKERS,
      clientId: `restart-${id}`,
      logger: silentLogger(),
    });
    const source = new KafkaTradeSource(kafka, {
      groupId: `it-${id}`,
      topic,
      concurrency: 1,
      sessionTimeoutMs: 10_000,
      logger: silentLogger(),
    });
    const seen: number[][] = [[], []];
    let run = 0;
    const listener = (n: number) => ({
      assigned: () => Promise.resolve(),
      revoked: () => Promise.resolve(),
      batch: (b: LogBatch) => {
        seen[n].push(...b.records.map((r) => r.offset));
        return Promise.resolve();
      },
    });
    try {
      await source.start(listener(run));
      assert.ok(
        await eventually(() => Promise.resolve(seen[0].length >= 10), 30_000),
        `first start delivers (${seen[0].length})`,
      );
      run = 1;
      // Nothing was committed, so the fresh member reads from the start again.
      await source.start(listener(run));
      assert.ok(
        await eventually(() => Promise.resolve(seen[1].length >= 10), 30_000),
        `second start delivers (${seen[1].length})`,
      );
      assert.deepEqual(seen[1].slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await source.stop();
      await deleteTopics(admin, [topic]);
    }
  },
});
