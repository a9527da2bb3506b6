/**
 * How symbols spread over the `trades` partitions and over instances:
 * `deno task spread [--partitions N] [--symbols A,B,...] [--instances N]`.
 * Partitions are what kafkajs's default partitioner (Java's murmur2, as the
 * app's producer uses) picks for each symbol key; instances share the
 * partitions as kafkajs's round-robin assigner (the consumer's default) deals
 * them out. Defaults: `TRADES_PARTITIONS` (16) and the default symbols.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import {
  AssignerProtocol,
  type Cluster,
  Kafka,
  logLevel,
  PartitionAssigners,
  Partitioners,
} from "kafkajs";
import { DEFAULT_SYMBOL_LIST } from "../../actors/config/mod.ts";
import { loadInfraConfig } from "./config.ts";

/**
 * The partition the producer picks for each symbol, in the order given.
 *
 * @example
 * ```ts
 * import { partitionsOf } from "./spread.ts";
 * partitionsOf(["AAPL", "MSFT"], 16); // [1, 2]
 * ```
 */
export function partitionsOf(
  symbols: readonly string[],
  partitions: number,
): number[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from(
    { length: partitions },
    (_, partitionId) => ({
      partitionId,
      partitionErrorCode: 0,
      leader: 0,
      replicas: [0],
      isr: [0],
    }),
  );
  return symbols.map((key) =>
    partitioner({
      topic: "trades",
      partitionMetadata,
      message: { key, value: "" },
    })
  );
}

/**
 * The partitions each of `instances` group members gets from kafkajs's
 * round-robin assigner, members in id order.
 *
 * @example
 * ```ts
 * import { assignRoundRobin } from "./spread.ts";
 * await assignRoundRobin(4, 2); // [[0, 2], [1, 3]]
 * ```
 */
export async function assignRoundRobin(
  partitions: number,
  instances: number,
): Promise<number[][]> {
  const cluster = {
    findTopicPartitionMetadata: () =>
      Array.from({ length: partitions }, (_, partitionId) => ({ partitionId })),
  } as unknown as Cluster;
  const assigner = PartitionAssigners.roundRobin({
    cluster,
    groupId: "spread",
    logger: new Kafka({ brokers: [], logLevel: logLevel.NOTHING }).logger(),
  });
  // Zero-padded ids sort like their numbers, as real member ids sort by string.
  const members = Array.from({ length: instances }, (_, i) => ({
    memberId: `member-${String(i).padStart(4, "0")}`,
    memberMetadata: Buffer.alloc(0),
  }));
  const result = await assigner.assign({ members, topics: ["trades"] });
  return members.map(({ memberId }) => {
    const entry = result.find((r) => r.memberId === memberId);
    if (entry === undefined) return [];
    const decoded = AssignerProtocol.MemberAssignment.decode(
      entry.memberAssignment,
    );
    return decoded?.assignment.trades ?? [];
  });
}

/**
 * How many of `symbols` each of `instances` members consumes.
 *
 * @example
 * ```ts
 * import { symbolsPerInstance } from "./spread.ts";
 * await symbolsPerInstance(["AAPL", "MSFT"], 16, 2); // [1, 1]
 * ```
 */
export async function symbolsPerInstance(
  symbols: readonly string[],
  partitions: number,
  instances: number,
): Promise<number[]> {
  const owned = await assignRoundRobin(partitions, instances);
  const picked = partitionsOf(symbols, partitions);
  return owned.map((mine) => picked.filter((p) => mine.includes(p)).length);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      partitions: { type: "string" },
      symbols: { type: "string" },
      instances: { type: "string" },
    },
    strict: true,
  });
  const partitions = values.partitions === undefined
    ? loadInfraConfig().tradesPartitions
    : Number(values.partitions);
  const most = Number(values.instances ?? "3");
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`--partitions must be a positive integer`);
  }
  if (!Number.isInteger(most) || most < 1) {
    throw new RangeError(`--instances must be a positive integer`);
  }
  const symbols = values.symbols === undefined
    ? [...DEFAULT_SYMBOL_LIST]
    : values.symbols.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const picked = partitionsOf(symbols, partitions);
  console.log(`${symbols.length} symbols over ${partitions} partitions:`);
  symbols.forEach((s, i) => console.log(`  ${s} -> partition ${picked[i]}`));
  const load = new Map<number, number>();
  for (const p of picked) load.set(p, (load.get(p) ?? 0) + 1);
  console.log(`  busiest partition holds ${Math.max(...load.values())}`);
  for (let n = 1; n <= most; n++) {
    const shares = await symbolsPerInstance(symbols, partitions, n);
    console.log(`${n} instance(s): symbols per instance ${shares.join("-")}`);
  }
}

if (import.meta.main) await main();
