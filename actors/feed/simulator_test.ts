import assert from "node:assert/strict";
import { hashString, mulberry32 } from "./prng.ts";
import { MarketSimulator } from "./simulator.ts";
import { validateTrade } from "../trade/validate.ts";

const T0 = 1_714_573_800_000;

Deno.test("mulberry32: deterministic per seed, uniform-ish in [0, 1)", () => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  const c = mulberry32(8);
  const xs = Array.from({ length: 10_000 }, () => a());
  assert.deepEqual(xs.slice(0, 5), Array.from({ length: 5 }, () => b()));
  assert.notEqual(xs[0], c());
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, String(mean));
  assert.notEqual(hashString("AAPL"), hashString("MSFT"));
});

Deno.test("MarketSimulator: valid trades, times in (from, to], ascending, some same-ms", () => {
  const sim = new MarketSimulator({ seed: 1 });
  const symbols = ["AAPL", "BINANCE:BTCUSDT"];
  const batch = sim.nextBatch(symbols, 500, T0, T0 + 50);
  assert.equal(batch.length, 500);
  const times = batch.map((t) => t.t as number);
  assert.ok(times.every((t) => t > T0 && t <= T0 + 50));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.ok(times.some((t, i) => i > 0 && t === times[i - 1]));
  for (const t of batch) {
    assert.ok(validateTrade(t, { receivedAt: T0 + 50 }).ok, JSON.stringify(t));
  }
});

Deno.test("MarketSimulator: prices walk but stay positive over a long run", () => {
  const sim = new MarketSimulator({ seed: 2 });
  let min = Infinity;
  let changes = 0;
  let last = 0;
  for (let i = 0; i < 2_000; i++) {
    const [t] = sim.nextBatch(["PENNY"], 1, T0 + i, T0 + i + 1);
    const p = t.p as number;
    if (p !== last) changes++;
    last = p;
    min = Math.min(min, p);
  }
  assert.ok(min > 0);
  assert.ok(changes > 100);
});

Deno.test("MarketSimulator: empty interval stamps toTime; no symbols or count gives nothing", () => {
  const sim = new MarketSimulator({ seed: 3 });
  assert.ok(sim.nextBatch(["AAPL"], 5, T0, T0).every((t) => t.t === T0));
  assert.deepEqual(sim.nextBatch([], 5, T0, T0 + 10), []);
  assert.deepEqual(sim.nextBatch(["AAPL"], 0, T0, T0 + 10), []);
});

Deno.test("MarketSimulator: injectInvalid = 1 breaks every trade but keeps the symbol", () => {
  const sim = new MarketSimulator({ seed: 4, injectInvalid: 1 });
  const batch = sim.nextBatch(["AAPL", "BINANCE:ETHUSDT"], 200, T0, T0 + 50);
  const reasons = new Set<string>();
  for (const t of batch) {
    const r = validateTrade(t, { receivedAt: T0 + 50 });
    assert.ok(!r.ok, JSON.stringify(t));
    reasons.add(r.reason);
    assert.ok(t.s === "AAPL" || t.s === "BINANCE:ETHUSDT");
  }
  assert.ok(reasons.size >= 5, [...reasons].join());
});
