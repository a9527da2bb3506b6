import assert from "node:assert/strict";
import fc from "fast-check";
import { toDeadLetter, validateBySchema, validateTrade } from "./validate.ts";
import type { RejectReason } from "./types.ts";

const NOW = Date.UTC(2024, 4, 1, 14, 30); // 2024-05-01T14:30Z
const T = NOW - 250;
const good = { s: "AAPL", p: 150.25, t: T, v: 10, c: ["1", "12"] };

function without(key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...good };
  delete copy[key];
  return copy;
}

const bad: Array<
  [name: string, raw: unknown, reason: RejectReason, detail?: RegExp]
> = [
  ["null", null, "not_an_object"],
  ["array", [good], "not_an_object"],
  ["string", "AAPL 150", "not_an_object"],
  ["number", 42, "not_an_object"],
  ["undefined", undefined, "not_an_object"],
  ["missing s", without("s"), "missing_symbol"],
  ["empty symbol", { ...good, s: "" }, "invalid_symbol"],
  ["numeric symbol", { ...good, s: 42 }, "invalid_symbol"],
  ["symbol with control chars", { ...good, s: "AA\nPL" }, "invalid_symbol"],
  ["symbol with quote", { ...good, s: 'AA"PL' }, "invalid_symbol"],
  ["symbol too long", { ...good, s: "A".repeat(65) }, "invalid_symbol"],
  ["symbol with trailing space", { ...good, s: "AAPL " }, "invalid_symbol"],
  ["missing p", without("p"), "missing_price"],
  ["p NaN", { ...good, p: NaN }, "invalid_price", /got NaN/],
  ["p Infinity", { ...good, p: Infinity }, "invalid_price", /got Infinity/],
  ["p -Infinity", { ...good, p: -Infinity }, "invalid_price"],
  [
    "p string",
    { ...good, p: "150.25" },
    "invalid_price",
    /got string "150.25"/,
  ],
  ["p null", { ...good, p: null }, "invalid_price", /got null/],
  ["p nested object", { ...good, p: { value: 1 } }, "invalid_price"],
  [
    "p negative",
    { ...good, p: -1 },
    "non_positive_price",
    /^p must be > 0, got -1$/,
  ],
  ["p zero", { ...good, p: 0 }, "non_positive_price", /got 0$/],
  ["p negative zero", { ...good, p: -0 }, "non_positive_price", /got -0$/],
  ["missing t", without("t"), "missing_time"],
  ["t string", { ...good, t: String(T) }, "invalid_time"],
  ["t fractional", { ...good, t: T + 0.5 }, "invalid_time"],
  ["t NaN", { ...good, t: NaN }, "invalid_time"],
  [
    "t in seconds",
    { ...good, t: Math.floor(T / 1000) },
    "implausible_time",
    /looks like seconds/,
  ],
  ["t far future", { ...good, t: NOW + 2 * 86_400_000 }, "future_time"],
  ["t 11 s ahead", { ...good, t: NOW + 11_000 }, "future_time"],
  ["p 1e300", { ...good, p: 1e300 }, "implausible_price"],
  ["v 1e300", { ...good, v: 1e300 }, "implausible_volume"],
  ["t negative", { ...good, t: -1 }, "implausible_time"],
  ["t zero", { ...good, t: 0 }, "implausible_time"],
  ["t before 2000", { ...good, t: Date.UTC(1999, 11, 31) }, "implausible_time"],
  ["t in microseconds", { ...good, t: T * 1000 }, "implausible_time"],
  ["missing v", without("v"), "missing_volume"],
  ["v NaN", { ...good, v: NaN }, "invalid_volume"],
  ["v string", { ...good, v: "10" }, "invalid_volume"],
  ["v array", { ...good, v: [10] }, "invalid_volume"],
  ["v boolean", { ...good, v: true }, "invalid_volume"],
  [
    "v zero",
    { ...good, v: 0 },
    "non_positive_volume",
    /^v must be > 0, got 0$/,
  ],
  ["v negative", { ...good, v: -3 }, "non_positive_volume"],
  ["c string", { ...good, c: "1,12" }, "invalid_conditions"],
  ["c object", { ...good, c: { 0: "1" } }, "invalid_conditions"],
  ["c with numbers", { ...good, c: ["1", 12] }, "invalid_conditions"],
  ["c with nested arrays", { ...good, c: [["1"]] }, "invalid_conditions"],
  [
    "c absurdly long",
    { ...good, c: Array(65).fill("1") },
    "invalid_conditions",
  ],
];

for (const [name, raw, reason, detail] of bad) {
  Deno.test(`validateTrade rejects ${name} as ${reason}`, () => {
    const r = validateTrade(raw, { receivedAt: NOW });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.reason, reason, r.detail);
    assert.ok(r.detail.length > 0 && r.detail.length < 400, r.detail);
    if (detail) assert.match(r.detail, detail);
  });
}

Deno.test("validateTrade: the first problem in s, p, t, v, c order wins", () => {
  const r = validateTrade({ s: "", p: -1, v: 0 }, { receivedAt: NOW });
  assert.ok(!r.ok && r.reason === "invalid_symbol");
});

Deno.test("validateTrade accepts a stock trade and enriches it", () => {
  const r = validateTrade(good, { receivedAt: NOW });
  assert.deepEqual(r, {
    ok: true,
    trade: {
      symbol: "AAPL",
      price: 150.25,
      volume: 10,
      timestamp: T,
      conditions: ["1", "12"],
      ingestedAt: NOW,
    },
  });
});

