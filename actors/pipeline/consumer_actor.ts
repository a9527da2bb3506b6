/**
 * The consumer actor: this instance's member of the Kafka consumer group.
 * It starts one partition actor per assigned partition, stops it when the
 * partition is revoked or the membership is lost, and hands batches over
 * one at a time, waiting for the partition to admit each: that wait is the
 * back-pressure that reaches Kafka's fetch loop. Joining the group happens
 * in the background and is retried with back-off while Kafka is down, so
 * nothing else waits for it; a restart stops the Kafka consumer and starts
 * a fresh one. Every second it asks where the log ends and tells each
 * partition, so a partition knows when it has read everything appended up
 * to a moment: only then may its windows close by the wall clock.
 *
 * @module
 */
import { Backoff } from "../../runtime/mod.ts";
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
  | { type: "fence"; reason: string }
  | { type: "joined"; generation: number }
  | { type: "start-failed"; generation: number; error: unknown }
  | { type: "join" }
  | { type: "poll-log-end" }
  | {
    type: "log-ends";
    asOf: number;
    ends?: Map<number, number>;
    error?: unknown;
  }
  | { type: "status" };

/** The answer to `{type: "status"}`. */
export interface ConsumerStatus {
  joined: boolean;
  partitions: number[];
  /** Each partition's bound on trades in flight. */
  inFlightShare: number;
}

/** What the consumer actor needs. */
export interface ConsumerDeps {
  source: TradeSource;
  partition: Omit<PartitionDeps, "source" | "maxInFlightTrades">;
  /**
   * Trades admitted and not yet durable over all of this instance's
   * partitions. Each partition gets an equal share ({@linkcode inFlightShare}):
   * the memory they hold does not grow with the partitions assigned, and a
   * few partitions get room enough to keep a slow store busy.
   */
  maxInFlightTrades: number;
  /** Heartbeat this often while a batch waits for admission. */
  heartbeatMs?: number;
  /** Back-off between attempts to join while Kafka is down. */
  joinBackoff?: { minMs: number; maxMs: number };
  /** Ask where the log ends this often (default 1,000 ms). */
  logEndIntervalMs?: number;
}

/**
 * One partition's share of `total` trades in flight among `partitions`.
 *
 * @example
 * ```ts
 * import { inFlightShare } from "./consumer_actor.ts";
 * console.assert(inFlightShare(32_768, 16) === 2_048);
 * console.assert(inFlightShare(32_768, 3) === 10_922);
 * ```
 */
export function inFlightShare(total: number, partitions: number): number {
  return Math.max(1, Math.floor(total / Math.max(1, partitions)));
}

/** Kafka errors meaning this member's generation is over: its partitions are someone else's now. */
const MEMBERSHIP_LOST = new Set([
  "UNKNOWN_MEMBER_ID",
  "ILLEGAL_GENERATION",
  "FENCED_INSTANCE_ID",
]);

/**
 * Builds the props of the consumer actor.
 *
 * @example
 * ```ts ignore
 * const consumer = await system.spawn("consumer", consumerProps({ source, maxInFlightTrades: 32_768, partition: partitionDeps }));
 * ```
 */
export function consumerProps(deps: ConsumerDeps): ActorProps<ConsumerMsg> {
  return {
    kind: "consumer",
    shutdownTimeoutMs: 60_000,
    supervision: {
      strategy: "one_for_one",
      // Partitions restart to replay after a failure below them; only a storm escalates.
      maxRestarts: 20,
      withinMs: 60_000,
      backoff: { minMs: 100, maxMs: 10_000, resetAfterMs: 60_000 },
    },
    factory: (ctx) => consumerActor(deps, ctx),
  };
}

