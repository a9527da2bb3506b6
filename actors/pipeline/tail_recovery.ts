/**
 * Recovery of a journal tail: the frames a process had read but not
 * settled when it died. Their trades are decided again by the same rule and
 * ownership the ingest applied ({@linkcode acceptTrades}), which gives the
 * same records byte for byte (`ingestedAt` is the journaled arrival time).
 * Kafka is read from just before the first such frame to its end, and only
 * the records it does not hold are produced: matched as a multiset of
 * (key, value), so a trade sent twice in one frame is produced as often as
 * it is missing. A recovery that dies half-way is run again and produces
 * nothing twice.
 *
 * @module
 */
import type { EncodedRecord } from "../kafka/kafka_trade_producer.ts";
import type { TopicScan } from "../kafka/kafka_topic_scan.ts";
import {
  decodeJournal,
  type IngestState,
  type JournalRecord,
  type JournalTail,
} from "../journal/mod.ts";
import { parseFeedMessage } from "../trade/feed_message.ts";
import {
  acceptTrades,
  type Ownership,
  type TradeRules,
} from "./ingest_decision.ts";

/**
 * Kafka is read from this long before the first unsettled frame arrived to
 * this long after the tail's last write (about when its process died).
 */
export const SCAN_MARGIN_MS = 5_000;
/**
 * A produce of the dead process may carry a timestamp up to its time-out
 * after the last write; a broker that held it longer (paused, say) appends
 * it later still, with the old timestamp, so the bound is generous.
 */
export const SCAN_AFTER_MS = 120_000;

/** The trades of a tail to check against Kafka, by topic. */
export interface TailPlan {
  /** Frames after the last settled one. */
  frames: number;
  /** Arrival of the first of them (UNIX ms). */
  firstAt: number;
  byTopic: Map<string, EncodedRecord[]>;
}

/** What a recovery did. */
export interface RecoveryOutcome {
  frames: number;
  trades: number;
  /** Trades Kafka already held. */
  inKafka: number;
  /** Trades produced now. */
  produced: number;
}

/** What {@linkcode recoverTail} needs. */
export interface RecoveryDeps {
  rules: TradeRules;
  scan: TopicScan;
  /** Produces `records` to `topic`, in order; resolves once acknowledged. */
  produce(topic: string, records: readonly EncodedRecord[]): Promise<void>;
}

/**
 * The records the unsettled frames of a journal's records would have
 * produced, each decided by the ownership in force when it was read.
 *
 * @example
 * ```ts
 * import { planTail } from "./tail_recovery.ts";
 * const plan = planTail([
 *   { kind: "state", afterSeq: 0, state: { topic: "t", owned: ["A"], released: [], leaseUntil: Infinity } },
 *   { kind: "frame", seq: 1, at: 1700000000001, text: '{"type":"trade","data":[{"s":"A","p":1,"v":1,"t":1700000000000}]}' },
 * ], { allowZeroVolume: false, maxFutureSkewMs: 10_000, maxRequestBytes: 1e6 });
 * console.assert(plan.frames === 1 && plan.byTopic.get("t")?.length === 1);
 * ```
 */
export function planTail(
  records: readonly JournalRecord[],
  rules: TradeRules,
): TailPlan {
  let settled = 0;
  const states: { afterSeq: number; state: IngestState }[] = [];
  const frames: Extract<JournalRecord, { kind: "frame" }>[] = [];
  for (const r of records) {
    if (r.kind === "settled") settled = Math.max(settled, r.seq);
    else if (r.kind === "state") states.push(r);
    else frames.push(r);
  }
  const open = frames.filter((f) => f.seq > settled).sort((a, b) =>
    a.seq - b.seq
  );
  const byTopic = new Map<string, EncodedRecord[]>();
  let s = -1;
  let own: Ownership | undefined;
  for (const frame of open) {
    // The last state recorded before this frame was read.
    while (s + 1 < states.length && states[s + 1].afterSeq < frame.seq) {
      const { owned, released, leaseUntil } = states[++s].state;
      own = { owned: new Set(owned), released: new Set(released), leaseUntil };
    }
    if (!own) continue; // no ownership known: nothing was ours
    const message = parseFeedMessage(frame.text);
    if (message.kind !== "trades") continue;
    const topic = states[s].state.topic;
    const out = byTopic.get(topic) ?? [];
    acceptTrades(message.data, frame.at, rules, own, {
      accept: (record) => out.push(record),
      reject: () => {},
      notOwned: () => {},
    });
    byTopic.set(topic, out);
  }
  return {
    frames: open.length,
    firstAt: open[0]?.at ?? Infinity,
    byTopic,
  };
}

/** When the tail's files were last written (UNIX ms). */
function lastWrite(tail: JournalTail): number {
  return Math.max(
    ...tail.files.map((f) => Deno.statSync(f).mtime?.getTime() ?? Infinity),
  );
}

/**
 * Produces the trades of `tail` that Kafka lacks. Throws (to be retried)
 * when Kafka cannot be read or written; the tail's files are the caller's
 * to delete once this resolves.
 *
 * @example
 * ```ts ignore
 * const outcome = await recoverTail(tail, { rules, scan, produce });
 * for (const f of tail.files) Deno.removeSync(f);
 * ```
 */
export async function recoverTail(
  tail: JournalTail,
  deps: RecoveryDeps,
): Promise<RecoveryOutcome> {
  const records: JournalRecord[] = [];
  for (const file of tail.files) {
    records.push(...decodeJournal(await Deno.readFile(file)).records);
  }
  const plan = planTail(records, deps.rules);
  const outcome = { frames: plan.frames, trades: 0, inKafka: 0, produced: 0 };
  for (const [topic, wanted] of plan.byTopic) {
    if (wanted.length === 0) continue;
    outcome.trades += wanted.length;
    const present = new Map<string, number>();
    const scanned = await deps.scan.recordsBetween(
      topic,
      plan.firstAt - SCAN_MARGIN_MS,
      lastWrite(tail) + SCAN_AFTER_MS,
    );
    for (const r of scanned) {
      const k = `${r.key}\u0000${r.value}`;
      present.set(k, (present.get(k) ?? 0) + 1);
    }
    const missing = wanted.filter((r) => {
      const k = `${r.key}\u0000${r.value}`;
      const n = present.get(k) ?? 0;
      if (n === 0) return true;
      present.set(k, n - 1);
      return false;
    });
    if (missing.length > 0) await deps.produce(topic, missing);
    outcome.inKafka += wanted.length - missing.length;
    outcome.produced += missing.length;
  }
  return outcome;
}