Deno.test("validateTrade accepts fractional crypto volume without c", () => {
  const r = validateTrade({
    s: "BINANCE:BTCUSDT",
    p: 67012.55,
    t: T,
    v: 0.011467,
  }, {
    receivedAt: NOW,
  });
  assert.ok(r.ok);
  assert.equal(r.trade.volume, 0.011467);
  assert.deepEqual(r.trade.conditions, []);
});

Deno.test("validateTrade accepts c null as no conditions and ignores extra keys", () => {
  const r = validateTrade({ ...good, c: null, x: "extra" }, {
    receivedAt: NOW,
  });
  assert.ok(r.ok);
  assert.deepEqual(r.trade.conditions, []);
  assert.equal("x" in r.trade, false);
});

Deno.test("validateTrade keeps same-millisecond trades distinct", () => {
  const raws = [1, 2, 3, 4, 5].map((i) => ({
    s: "TSLA",
    p: 200 + i / 100,
    t: T,
    v: i,
  }));
  const trades = raws.map((raw) => validateTrade(raw, { receivedAt: NOW }));
  assert.ok(trades.every((r) => r.ok));
  assert.deepEqual(trades.map((r) => r.ok && r.trade.volume), [1, 2, 3, 4, 5]);
});

Deno.test("validateTrade accepts symbols from every Finnhub venue style", () => {
  for (
    const s of [
      "BRK.B",
      "OANDA:EUR_USD",
      "IC MARKETS:1",
      "^GSPC",
      "BINANCE:1000SHIBUSDT",
    ]
  ) {
    const r = validateTrade({ ...good, s }, { receivedAt: NOW });
    assert.ok(r.ok, `${s}: ${!r.ok && r.detail}`);
  }
});

Deno.test("validateTrade: zero volume only when allowed; negative never", () => {
  const zero = { s: "OANDA:EUR_USD", p: 1.0712, t: T, v: 0 };
  const denied = validateTrade(zero, { receivedAt: NOW });
  assert.ok(!denied.ok && denied.reason === "non_positive_volume");
  const allowed = validateTrade(zero, {
    receivedAt: NOW,
    allowZeroVolume: true,
  });
  assert.ok(allowed.ok && allowed.trade.volume === 0);
  const minusZero = validateTrade({ ...zero, v: -0 }, {
    receivedAt: NOW,
    allowZeroVolume: true,
  });
  assert.ok(minusZero.ok && Object.is(minusZero.trade.volume, 0));
  const negative = validateTrade({ ...zero, v: -1 }, {
    receivedAt: NOW,
    allowZeroVolume: true,
  });
  assert.ok(!negative.ok && negative.reason === "non_positive_volume");
  assert.ok(!negative.ok && /v must be >= 0, got -1/.test(negative.detail));
});

Deno.test("validateTrade: time bounds are inclusive and configurable", () => {
  const skew = 1000;
  const ctx = {
    receivedAt: NOW,
    maxFutureSkewMs: skew,
    minTimestampMs: NOW - 5000,
  };
  assert.ok(validateTrade({ ...good, t: NOW + skew }, ctx).ok);
  assert.ok(!validateTrade({ ...good, t: NOW + skew + 1 }, ctx).ok);
  assert.ok(validateTrade({ ...good, t: NOW - 5000 }, ctx).ok);
  assert.ok(!validateTrade({ ...good, t: NOW - 5001 }, ctx).ok);
  // The default allows 10 s of clock skew, and says future_time beyond.
  assert.ok(
    validateTrade({ ...good, t: NOW + 10_000 }, { receivedAt: NOW }).ok,
  );
  const ahead = validateTrade({ ...good, t: NOW + 10_001 }, {
    receivedAt: NOW,
  });
  assert.ok(!ahead.ok && ahead.reason === "future_time");
});

Deno.test("validateTrade copies c so later changes to the frame do not leak in", () => {
  const raw = { ...good, c: ["1"] };
  const r = validateTrade(raw, { receivedAt: NOW });
  raw.c.push("2");
  assert.ok(r.ok);
  assert.deepEqual(r.trade.conditions, ["1"]);
});

Deno.test("toDeadLetter keeps the raw input untouched", () => {
  const raw = { s: "AAPL", p: -1 };
  const dl = toDeadLetter(
    raw,
    "non_positive_price",
    "p must be > 0, got -1",
    NOW,
  );
  assert.deepEqual(dl, {
    raw,
    reason: "non_positive_price",
    detail: "p must be > 0, got -1",
    receivedAt: NOW,
  });
  assert.equal(dl.raw, raw);
});

Deno.test("validateTrade: the fast path agrees with the schemas on arbitrary trades", () => {
  const value = fc.oneof(
    fc.constantFrom(
      undefined,
      null,
      0,
      -0,
      1,
      -1,
      NaN,
      Infinity,
      1e9,
      1e9 + 1,
      1e15,
      1e15 * 2,
      2 ** 53,
      0.5,
    ),
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 70 }),
    fc.constantFrom(
      "AAPL",
      "BINANCE:BTCUSDT",
      "IC MARKETS:1",
      "AAPL ",
      "^GSPC",
      "é",
      "",
    ),
    fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.integer()), {
      maxLength: 3,
    }),
  );
  const time = fc.oneof(
    value,
    fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  );
  fc.assert(
    fc.property(
      fc.record({ s: value, p: value, t: time, v: value, c: value }, {
        requiredKeys: [],
      }),
      fc.boolean(),
      (raw, allowZeroVolume) => {
        const ctx = { receivedAt: 1_700_000_000_000, allowZeroVolume };
        const o = { ...raw }; // fast-check builds null-prototype objects
        assert.deepEqual(validateTrade(o, ctx), validateBySchema(o, ctx));
      },
    ),
    { numRuns: 20_000 },
  );
});
