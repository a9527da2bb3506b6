import assert from "node:assert/strict";
import fc from "fast-check";
import {
  countTradesUnparsed,
  type FeedMessage,
  parseFeedMessage,
} from "./feed_message.ts";

const cases: Array<
  [name: string, text: string, expected: FeedMessage | string]
> = [
  [
    "trade frame",
    '{"type":"trade","data":[{"s":"AAPL","p":1,"t":2,"v":3}]}',
    { kind: "trades", data: [{ s: "AAPL", p: 1, t: 2, v: 3 }] },
  ],
  ["empty trade frame", '{"type":"trade","data":[]}', {
    kind: "trades",
    data: [],
  }],
  ["ping", '{"type":"ping"}', { kind: "ping" }],
  [
    "invalid symbol error",
    '{"type":"error","msg":"Invalid symbol OANDA:EUR_USD"}',
    {
      kind: "error",
      msg: "Invalid symbol OANDA:EUR_USD",
      errorKind: "invalid_symbol",
      symbol: "OANDA:EUR_USD",
    },
  ],
  [
    "too many symbols error",
    '{"type":"error","msg":"Subscribing to too many symbols"}',
    {
      kind: "error",
      msg: "Subscribing to too many symbols",
      errorKind: "too_many_symbols",
    },
  ],
  [
    "other error",
    '{"type":"error","msg":"Internal failure"}',
    { kind: "error", msg: "Internal failure", errorKind: "other" },
  ],
  ["error without msg", '{"type":"error"}', {
    kind: "error",
    msg: "",
    errorKind: "other",
  }],
  ["unknown type", '{"type":"news","data":[]}', {
    kind: "unknown",
    type: "news",
  }],
  ["missing type", '{"data":[]}', { kind: "unknown", type: "" }],
  ["non-string type", '{"type":7}', { kind: "unknown", type: "" }],
  ["not JSON", "hello", "invalid_json"],
  ["truncated JSON", '{"type":"trade","data":[', "invalid_json"],
  ["empty frame", "", "invalid_json"],
  ["JSON array", "[1,2]", "invalid_json"],
  ["JSON null", "null", "invalid_json"],
  ["JSON number", "42", "invalid_json"],
  ["JSON string", '"ping"', "invalid_json"],
  [
    "trade data not array",
    '{"type":"trade","data":{"s":"AAPL"}}',
    "invalid_json",
  ],
  ["trade data missing", '{"type":"trade"}', "invalid_json"],
  ["trade data null", '{"type":"trade","data":null}', "invalid_json"],
];

for (const [name, text, expected] of cases) {
  Deno.test(`parseFeedMessage: ${name}`, () => {
    const got = parseFeedMessage(text);
    if (typeof expected === "string") {
      assert.equal(got.kind, expected);
      assert.ok(got.kind === "invalid_json" && got.detail.length > 0);
    } else {
      assert.deepEqual(got, expected);
    }
  });
}

Deno.test("parseFeedMessage: a huge garbage frame gives a short detail", () => {
  const got = parseFeedMessage("x".repeat(100_000));
  assert.equal(got.kind, "invalid_json");
  assert.ok(got.kind === "invalid_json" && got.detail.length < 400);
});

/** Any string, quotes, colons and backslashes included: `"s":` inside values must not count. */
const textArb = fc.oneof(
  fc.string(),
  fc.constantFrom('"s":', '\\"s\\":', 's":', '"s"', "::"),
);
const rawTradeArb = fc.record({
  s: textArb,
  p: fc.double({ noNaN: true, noDefaultInfinity: true }),
  t: fc.integer(),
  v: fc.double({ noNaN: true, noDefaultInfinity: true }),
  c: fc.option(fc.array(textArb, { maxLength: 4 }), { nil: null }),
}, { requiredKeys: ["s", "p"] });

Deno.test("countTradesUnparsed: counts the trades of any trade frame as JSON.parse would, either key order", () => {
  fc.assert(
    fc.property(
      fc.array(rawTradeArb, { maxLength: 40 }),
      fc.boolean(),
      (data, typeFirst) => {
        const frame = typeFirst
          ? JSON.stringify({ type: "trade", data })
          : JSON.stringify({ data, type: "trade" });
        const parsed = parseFeedMessage(frame);
        assert.equal(parsed.kind, "trades");
        assert.equal(
          countTradesUnparsed(frame),
          parsed.kind === "trades" ? parsed.data.length : -1,
        );
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("countTradesUnparsed: any other frame is left to the parser", () => {
  for (
    const frame of [
      '{"type":"ping"}',
      '{"type":"error","msg":"Invalid symbol X"}',
      '{"data":[{"s":"AAPL"}],"type":"news"}',
      '{"type":"news","data":[{"s":"AAPL"}]}',
      "not json",
      "",
    ]
  ) {
    assert.equal(countTradesUnparsed(frame), undefined, frame);
  }
});
