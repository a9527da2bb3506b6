import assert from "node:assert/strict";
import { createPipelineMetrics } from "../metrics/mod.ts";
import { consoleLogger } from "../../runtime/mod.ts";
import {
  ApiParamError,
  apiParsers,
  candlesFromTrades,
  createMarketWeb,
  decodeCursor,
  type MarketReader,
  MarketStoreUnavailableError,
  type PageTrade,
  utcDaysOf,
  utcMonthsOf,
} from "./mod.ts";

Deno.test("partitions: UTC days and months of [from, to), across month and year ends", () => {
  const days = utcDaysOf(Date.UTC(2025, 11, 30, 23), Date.UTC(2026, 0, 2));
  assert.deepEqual(days.map((d) => [d.year, d.month, d.day]), [
    [2025, 12, 30],
    [2025, 12, 31],
    [2026, 1, 1],
  ]);
  assert.deepEqual(utcDaysOf(5, 5), []);
  const months = utcMonthsOf(Date.UTC(2024, 10, 15), Date.UTC(2025, 1, 1));
  assert.deepEqual(months.map((m) => [m.year, m.month]), [
    [2024, 11],
    [2024, 12],
    [2025, 1],
  ]);
});

Deno.test("api params: each kind of bad input has its own error", () => {
  const parse = apiParsers(["AAPL"]);
  const kind = (q: string, trades = false) => {
    try {
      (trades ? parse.trades : parse.candles)(new URLSearchParams(q));
      return "ok";
    } catch (e) {
      assert.ok(e instanceof ApiParamError);
      return e.kind;
    }
  };
  const t = Date.UTC(2026, 0, 1);
  assert.equal(kind(`symbol=AAPL&from=${t}&to=${t + 1}`), "ok");
  assert.equal(kind(`from=${t}&to=${t + 1}`), "missing_parameter");
  assert.equal(kind(`symbol=MSFT&from=${t}&to=${t + 1}`), "unknown_symbol");
  assert.equal(kind(`symbol=AAPL&from=x&to=${t + 1}`), "not_a_number");
  assert.equal(kind(`symbol=AAPL&from=1&to=${t + 1}`), "time_out_of_range");
  assert.equal(kind(`symbol=AAPL&from=${t}&to=${t}`), "from_not_before_to");
  assert.equal(
    kind(`symbol=AAPL&from=${t}&to=${t + 32 * 86_400_000}`),
    "range_too_long",
  );
  assert.equal(
    kind(`symbol=AAPL&from=${t}&to=${t + 1}&x=1`),
    "unknown_parameter",
  );
  assert.equal(
    kind(`symbol=AAPL&symbol=AAPL&from=${t}&to=${t + 1}`),
    "repeated_parameter",
  );
  assert.equal(
    kind(`symbol=AAPL&from=${t}&to=${t + 1}&limit=0`, true),
    "limit_out_of_range",
  );
  assert.equal(
    parse.trades(new URLSearchParams(`symbol=AAPL&from=${t}&to=${t + 1}`))
      .limit,
    1000,
  );
});

Deno.test("live cursor: round trip, and anything malformed is a fresh start", () => {
  assert.deepEqual(decodeCursor("1767225600000_2_41"), {
    time: 1767225600000,
    partition: 2,
    offset: 41,
  });
  assert.deepEqual(decodeCursor("1767225600000_-1_-1"), {
    time: 1767225600000,
    partition: -1,
    offset: -1,
  });
  for (
    const bad of [
      null,
      "",
      "1-2-3",
      "x_1_2",
      "1_2_3_4",
      "1_2_99999999999999999999",
    ]
  ) {
    assert.equal(decodeCursor(bad), undefined, String(bad));
  }
});

Deno.test("live candles from raw trades follow the pipeline's rules (first/last by time, partition, offset)", () => {
  const trades: PageTrade[] = [
    { time: 60_500, partition: 1, offset: 0, price: 11, volume: 1 },
    { time: 60_500, partition: 0, offset: 9, price: 10, volume: 2 },
    { time: 119_999, partition: 0, offset: 10, price: 12, volume: 3 },
    { time: 120_000, partition: 0, offset: 11, price: 9, volume: 1 },
  ];
  const [a, b] = candlesFromTrades("X", trades);
  assert.deepEqual(
    [a.time, a.open, a.high, a.low, a.close, a.volume, a.trades, a.final],
    [60_000, 10, 12, 10, 12, 6, 3, false],
  );
  assert.deepEqual([b.time, b.open, b.close, b.volume], [120_000, 9, 9, 1]);
});

function fakeReader(): MarketReader & { queries: number } {
  const down = () =>
    Promise.reject(new MarketStoreUnavailableError("Cassandra is down"));
  return {
    queries: 0,
    connected: false,
    candles() {
      this.queries++;
      return down();
    },
    trades() {
      this.queries++;
      return down();
    },
    close: () => Promise.resolve(),
  };
}

Deno.test("web app: page with the symbols inlined, local script, 404s, 503 while the store is down", async () => {
  const web = createMarketWeb({
    symbols: ["AAPL", "</script>"],
    metrics: createPipelineMetrics(),
    logger: consoleLogger("error"),
    reader: fakeReader(),
  });
  try {
    const page = await web.handle(new Request("http://x/"));
    const html = await page.text();
    assert.match(html, /"symbols":\["AAPL","\\u003c\/script>"\]/);
    assert.match(html, /src="\/static\/market\.js"/);
    assert.doesNotMatch(html, /https?:\/\//);
    const js = await web.handle(new Request("http://x/static/market.js"));
    assert.match(js.headers.get("content-type") ?? "", /javascript/);
    assert.ok((await js.arrayBuffer()).byteLength > 50_000);
    const missing = await web.handle(
      new Request("http://x/static/..%2Fdeno.json"),
    );
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const t = Date.UTC(2026, 0, 1);
    const down = await web.handle(
      new Request(`http://x/api/candles?symbol=AAPL&from=${t}&to=${t + 1}`),
    );
    assert.equal(down.status, 503);
    assert.equal((await down.json()).error.kind, "store_unavailable");
  } finally {
    await web.close();
  }
});

Deno.test("web app: the event stream reports an unavailable store and ends when the app closes", async () => {
  const web = createMarketWeb({
    symbols: ["AAPL"],
    metrics: createPipelineMetrics(),
    logger: consoleLogger("error"),
    reader: fakeReader(),
    pollMs: 20,
  });
  const res = await web.handle(new Request("http://x/api/stream?symbol=AAPL"));
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("event: unavailable")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  assert.match(text, /^retry: \d+/);
  assert.match(text, /"storeUp":false/);
  await web.close();
  // The stream ends by itself once the app closes.
  while (!(await reader.read()).done) { /* drain */ }
});
