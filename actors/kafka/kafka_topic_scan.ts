/**
 * Reads the records a topic received between two moments: how the
 * journal's recovery finds which of a killed process's trades Kafka already
 * has. A throwaway consumer group that commits nothing seeks each partition
 * to the first offset at or after the first moment (Kafka's time index,
 * ListOffsets by timestamp) and reads up to the first at or after the
 * second, or to the end when there is none: a tail found long after its
 * process died costs the minutes around its death, not everything since.
 *
 * The ends are read `settleMs` after the broker first answers: a produce
 * request of the killed process that a paused or overloaded broker had
 * queued is appended first, and is seen here rather than produced again.
 *
 * @module
 */
import type { Kafka } from "kafkajs";
import { TradeLogError } from "./kafka_trade_log.ts";

/** One record's key and value as text. */
export interface ScannedRecord {
  key: string;
  value: string;
}

/** What the journal's recovery needs of the log. */
export interface TopicScan {
  /**
   * The records of `topic` from the first with a timestamp at or after
   * `fromMs` up to the first at or after `toMs` (or the end of the
   * partition), in each partition.
   */
  recordsBetween(
    topic: string,
    fromMs: number,
    toMs: number,
  ): Promise<ScannedRecord[]>;
}

/**
 * {@linkcode TopicScan} on Kafka.
 *
 * @example
 * ```ts ignore
 * const scan = new KafkaTopicScan(kafka, { groupPrefix: "tickline-journal", timeoutMs: 60_000, settleMs: 2_000 });
 * const records = await scan.recordsBetween("trades", Date.now() - 60_000, Date.now());
 * ```
 */
export class KafkaTopicScan implements TopicScan {
  constructor(
    private readonly kafka: Kafka,
    private readonly settings: {
      groupPrefix: string;
      timeoutMs: number;
      settleMs: number;
    },
  ) {}

  async recordsBetween(
    topic: string,
    fromMs: number,
    toMs: number,
  ): Promise<ScannedRecord[]> {
    const admin = this.kafka.admin();
    let before: Map<number, number>;
    let from: Map<number, number>;
    let to: Map<number, number>;
    let ends: Map<number, number>;
    try {
      await admin.connect();
      before = new Map(
        (await admin.fetchTopicOffsets(topic)).map((
          p,
        ) => [p.partition, Number(p.high)]),
      );
      const offsetsAt = async (ms: number) =>
        new Map(
          (await admin.fetchTopicOffsetsByTimestamp(topic, ms)).map((
            p,
          ) => [p.partition, Number(p.offset)]),
        );
      from = await offsetsAt(fromMs);
      to = await offsetsAt(toMs);
      await new Promise((r) => setTimeout(r, this.settings.settleMs));
      ends = new Map(
        (await admin.fetchTopicOffsets(topic)).map((
          p,
        ) => [p.partition, Number(p.high)]),
      );
    } catch (e) {
      throw new TradeLogError(
        `cannot read the offsets of topic ${topic}: ${
          (e as Error).message
        }; is Kafka up (deno task infra:status)?`,
        { cause: e },
      );
    } finally {
      await admin.disconnect().catch(() => {});
    }
    // -1: no record as late as the moment in that partition when asked;
    // any appended since then lies at or after that answer's log end.
    const wanted = new Map<number, { start: number; end: number }>();
    for (const [partition, last] of ends) {
      let start = from.get(partition) ?? -1;
      if (start < 0) start = before.get(partition) ?? last;
      const bound = to.get(partition) ?? -1;
      const end = bound < 0 ? last : Math.min(bound, last);
      if (start < end) wanted.set(partition, { start, end });
    }
    const out: ScannedRecord[] = [];
    if (wanted.size === 0) return out;
    const consumer = this.kafka.consumer({
      groupId: `${this.settings.groupPrefix}-${crypto.randomUUID()}`,
      maxWaitTimeInMs: 100,
    });
    const done = Promise.withResolvers<void>();
    const timer = setTimeout(
      () =>
        done.reject(
          new TradeLogError(
            `reading ${topic} from ${new Date(fromMs).toISOString()} to ${
              new Date(toMs).toISOString()
            } took over ${this.settings.timeoutMs} ms; it is retried`,
          ),
        ),
      this.settings.timeoutMs,
    );
    const left = new Set(wanted.keys());
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          const range = wanted.get(batch.partition);
          if (!range) return Promise.resolve();
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset < range.start || offset >= range.end) continue;
            out.push({
              key: m.key?.toString() ?? "",
              value: m.value?.toString() ?? "",
            });
          }
          if (Number(batch.lastOffset()) >= range.end - 1) {
            left.delete(batch.partition);
            if (left.size === 0) done.resolve();
          }
          return Promise.resolve();
        },
      });
      for (const [partition, { start }] of wanted) {
        consumer.seek({ topic, partition, offset: String(start) });
      }
      await done.promise;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => {});
    }
    return out;
  }
}
