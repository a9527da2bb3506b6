import assert from "node:assert/strict";
import { ActorSystem, silentLogger } from "../../runtime/mod.ts";
import { FrameJournal } from "../journal/mod.ts";
import type { EncodedRecord } from "../kafka/kafka_trade_producer.ts";
import type { ScannedRecord, TopicScan } from "../kafka/kafka_topic_scan.ts";
import { createPipelineMetrics } from "../metrics/mod.ts";
import { recoveryProps } from "./recovery_actor.ts";

const T0 = 1_700_000_000_000;

/** Kafka that is down for the first `downFor` scans. */
class FlakyScan implements TopicScan {
  scans = 0;
  constructor(private downFor: number) {}
  recordsBetween(): Promise<ScannedRecord[]> {
    this.scans++;
    if (this.scans <= this.downFor) {
      return Promise.reject(new Error("Kafka down (test)"));
    }
    return Promise.resolve([]);
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("recovery actor: waits Kafka out with back-off, produces a dead process's tail once, deletes it; an unreadable tail is set aside", async () => {
  const dir = await Deno.makeTempDir({ prefix: "recovery-actor-test-" });
  const dead = FrameJournal.open({ dir, topic: "trades", now: () => T0 });
  dead.begin({ owned: ["A"], released: [], leaseUntil: Infinity });
  dead.appendFrame(
    JSON.stringify({
      type: "trade",
      data: [{ s: "A", p: 2, v: 3, t: T0 - 5, c: [] }],
    }),
    T0,
  );
  dead.close(); // unsettled: a tail, as a SIGKILL leaves it
  const journal = FrameJournal.open({ dir, topic: "trades", now: Date.now });
  Deno.writeTextFileSync(
    `${journal.slotDir}/000000000000001-bad.000000.journal`,
    "not a journal",
  );
  const metrics = createPipelineMetrics({ symbols: ["A"] });
  const scan = new FlakyScan(2);
  const produced: { topic: string; records: readonly EncodedRecord[] }[] = [];
  const system = new ActorSystem("t", { logger: silentLogger() });
  try {
    await system.spawn(
      "recovery",
      recoveryProps({
        journal,
        metrics,
        rules: {
          allowZeroVolume: false,
          maxFutureSkewMs: 10_000,
          maxRequestBytes: 900_000,
        },
        scan,
        produce: (topic, records) => {
          produced.push({ topic, records });
          return Promise.resolve();
        },
        holdMs: 60_000,
        checkIntervalMs: 20,
      }),
    );
    await until(() => journal.tails().length === 0, "both tails handled");
    assert.equal(scan.scans, 3, "two failed scans, then one that worked");
    assert.equal(produced.length, 1);
    assert.equal(produced[0].topic, "trades");
    assert.equal(produced[0].records.length, 1);
    assert.equal(produced[0].records[0].key, "A");
    const value = async (name: "journalErrors" | "journalTails") =>
      (await metrics[name].get()).values[0]?.value ?? 0;
    const recovered = (await metrics.journalRecoveredTrades.get()).values;
    assert.deepEqual(
      recovered.map((v) => [v.labels.outcome, v.value]).sort(),
      [["in_kafka", 0], ["produced", 1]],
    );
    assert.equal(await value("journalErrors"), 1, "the unreadable tail");
    const left = [...Deno.readDirSync(journal.slotDir)].map((e) => e.name);
    assert.deepEqual(
      left.filter((n) => n !== "lock"),
      ["000000000000001-bad.000000.journal.unreadable"],
    );
    // A tail this process ended waits out the hold: a send its ingest left
    // pending may still land.
    journal.begin({ owned: ["A"], released: [], leaseUntil: Infinity });
    journal.appendFrame('{"type":"ping"}', T0);
    journal.begin({ owned: ["A"], released: [], leaseUntil: Infinity });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(journal.tails().length, 1, "held");
    assert.equal(scan.scans, 3);
  } finally {
    await system.shutdown();
    journal.close();
    await Deno.remove(dir, { recursive: true });
  }
});