function consumerActor(deps: ConsumerDeps, ctx: ActorContext<ConsumerMsg>) {
  const refs = new Map<number, ActorRef<PartitionMsg>>();
  const heartbeatMs = deps.heartbeatMs ?? 3_000;
  const backoff = new Backoff({
    minMs: deps.joinBackoff?.minMs ?? 250,
    maxMs: deps.joinBackoff?.maxMs ?? 10_000,
    resetAfterMs: 60_000,
  });
  let joined = false;
  let polling = false;
  let share = deps.maxInFlightTrades;
  /** Re-shares the bound among `count` partitions, telling those running. */
  const reshare = (count: number) => {
    const next = inFlightShare(deps.maxInFlightTrades, count);
    if (next === share) return;
    share = next;
    for (const ref of refs.values()) {
      ref.tell({ type: "in-flight-share", maxTrades: next }).catch(() => {});
    }
  };
  // Tags each start so answers of an abandoned attempt are ignored.
  let generation = 0;
  const listener: PartitionListener = {
    assigned: (partitions) =>
      ctx.self.ask({ type: "assign", partitions }, { timeoutMs: 60_000 }),
    revoked: (partitions) =>
      ctx.self.ask({ type: "revoke", partitions }, { timeoutMs: 120_000 }),
    batch: async (batch: LogBatch, heartbeat) => {
      const ref = refs.get(batch.partition);
      if (!ref?.alive) return; // rewound when its actor starts
      const admitted = Promise.withResolvers<void>();
      await ref.tell({ type: "batch", batch, admitted: admitted.resolve });
      await untilAdmitted(
        admitted.promise,
        ref,
        heartbeat,
        heartbeatMs,
        (e) => ctx.self.tell({ type: "fence", reason: e }),
      );
    },
  };
  const join = () => {
    const gen = ++generation;
    deps.source.start(listener).then(
      () => ctx.self.tell({ type: "joined", generation: gen }),
      (error) =>
        ctx.self.tell({ type: "start-failed", generation: gen, error }),
    ).catch(() => {});
  };
  const stopPartitions = async (partitions: number[]) => {
    for (const p of partitions) {
      refs.delete(p);
      if (ctx.child(`partition-${p}`)) await ctx.stopChild(`partition-${p}`);
    }
  };
  return {
    preStart() {
      join();
      ctx.timers.startPeriodic(
        "log-end",
        { type: "poll-log-end" },
        deps.logEndIntervalMs ?? 1_000,
      );
    },
    async receive(msg: ConsumerMsg): Promise<ConsumerStatus | void> {
      switch (msg.type) {
        case "join":
          join();
          return;
        case "joined":
          if (msg.generation !== generation) return;
          joined = true;
          ctx.log.info("joined the consumer group");
          return;
        case "start-failed": {
          if (msg.generation !== generation) return;
          // Kafka down is waited out, not a crash: try again after a back-off.
          const delayMs = backoff.next(ctx.clock.now());
          ctx.log.warn("cannot join the consumer group; retrying", {
            error: String(msg.error),
            delayMs,
          });
          await deps.source.stop().catch(() => {});
          ctx.timers.startSingle("join", { type: "join" }, delayMs);
          return;
        }
        case "assign":
          joined = true;
          reshare(new Set([...refs.keys(), ...msg.partitions]).size);
          for (const p of msg.partitions) {
            if (refs.get(p)?.alive) continue;
            refs.set(
              p,
              await ctx.spawn(
                `partition-${p}`,
                partitionProps(p, {
                  ...deps.partition,
                  source: deps.source,
                  maxInFlightTrades: share,
                }),
              ),
            );
          }
          ctx.log.info("partitions assigned", { partitions: msg.partitions });
          return;
        case "revoke":
          await stopPartitions(msg.partitions);
          reshare(refs.size);
          ctx.log.info("partitions revoked", { partitions: msg.partitions });
          return;
        case "fence":
          // Our generation is over: whatever we hold belongs to another member now.
          ctx.log.warn("membership lost; stopping every partition", {
            reason: msg.reason,
          });
          await stopPartitions([...refs.keys()]);
          reshare(refs.size);
          return;
        case "poll-log-end": {
          if (polling || refs.size === 0) return;
          polling = true;
          // Taken before asking: every record appended before it is below the answer.
          const asOf = ctx.clock.now();
          deps.source.logEnds().then(
            (ends) => ctx.self.tell({ type: "log-ends", asOf, ends }),
            (error) => ctx.self.tell({ type: "log-ends", asOf, error }),
          ).catch(() => {});
          return;
        }
        case "log-ends":
          polling = false;
          if (!msg.ends) {
            // Kafka down: windows wait for it rather than close blind.
            ctx.log.debug("cannot read the log's end", {
              error: String(msg.error),
            });
            return;
          }
          for (const [p, ref] of refs) {
            const offset = msg.ends.get(p);
            if (offset === undefined) continue;
            // Not awaited: a partition's full mailbox must not hold this one.
            ref.tell({ type: "log-end", offset, asOf: msg.asOf }).catch(
              () => {},
            );
          }
          return;
        case "status":
          return {
            joined,
            partitions: [...refs.keys()].sort((a, b) => a - b),
            inFlightShare: share,
          };
      }
    },
    async preRestart() {
      await deps.source.stop();
    },
    async postStop() {
      // Partition actors have stopped and committed by now (children stop first).
      await deps.source.stop();
    },
  };
}

/**
 * Waits until the partition admitted the batch, heartbeating meanwhile so a
 * long wait does not cost the membership. Stops waiting when the partition
 * stopped (its batch is fetched again when it starts anew), and when a
 * heartbeat says the membership is gone: then `fenced` is told and the
 * error goes to kafkajs, which rejoins.
 */
async function untilAdmitted(
  admitted: Promise<void>,
  ref: ActorRef<PartitionMsg>,
  heartbeat: () => Promise<void>,
  everyMs: number,
  fenced: (reason: string) => Promise<void>,
): Promise<void> {
  let done = false;
  const finished = admitted.finally(() => done = true);
  while (!done && ref.alive) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = new Promise<void>((resolve) =>
      timer = setTimeout(resolve, everyMs)
    );
    await Promise.race([finished, tick]);
    clearTimeout(timer);
    if (done || !ref.alive) return;
    try {
      await heartbeat();
    } catch (e) {
      const type = (e as { type?: string }).type ?? "";
      if (MEMBERSHIP_LOST.has(type)) await fenced(type).catch(() => {});
      throw e;
    }
  }
}
