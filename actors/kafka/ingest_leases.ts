/**
 * Ingest leases from Kafka's own group coordinator: a consumer group on a
 * small lease topic whose partitions are the ingest shards. The coordinator
 * hands each shard to exactly one live member, moves a silent member's
 * shards after the session time-out, and makes every member rejoin on a
 * rebalance, so no home-made election protocol is needed. The topic carries
 * no data: membership and assignment are the lease.
 *
 * A lease holds while heartbeats succeed: the coordinator gives a member's
 * shards away only after `sessionTimeoutMs` without one, so what was received
 * before `last heartbeat + sessionTimeoutMs` was received by the only owner.
 *
 * @module
 */
import type { Consumer, Kafka } from "kafkajs";

/**
 * Allowance for the rebalance that follows a dead member's session time-out:
 * the survivors notice it at their next heartbeat, rejoin and sync, and the
 * new owner waits the handover grace before it subscribes.
 */
export const TAKEOVER_REBALANCE_MS = 2_000;

/**
 * The lease group's Kafka session time-out for a takeover bound: the dead
 * owner is noticed after the session time-out and its shards move within
 * {@linkcode TAKEOVER_REBALANCE_MS} more, so the whole takeover stays within
 * `takeoverMs` (`INGEST_SESSION_TIMEOUT_MS`).
 *
 * @example
 * ```ts
 * import { leaseSessionTimeoutMs } from "./ingest_leases.ts";
 * console.assert(leaseSessionTimeoutMs(10_000) === 8_000);
 * ```
 */
export function leaseSessionTimeoutMs(takeoverMs: number): number {
  return takeoverMs - TAKEOVER_REBALANCE_MS;
}

/** What the leases report, as they happen. */
export interface LeaseListener {
  /** A rebalance began (or the membership ended): give every shard up now. */
  released(): void;
  /** This member holds `shards` now. */
  assigned(shards: number[]): void;
  /** A heartbeat succeeded at `at` (UNIX ms). */
  renewed(at: number): void;
}

/** Settings of {@linkcode KafkaIngestLeases}. */
export interface IngestLeaseSettings {
  groupId: string;
  topic: string;
  /** Partitions of the lease topic, created with it when missing. */
  shards: number;
  sessionTimeoutMs: number;
  /** Wall-clock milliseconds. */
  now: () => number;
}

/**
 * Joins the lease group and reports leases to a listener.
 *
 * @example
 * ```ts ignore
 * const leases = new KafkaIngestLeases(kafka, { groupId: "tickline-ingest", topic: "trades.ingest-leases",
 *   shards: 16, sessionTimeoutMs: 10_000, now: () => Date.now() });
 * await leases.start({ released, assigned, renewed });
 * ```
 */
export class KafkaIngestLeases {
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: IngestLeaseSettings,
  ) {}

  /** Joins (with a fresh consumer; a running one is stopped first) and resolves once running. */
  async start(listener: LeaseListener): Promise<void> {
    await this.stop();
    const { settings } = this;
    await this.ensureTopic();
    const consumer = this.kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      // How long the coordinator waits for members to rejoin a rebalance,
      // with every shard given up meanwhile. Members here rejoin at once
      // (they consume nothing), so one that cannot within a session
      // time-out is gone; kafkajs' default of 60 s would hold every symbol
      // unowned that long.
      rebalanceTimeout: settings.sessionTimeoutMs,
      // Frequent heartbeats: a rebalance is noticed, and shards released,
      // within about one interval, which bounds a clean handover's gap.
      heartbeatInterval: Math.max(
        200,
        Math.floor(settings.sessionTimeoutMs / 20),
      ),
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    const topic = settings.topic;
    consumer.on(consumer.events.REBALANCING, () => listener.released());
    consumer.on(consumer.events.CRASH, () => listener.released());
    consumer.on(consumer.events.STOP, () => listener.released());
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      listener.renewed(settings.now());
      listener.assigned([...(event.payload.memberAssignment[topic] ?? [])]);
    });
    consumer.on(
      consumer.events.HEARTBEAT,
      () => listener.renewed(settings.now()),
    );
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ eachMessage: () => Promise.resolve() });
  }

  /** Leaves the group (its shards move at once); a no-op when not started. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
  }

  private async ensureTopic(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(this.settings.topic)) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [{
            topic: this.settings.topic,
            numPartitions: this.settings.shards,
          }],
        });
      }
    } finally {
      await admin.disconnect();
    }
  }
}
