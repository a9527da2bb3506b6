import assert from "node:assert/strict";
import {
  decodeJournal,
  FrameJournal,
  type JournalRecord,
} from "../journal/mod.ts";
import type { EncodedRecord } from "../kafka/kafka_trade_producer.ts";
import type { ScannedRecord, TopicScan } from "../kafka/kafka_topic_scan.ts";
import { decodeTrade } from "../trade/codec.ts";
import {
  planTail,
  recoverTail,
  SCAN_AFTER_MS,
  SCAN_MARGIN_MS,
} from "./tail_recovery.ts";

const RULES = {
  allowZeroVolume: false,
  maxFutureSkewMs: 10_000,
  maxRequestBytes: 900_000,
};
const T0 = 1_700_000_000_000;
const trade = (s: string, p: number, t = T0) => ({ s, p, v: 1, t, c: [] });
const frame = (seq: number, ...data: unknown[]): JournalRecord => ({
  kind: "frame",
  seq,
  at: T0 + seq,
  text: JSON.stringify({ type: "trade", data }),
});
const state = (
  afterSeq: number,
  owned: string[],
  released: string[] = [],
  leaseUntil = Infinity,
): JournalRecord => ({
  kind: "state",
  afterSeq,
  state: { topic: "trades", owned, released, leaseUntil },
});
const prices = (records: readonly EncodedRecord[] | undefined) =>
  (records ?? []).map((r) => {
    const t = decodeTrade(r.value);
    return `${t.symbol}@${t.price}`;
  });

Deno.test("planTail: only frames after the last settled one, each decided by the ownership in force when it was read", () => {
  const plan = planTail([
    state(0, ["A"]),
    frame(1, trade("A", 1)),
    frame(2, trade("A", 2)),
    { kind: "settled", seq: 2 },
    frame(3, trade("A", 3), trade("B", 3)), // B not owned yet
    state(3, ["A", "B"]),
    frame(4, trade("B", 4), { s: "B" }), // the second is invalid: rejected, not recovered
    state(4, ["B"], ["A"]), // A given up: its frames in flight are still ours
    frame(5, trade("A", 5), trade("B", 5)),
    { kind: "frame", seq: 6, at: T0 + 6, text: '{"type":"ping"}' },
    state(6, ["B"], ["A"], T0 + 6), // the lease ends
    frame(7, trade("B", 7)), // arrived after the lease: not ours
  ], RULES);
  assert.equal(plan.frames, 5);
  assert.equal(plan.firstAt, T0 + 3);
  assert.deepEqual(prices(plan.byTopic.get("trades")), [
    "A@3",
    "B@4",
    "A@5",
    "B@5",
  ]);
});

Deno.test("planTail: a frame read before any ownership was recorded is not ours; identical trades in one frame count twice", () => {
  const plan = planTail([
    frame(1, trade("A", 1)),
    state(1, ["A"]),
    frame(2, trade("A", 2), trade("A", 2)),
  ], RULES);
  assert.deepEqual(prices(plan.byTopic.get("trades")), ["A@2", "A@2"]);
});

/** A topic that holds `records`, and records every scan. */
class FakeScan implements TopicScan {
  scans: { topic: string; fromMs: number; toMs: number }[] = [];
  fail = false;
  constructor(public records: ScannedRecord[] = []) {}
  recordsBetween(
    topic: string,
    fromMs: number,
    toMs: number,
  ): Promise<ScannedRecord[]> {
    this.scans.push({ topic, fromMs, toMs });
    if (this.fail) return Promise.reject(new Error("Kafka down (test)"));
    return Promise.resolve([...this.records]);
  }
}

Deno.test("recoverTail produces exactly what Kafka lacks, counting identical trades, and a second run produces nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "recovery-test-" });
  try {
    let now = T0;
    const journal = FrameJournal.open({
      dir,
      topic: "trades",
      now: () => now++,
    });
    journal.begin({ owned: ["A", "B"], released: [], leaseUntil: Infinity });
    const text = (...data: unknown[]) =>
      JSON.stringify({ type: "trade", data });
    const settled = journal.appendFrame(text(trade("A", 1)), T0 + 1);
    journal.settled(settled);
    journal.appendFrame(text(trade("A", 2), trade("A", 2)), T0 + 2);
    journal.appendFrame(text(trade("B", 3)), T0 + 3);
    journal.close(); // as a SIGKILL leaves it: two frames unsettled
    const next = FrameJournal.open({ dir, topic: "trades", now: () => now++ });
    const [tail] = next.tails();
    // What Kafka holds: one of the two A@2 (produced, but the kill came
    // before its settled mark), and a trade of another instance.
    const wanted = planTail(
      tail.files.flatMap((f) => decodeJournal(Deno.readFileSync(f)).records),
      RULES,
    ).byTopic.get("trades")!;
    assert.deepEqual(prices(wanted), ["A@2", "A@2", "B@3"]);
    const scan = new FakeScan([
      { key: "C", value: '{"symbol":"C"}' },
      { key: wanted[0].key, value: String(wanted[0].value) },
    ]);
    const produced: EncodedRecord[] = [];
    const deps = {
      rules: RULES,
      scan,
      produce: (topic: string, records: readonly EncodedRecord[]) => {
        assert.equal(topic, "trades");
        produced.push(...records);
        scan.records.push(
          ...records.map((r) => ({ key: r.key, value: String(r.value) })),
        );
        return Promise.resolve();
      },
    };
    const first = await recoverTail(tail, deps);
    assert.deepEqual(first, { frames: 2, trades: 3, inKafka: 1, produced: 2 });
    assert.deepEqual(prices(produced), ["A@2", "B@3"]);
    // From before the first unsettled frame to well after the last write.
    const written = Math.max(
      ...tail.files.map((f) => Deno.statSync(f).mtime!.getTime()),
    );
    assert.deepEqual(scan.scans, [{
      topic: "trades",
      fromMs: T0 + 2 - SCAN_MARGIN_MS,
      toMs: written + SCAN_AFTER_MS,
    }]);
    // Run again (a recovery that died before deleting the tail): nothing twice.
    const again = await recoverTail(tail, deps);
    assert.deepEqual(again, { frames: 2, trades: 3, inKafka: 3, produced: 0 });
    assert.equal(produced.length, 2);
    // Kafka down: the recovery fails, to be retried; nothing is produced.
    scan.fail = true;
    await assert.rejects(recoverTail(tail, deps), /Kafka down/);
    assert.equal(produced.length, 2);
    next.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
