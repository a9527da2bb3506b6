import assert from "node:assert/strict";
import { DEFAULT_SYMBOL_LIST } from "../../actors/config/mod.ts";
import {
  DEFAULT_INGEST_LEASE_TOPIC,
  DEFAULT_INGEST_SHARDS,
  DEFAULT_TRADES_PARTITIONS,
  loadInfraConfig,
} from "./config.ts";
import { pipelineTopics } from "./kafka.ts";
import {
  assignRoundRobin,
  partitionsOf,
  symbolsPerInstance,
} from "./spread.ts";

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
  for (const instances of [2, 3]) {
    const shares = await symbolsPerInstance(
      DEFAULT_SYMBOL_LIST,
      count,
      instances,
    );
    assert.equal(shares.reduce((a, b) => a + b, 0), DEFAULT_SYMBOL_LIST.length);
    assert.ok(
      Math.min(...shares) >= 1 &&
        Math.max(...shares) <= Math.ceil(DEFAULT_SYMBOL_LIST.length / 2),
      `${instances} instances: symbols per instance ${shares.join("-")}`,
    );
  }
});

Deno.test("round-robin assignment deals partitions out in turn, members in id order", async () => {
  assert.deepEqual(await assignRoundRobin(5, 2), [[0, 2, 4], [1, 3]]);
  assert.deepEqual(await assignRoundRobin(2, 3), [[0], [1], []]);
  // Ids are zero-padded: member 10 sorts after member 2, as real ids are compared.
  const twelve = await assignRoundRobin(12, 12);
  assert.deepEqual(twelve.map((p) => p[0]), [...Array(12).keys()]);
});

Deno.test("the old default of 3 partitions fails the spread check (so the check can fail)", () => {
  const partitions = partitionsOf(DEFAULT_SYMBOL_LIST, 3);
  const onBusiest = Math.max(
    ...[0, 1, 2].map((p) => partitions.filter((x) => x === p).length),
  );
  assert.ok(onBusiest > 2, `busiest of 3 partitions holds ${onBusiest}`);
});
