import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeTrade,
  encodeTrade,
  isTradeRecord,
  TradeDecodeError,
  TradeEncodeError,
  tradeRecordSchema,
} from "./codec.ts";
import type { RejectReason, Trade } from "./types.ts";
import { MAX_PRICE, MAX_VOLUME } from "./validate.ts";

const symbolArb = fc.oneof(
  fc.constantFrom(
    "AAPL",
    "BRK.B",
    "BINANCE:BTCUSDT",
    "OANDA:EUR_USD",
    "IC MARKETS:1",
    "^GSPC",
  ),
  fc.stringMatching(/^[A-Z0-9][A-Z0-9:._\-]{0,20}$/),
);

const tradeArb: fc.Arbitrary<Trade> = fc.record({
  symbol: symbolArb,
  price: fc.double({
    min: Number.MIN_VALUE,
    max: MAX_PRICE,
    noNaN: true,
  }),
  volume: fc.oneof(
    fc.constant(0),
    fc.double({ min: Number.MIN_VALUE, max: MAX_VOLUME, noNaN: true }),
  ),
  timestamp: fc.integer({ min: 946_684_800_000, max: 4_102_444_800_000 }),
  conditions: fc.array(fc.stringMatching(/^[ -~]{0,16}$/), { maxLength: 6 }),
  ingestedAt: fc.oneof(
    fc.integer({ min: 0, max: 4_102_444_800_000 }),
    fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
  ),
}).map((t) => ({ ...t })); // fast-check builds null-prototype objects; decode builds plain ones

Deno.test("codec: decode(encode(t)) equals t for any valid trade (string and bytes)", () => {
  const bytes = new TextEncoder();
  fc.assert(
    fc.property(tradeArb, (t) => {
      const value = encodeTrade(t);
      assert.deepEqual(decodeTrade(value), t);
      assert.deepEqual(decodeTrade(bytes.encode(value)), t);
      // The encoding is plain JSON of exactly the Trade fields.
      assert.deepEqual(JSON.parse(value), t);
    }),
    { numRuns: 500 },
  );
});

Deno.test("codec: the fast checks agree with the zod schema on arbitrary records", () => {
  const fieldArb = fc.oneof(
    fc.anything(),
    fc.double(),
    fc.integer(),
    fc.constantFrom(
      0,
      -0,
      1,
      -1,
      0.5,
      NaN,
      Infinity,
      -Infinity,
      2 ** 53,
      "",
      " ",
      "A ",
      "AAPL",
    ),
    fc.array(
      fc.oneof(fc.string({ maxLength: 20, unit: "binary" }), fc.integer()),
      { maxLength: 70 },
    ),
  );
  const recordArb = fc.oneof(
    tradeArb.map((t) => t as unknown),
    fc.record({
      symbol: fc.oneof(symbolArb, fieldArb),
      price: fc.oneof(fc.double(), fieldArb),
      volume: fc.oneof(fc.double(), fieldArb),
      timestamp: fc.oneof(fc.integer(), fieldArb),
      conditions: fc.oneof(
        fc.array(fc.string({ maxLength: 20, unit: "binary" })),
        fc.array(fc.stringMatching(/^[ -~]{0,18}$/)),
        fieldArb,
      ),
      ingestedAt: fc.oneof(fc.double(), fieldArb),
    }, { requiredKeys: [] }),
    fc.anything(),
  );
  fc.assert(
    fc.property(recordArb, (r) => {
      assert.equal(
        isTradeRecord(r),
        tradeRecordSchema.safeParse(r).success,
        JSON.stringify(r),
      );
    }),
    { numRuns: 3000 },
  );
});

Deno.test("codec: decode strips unknown fields", () => {
  const t = decodeTrade(
    '{"symbol":"AAPL","price":1,"volume":2,"timestamp":1700000000000,"conditions":[],"ingestedAt":3,"x":1}',
  );
  assert.deepEqual(Object.keys(t).sort(), [
    "conditions",
    "ingestedAt",
    "price",
    "symbol",
    "timestamp",
    "volume",
  ]);
});

