import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  AssignerProtocol,
  type Cluster,
  Kafka,
  logLevel,
  PartitionAssigners,
  Partitioners,
} from "kafkajs";
import { DEFAULT_SYMBOL_LIST } from "../../actors/config/mod.ts";
import {
  DEFAULT_INGEST_LEASE_TOPIC,
  DEFAULT_INGEST_SHARDS,
  DEFAULT_TRADES_PARTITIONS,
  loadInfraConfig,
} from "./config.ts";
import { pipelineTopics } from "./kafka.ts";

/** Partition of each symbol as the producer picks it (kafkajs's default, Java's murmur2). */
function partitionsOf(symbols: readonly string[], count: number): number[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    partitionErrorCode: 0,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  return symbols.map((key) =>
    partitioner({
      topic: "trades",
      partitionMetadata,
      message: { key, value: "" },
    })
  );
}

/** Symbols per instance when `instances` members share `count` partitions with kafkajs's round-robin assigner. */
async function symbolsPerInstance(
  partitions: number[],
  count: number,
  instances: number,
): Promise<number[]> {
  const cluster = {
    findTopicPartitionMetadata: () =>
      Array.from({ length: count }, (_, partitionId) => ({ partitionId })),
  } as unknown as Cluster;
  const assigner = PartitionAssigners.roundRobin({
    cluster,
    groupId: "spread",
    logger: new Kafka({ brokers: [], logLevel: logLevel.NOTHING }).logger(),
  });
  const members = Array.from({ length: instances }, (_, i) => ({
    memberId: `member-${i}`,
    memberMetadata: Buffer.alloc(0),
  }));
  const result = await assigner.assign({ members, topics: ["trades"] });
  const counts = members.map(({ memberId }) => {
    const entry = result.find((r) => r.memberId === memberId);
    if (entry === undefined) return 0;
    const decoded = AssignerProtocol.MemberAssignment.decode(
      entry.memberAssignment,
    );
    const owned = new Set(decoded?.assignment.trades ?? []);
    return partitions.filter((p) => owned.has(p)).length;
  });
  return counts;
}

Deno.test("pipelineTopics creates trades, its DLQ and the ingest lease topic", () => {
  const defaults = pipelineTopics(loadInfraConfig({}));
  assert.deepEqual(defaults, [
    { topic: "trades", numPartitions: DEFAULT_TRADES_PARTITIONS },
    { topic: "trades.dlq", numPartitions: 1 },
    { topic: DEFAULT_INGEST_LEASE_TOPIC, numPartitions: DEFAULT_INGEST_SHARDS },
  ]);
  assert.equal(DEFAULT_INGEST_LEASE_TOPIC, "trades.ingest-leases");
  assert.equal(DEFAULT_INGEST_SHARDS, 16);
  const custom = pipelineTopics(
    loadInfraConfig({
      TRADES_PARTITIONS: "24",
      INGEST_LEASE_TOPIC: "leases",
      INGEST_SHARDS: "4",
    }),
  );
  assert.deepEqual(custom, [
    { topic: "trades", numPartitions: 24 },
    { topic: "trades.dlq", numPartitions: 1 },
    { topic: "leases", numPartitions: 4 },
  ]);
});

Deno.test("loadInfraConfig rejects a shard or partition count that is not a positive integer", () => {
  for (const name of ["TRADES_PARTITIONS", "INGEST_SHARDS"]) {
    for (const bad of ["0", "-1", "2.5", "many"]) {
      assert.throws(
        () => loadInfraConfig({ [name]: bad }),
        (err: Error) =>
          err instanceof RangeError && err.message.includes(`${name}=${bad}`),
      );
    }
  }
});

Deno.test("the default partition count spreads the default symbols: at most 2 on any partition", () => {
  const partitions = partitionsOf(
    DEFAULT_SYMBOL_LIST,
    loadInfraConfig({}).tradesPartitions,
  );
  const load = new Map<number, number>();
  for (const p of partitions) load.set(p, (load.get(p) ?? 0) + 1);
  assert.ok(
    Math.max(...load.values()) <= 2,
    `symbols per partition: ${JSON.stringify(Object.fromEntries(load))}`,
  );
});

Deno.test("with the default partition count 2 and 3 instances each get a share of the default symbols", async () => {
  const count = loadInfraConfig({}).tradesPartitions;
  const partitions = partitionsOf(DEFAULT_SYMBOL_LIST, count);
  for (const instances of [2, 3]) {
    const shares = await symbolsPerInstance(partitions, count, instances);
    assert.equal(shares.reduce((a, b) => a + b, 0), DEFAULT_SYMBOL_LIST.length);
    assert.ok(
      Math.min(...shares) >= 1 &&
        Math.max(...shares) <= Math.ceil(DEFAULT_SYMBOL_LIST.length / 2),
      `${instances} instances: symbols per instance ${shares.join("-")}`,
    );
  }
});

Deno.test("the old default of 3 partitions fails the spread check (so the check can fail)", () => {
  const partitions = partitionsOf(DEFAULT_SYMBOL_LIST, 3);
  const onBusiest = Math.max(
    ...[0, 1, 2].map((p) => partitions.filter((x) => x === p).length),
  );
  assert.ok(onBusiest > 2, `busiest of 3 partitions holds ${onBusiest}`);
});
