/**
 * What the journal adds per feed frame, beside what the ingest spends on
 * the same frame anyway: parsing it (the baseline) and validating and
 * encoding its trades. A frame of 25 trades, as the simulated feed sends at
 * 500 trades/s per symbol.
 */
import { acceptTrades } from "../pipeline/ingest_decision.ts";
import { FrameJournal } from "./frame_journal.ts";

const T0 = 1_714_573_800_000;
const frame = JSON.stringify({
  type: "trade",
  data: Array.from({ length: 25 }, (_, i) => ({
    s: i % 2 ? "AAPL" : "BINANCE:BTCUSDT",
    p: 189.37 + i / 100,
    v: 100 + i,
    t: T0 + i,
    c: ["1", "12"],
  })),
});
const dir = Deno.makeTempDirSync({ prefix: "journal-bench-" });
const journal = FrameJournal.open({ dir, topic: "trades", now: Date.now });
journal.begin({
  owned: ["AAPL", "BINANCE:BTCUSDT"],
  released: [],
  leaseUntil: Infinity,
});
const own = {
  owned: new Set(["AAPL", "BINANCE:BTCUSDT"]),
  released: new Set<string>(),
  leaseUntil: Infinity,
};
const rules = {
  allowZeroVolume: false,
  maxFutureSkewMs: 10_000,
  maxRequestBytes: 900_000,
};
const sink = { accept() {}, reject() {}, notOwned() {} };
let seq = 0;

Deno.bench("JSON.parse of the frame (baseline)", {
  group: "per frame",
  baseline: true,
}, () => {
  JSON.parse(frame);
});
Deno.bench("journal: append the frame", { group: "per frame" }, () => {
  seq = journal.appendFrame(frame, T0 + 100);
  // Settled as the ingest does once Kafka acknowledges: parts get deleted.
  if (seq % 1000 === 0) journal.settled(seq);
});
Deno.bench("validate and encode its trades", { group: "per frame" }, () => {
  acceptTrades(JSON.parse(frame).data, T0 + 100, rules, own, sink);
});

globalThis.addEventListener("unload", () => {
  journal.settled(seq);
  journal.close();
  Deno.removeSync(dir, { recursive: true });
});
