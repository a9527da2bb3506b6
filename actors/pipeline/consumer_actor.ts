/**
 * The consumer actor: this instance's member of the Kafka consumer group.
 * It starts one partition actor per assigned partition, stops it (after its
 * flush) when the partition is revoked, and hands batches over with
 * back-pressure that reaches Kafka's fetch loop.
 *
 * @module
 */
import type {
  ActorContext,
  ActorProps,
  ActorRef,
} from "../../runtime/types.ts";
import type {
  LogBatch,
  PartitionListener,
  TradeSource,
} from "../kafka/trade_log.ts";
import {
  type PartitionDeps,
  type PartitionMsg,
  partitionProps,
} from "./partition_actor.ts";

/** Messages of the consumer actor. */
export type ConsumerMsg =
  | { type: "assign"; partitions: number[] }
  | { type: "revoke"; partitions: number[] }
  | { type: "status" };

/** The answer to `{type: "status"}`. */
export interface ConsumerStatus {
  joined: boolean;
  partitions: number[];
}

/** What the consumer actor needs. */
export interface ConsumerDeps {
  source: TradeSource;
  partition: Omit<PartitionDeps, "source">;
  /** Heartbeat this often while a batch waits for room downstream. */
  heartbeatMs?: number;
}

/**
 * Builds the props of the consumer actor.
 *
 * @example
 * ```ts ignore
 * const consumer = await system.spawn("consumer", consumerProps({ source, partition: partitionDeps }));
 * ```
 */
export function consumerProps(deps: ConsumerDeps): ActorProps<ConsumerMsg> {
  return {
    kind: "consumer",
    shutdownTimeoutMs: 60_000,
    supervision: {
      strategy: "one_for_one",
      // Partitions restart to replay after any failure below them; only a storm escalates.
      maxRestarts: 20,
      withinMs: 60_000,
      backoff: { minMs: 100, maxMs: 10_000, resetAfterMs: 60_000 },
    },
    factory: (ctx) => consumerActor(deps, ctx),
  };
}

function consumerActor(deps: ConsumerDeps, ctx: ActorContext<ConsumerMsg>) {
  const refs = new Map<number, ActorRef<PartitionMsg>>();
  let joined = false;
  const heartbeatMs = deps.heartbeatMs ?? 3_000;
  const listener: PartitionListener = {
    assigned: (partitions) =>
      ctx.self.ask({ type: "assign", partitions }, { timeoutMs: 60_000 }),
    revoked: (partitions) =>
      ctx.self.ask({ type: "revoke", partitions }, { timeoutMs: 120_000 }),
    batch: async (batch: LogBatch, heartbeat) => {
      const ref = refs.get(batch.partition);
      if (!ref) return;
      await whileHeartbeating(
        ref.tell({ type: "batch", batch }),
        heartbeat,
        heartbeatMs,
      );
    },
  };
  return {
    async preStart() {
      await deps.source.start(listener);
    },
    async receive(msg: ConsumerMsg): Promise<ConsumerStatus | void> {
      switch (msg.type) {
        case "assign":
          joined = true;
          for (const p of msg.partitions) {
            if (refs.get(p)?.alive) continue;
            refs.set(
              p,
              await ctx.spawn(
                `partition-${p}`,
                partitionProps(p, { ...deps.partition, source: deps.source }),
              ),
            );
          }
          ctx.log.info("partitions assigned", { partitions: msg.partitions });
          return;
        case "revoke":
          for (const p of msg.partitions) {
            refs.delete(p);
            if (ctx.child(`partition-${p}`)) {
              await ctx.stopChild(`partition-${p}`);
            }
          }
          ctx.log.info("partitions revoked", { partitions: msg.partitions });
          return;
        case "status":
          return { joined, partitions: [...refs.keys()].sort((a, b) => a - b) };
      }
    },
    async postStop() {
      // Partition actors have flushed and committed by now (children stop first).
      await deps.source.stop();
    },
  };
}

/** Awaits `work`, calling `heartbeat` every `everyMs` so a long wait does not cost the group membership. */
async function whileHeartbeating(
  work: Promise<void>,
  heartbeat: () => Promise<void>,
  everyMs: number,
): Promise<void> {
  let done = false;
  const finished = work.finally(() => done = true);
  while (!done) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = new Promise<void>((resolve) =>
      timer = setTimeout(resolve, everyMs)
    );
    await Promise.race([finished, tick]);
    clearTimeout(timer);
    if (!done) await heartbeat().catch(() => {});
  }
  await finished;
}
