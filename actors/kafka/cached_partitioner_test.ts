import assert from "node:assert/strict";
import fc from "fast-check";
import { Partitioners, type PartitionMetadata } from "kafkajs";
import { CachedDefaultPartitioner } from "./cached_partitioner.ts";

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));

Deno.test("cached partitioner: same partition as kafkajs's default for every key and partition count", () => {
  const cached = CachedDefaultPartitioner();
  const plain = Partitioners.DefaultPartitioner();
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 24 }),
      fc.constantFrom(1, 3, 6, 16, 17),
      fc.constantFrom("trades", "trades.dlq"),
      (key, n, topic) => {
        const args = {
          topic,
          partitionMetadata: metadata(n),
          message: { key, value: "v" },
        };
        // Twice: the second answer comes from the cache.
        assert.equal(cached(args), plain(args));
        assert.equal(cached(args), plain(args));
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("cached partitioner: an explicit partition wins, and a grown topic is rehashed", () => {
  const cached = CachedDefaultPartitioner();
  const plain = Partitioners.DefaultPartitioner();
  const msg = { key: "AAPL", value: "v" };
  assert.equal(
    cached({
      topic: "t",
      partitionMetadata: metadata(16),
      message: { ...msg, partition: 5 },
    }),
    5,
  );
  for (const n of [3, 16, 3]) {
    const args = { topic: "t", partitionMetadata: metadata(n), message: msg };
    assert.equal(cached(args), plain(args));
  }
});