const malformed: Array<[string, string | Uint8Array, RegExp]> = [
  ["not JSON", "{oops", /not JSON/],
  ["invalid UTF-8", new Uint8Array([0xff, 0xfe, 0x7b]), /not JSON/],
  [
    "invalid UTF-8 inside the symbol",
    new Uint8Array([
      ...new TextEncoder().encode('{"symbol":"AA'),
      0xff,
      ...new TextEncoder().encode(
        '","price":1,"volume":2,"timestamp":1,"conditions":[],"ingestedAt":3}',
      ),
    ]),
    /symbol/,
  ],
  ["JSON array", "[]", /record/],
  ["JSON null", "null", /record/],
  ["raw Finnhub trade", '{"s":"AAPL","p":1,"t":1700000000000,"v":1}', /symbol/],
  [
    "negative price",
    '{"symbol":"AAPL","price":-1,"volume":2,"timestamp":1700000000000,"conditions":[],"ingestedAt":3}',
    /price/,
  ],
  [
    "fractional timestamp",
    '{"symbol":"AAPL","price":1,"volume":2,"timestamp":1.5,"conditions":[],"ingestedAt":3}',
    /timestamp/,
  ],
  [
    "conditions not strings",
    '{"symbol":"AAPL","price":1,"volume":2,"timestamp":1,"conditions":[1],"ingestedAt":3}',
    /conditions/,
  ],
  [
    "missing ingestedAt",
    '{"symbol":"AAPL","price":1,"volume":2,"timestamp":1,"conditions":[]}',
    /ingestedAt/,
  ],
];

const reasons: Record<string, RejectReason> = {
  "JSON null": "not_an_object",
  "raw Finnhub trade": "missing_symbol",
  "negative price": "non_positive_price",
  "fractional timestamp": "invalid_time",
  "conditions not strings": "invalid_conditions",
  "missing ingestedAt": "invalid_time",
  "not JSON": "invalid_json",
  "price 1e300": "implausible_price",
};
malformed.push([
  "price 1e300",
  '{"symbol":"AAPL","price":1e300,"volume":2,"timestamp":1,"conditions":[],"ingestedAt":3}',
  /price/,
]);

// Finding 6 of issue 9: every undecodable record used to be labelled not_an_object.
Deno.test("codec: TradeDecodeError carries the specific reject reason", () => {
  for (const [name, value] of malformed) {
    const expected = reasons[name];
    if (expected === undefined) continue;
    assert.throws(() => decodeTrade(value), (err: unknown) => {
      assert.ok(err instanceof TradeDecodeError);
      assert.equal(err.reason, expected, name);
      return true;
    });
  }
});

for (const [name, value, pattern] of malformed) {
  Deno.test(`codec: decode throws TradeDecodeError on ${name}`, () => {
    assert.throws(() => decodeTrade(value), (err: unknown) => {
      assert.ok(err instanceof TradeDecodeError);
      assert.equal(err.name, "TradeDecodeError");
      assert.match(err.message, pattern);
      assert.match(err.message, /dead-letter/);
      return true;
    });
  });
}

Deno.test("codec: encode refuses non-finite numbers instead of writing invalid JSON", () => {
  const t: Trade = {
    symbol: "AAPL",
    price: NaN,
    volume: 1,
    timestamp: 1,
    conditions: [],
    ingestedAt: 1,
  };
  assert.throws(() => encodeTrade(t), TradeEncodeError);
});

Deno.test("codec: symbols and conditions needing escapes still round-trip", () => {
  const t: Trade = {
    symbol: 'WEIRD"\\',
    price: 1e-7,
    volume: 1e21,
    timestamp: 1700000000000,
    conditions: ['"', "\\", "a b"],
    ingestedAt: 1700000000000.5,
  };
  const value = encodeTrade(t);
  assert.deepEqual(JSON.parse(value), t);
  // The symbol is not a valid Finnhub symbol, so decoding refuses it.
  assert.throws(() => decodeTrade(value), TradeDecodeError);
});
