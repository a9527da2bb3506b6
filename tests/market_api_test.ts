/**
 * The market page's read API on the real Cassandra: fan-out over every UTC
 * day and month partition of a range, bounds, a specific 400 for each kind
 * of bad input (reading nothing), 503 while Cassandra is unreachable (and an
 * app that still starts), and live events that resume after a reconnect.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createPipelineMetrics } from "../actors/metrics/mod.ts";
import {
  createMarketWeb,
  type MarketWeb,
  type PageTrade,
  type Tick,
} from "../actors/web/mod.ts";
import { consoleLogger } from "../runtime/mod.ts";
import { freePort } from "./support/app_process.ts";
import {
  deleteMarketData,
  insertCandles,
  insertTrades,
  makeCandles,
} from "./support/market_seed.ts";
import { CASSANDRA, runId, testCassandra } from "./support/servers.ts";

const logger = consoleLogger("error");
const CASSANDRA_SETTINGS = {
  contactPoints: [CASSANDRA],
  localDataCenter: "datacenter1",
  keyspace: "market",
};

interface Served extends AsyncDisposable {
  web: MarketWeb;
  base: string;
}

function serve(web: MarketWeb): Served {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    web.handle,
  );
  return {
    web,
    base: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await web.close();
      await server.shutdown();
    },
  };
}

async function waitConnected(web: MarketWeb): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!web.reader.connected) {
    if (Date.now() > deadline) throw new Error("reader did not connect");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What the API answers: a body with rows, or an error. */
interface ApiBody {
  rows: number[][];
  error: { kind: string; parameter: string; message: string };
  storeUp?: boolean;
}

async function getJson(
  url: string,
): Promise<{ status: number; body: ApiBody }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return { status: res.status, body: await res.json() };
}

// Three UTC days across a month boundary: Jan 31, Feb 1 (the middle day,
// in another month partition), Feb 2.
const DAY0 = Date.UTC(2026, 0, 31);
const DAY3 = DAY0 + 3 * 86_400_000;

Deno.test({
  name:
    "market api: candles and trades fan out over every UTC day and month of a 3-day range",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const symbol = `API${runId()}`;
    const client = await testCassandra();
    // One candle every 7 minutes over 3 days; trades every 37 minutes.
    const candles = makeCandles(DAY0, Math.floor(3 * 1440 / 7), 7 * 60_000, 3);
    const trades: PageTrade[] = Array.from({ length: 3 * 1440 / 36 }, (
      _,
      i,
    ) => ({
      time: DAY0 + i * 36 * 60_000 + 1234,
      partition: i % 3,
      offset: 1000 + i,
      price: 100 + i / 100,
      volume: 1 + (i % 7),
    }));
    const metrics = createPipelineMetrics({ symbols: [symbol] });
    try {
      await insertCandles(client, symbol, candles);
      await insertTrades(client, symbol, trades);
      await using s = serve(
        createMarketWeb({
          symbols: [symbol],
          metrics,
          logger,
          cassandra: CASSANDRA_SETTINGS,
        }),
      );
      await waitConnected(s.web);
      const q = (path: string, from: number, to: number, extra = "") =>
        getJson(
          `${s.base}${path}?symbol=${
            encodeURIComponent(symbol)
          }&from=${from}&to=${to}${extra}`,
        );

      // From noon of day 0 to noon of day 2: all three days, two months.
      const from = DAY0 + 12 * 3_600_000;
      const to = DAY0 + 2 * 86_400_000 + 12 * 3_600_000;
      const got = await q("/api/candles", from, to);
      assert.equal(got.status, 200);
      const want = candles.filter((c) => c.time >= from && c.time < to);
      assert.deepEqual(
        got.body.rows,
        want.map((
          c,
        ) => [c.time, c.open, c.high, c.low, c.close, c.volume, c.trades, 1]),
      );
      const middle = got.body.rows.filter((r) =>
        r[0] >= DAY0 + 86_400_000 && r[0] < DAY0 + 2 * 86_400_000
      );
      assert.equal(
        middle.length,
        want.filter((c) =>
          c.time >= DAY0 + 86_400_000 && c.time < DAY0 + 2 * 86_400_000
        ).length,
      );
      assert.ok(middle.length > 100, "the middle day is there");

      const all = await q("/api/trades", DAY0, DAY3, "&limit=10000");
      assert.equal(all.status, 200);
      const newestFirst = trades.slice().reverse();
      assert.deepEqual(
        all.body.rows,
        newestFirst.map((
          t,
        ) => [t.time, t.partition, t.offset, t.price, t.volume]),
      );
      const few = await q("/api/trades", DAY0, DAY3, "&limit=5");
      assert.deepEqual(
        few.body.rows.map((r) => r[0]),
        newestFirst.slice(0, 5).map((t) => t.time),
      );
      // [from, to) is half-open on both endpoints.
      const edge = await q("/api/candles", candles[10].time, candles[12].time);
      assert.deepEqual(
        edge.body.rows.map((r) => r[0]),
        [candles[10].time, candles[11].time],
      );
    } finally {
      await deleteMarketData(client, [symbol], DAY0, DAY3);
      await client.shutdown();
    }
  },
});

Deno.test({
  name:
    "market api: every kind of bad input gets its own 400 and reads nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const symbol = `BAD${runId()}`;
    await using s = serve(
      createMarketWeb({
        symbols: [symbol],
        metrics: createPipelineMetrics(),
        logger,
        cassandra: CASSANDRA_SETTINGS,
      }),
    );
    await waitConnected(s.web);
    const sym = encodeURIComponent(symbol);
    const t0 = Date.UTC(2026, 0, 1);
    const ok = `symbol=${sym}&from=${t0}&to=${t0 + 3_600_000}`;
    const cases: [string, string, string][] = [
      // [path?query, expected kind, expected parameter]
      [`/api/candles?from=${t0}&to=${t0 + 1}`, "missing_parameter", "symbol"],
      [`/api/candles?symbol=${sym}&to=${t0 + 1}`, "missing_parameter", "from"],
      [
        `/api/candles?symbol=NOPE&from=${t0}&to=${t0 + 1}`,
        "unknown_symbol",
        "symbol",
      ],
      [
        `/api/candles?symbol=${sym}&from=${t0 + 10}&to=${t0}`,
        "from_not_before_to",
        "from",
      ],
      [
        `/api/candles?symbol=${sym}&from=${t0}&to=${t0}`,
        "from_not_before_to",
        "from",
      ],
      [
        `/api/candles?symbol=${sym}&from=${t0}&to=${t0 + 400 * 86_400_000}`,
        "range_too_long",
        "to",
      ],
      [`/api/candles?symbol=${sym}&from=abc&to=${t0}`, "not_a_number", "from"],
      [`/api/candles?symbol=${sym}&from=${t0}&to=1e13`, "not_a_number", "to"],
      [`/api/candles?symbol=${sym}&from=-5&to=${t0}`, "not_a_number", "from"],
      [
        `/api/candles?symbol=${sym}&from=${t0}.5&to=${t0 + 9}`,
        "not_a_number",
        "from",
      ],
      [
        `/api/candles?symbol=${sym}&from=${t0 / 1000}&to=${t0 / 1000 + 60}`,
        "time_out_of_range",
        "from",
      ],
      [`/api/trades?${ok}&limit=0`, "limit_out_of_range", "limit"],
      [`/api/trades?${ok}&limit=10001`, "limit_out_of_range", "limit"],
      [`/api/trades?${ok}&limit=ten`, "not_a_number", "limit"],
      [`/api/candles?${ok}&limit=5`, "unknown_parameter", "limit"],
      [`/api/candles?${ok}&symbol=${sym}`, "repeated_parameter", "symbol"],
      // Injection attempts: quotes, CQL, a path, control characters.
      [
        `/api/candles?symbol=${
          encodeURIComponent(`${symbol}' OR 1=1 --`)
        }&from=${t0}&to=${t0 + 1}`,
        "unknown_symbol",
        "symbol",
      ],
      [
        `/api/candles?symbol=${sym}&from=${
          encodeURIComponent(`${t0}; DROP TABLE market.trades_v2`)
        }&to=${t0 + 1}`,
        "not_a_number",
        "from",
      ],
      [
        `/api/trades?${ok}&limit=${encodeURIComponent("1 ALLOW FILTERING")}`,
        "not_a_number",
        "limit",
      ],
      [
        `/api/candles?${ok}&${encodeURIComponent("symbol') --")}=x`,
        "unknown_parameter",
        "symbol???--",
      ],
      [
        `/api/stream?symbol=${encodeURIComponent("../../etc/passwd")}`,
        "unknown_symbol",
        "symbol",
      ],
      [
        `/api/candles?symbol=${
          encodeURIComponent(`${symbol}\u0000`)
        }&from=${t0}&to=${t0 + 1}`,
        "unknown_symbol",
        "symbol",
      ],
    ];
    const before = s.web.reader.queries;
    for (const [path, kind, parameter] of cases) {
      const { status, body } = await getJson(`${s.base}${path}`);
      assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.equal(body.error.kind, kind, path);
      assert.equal(body.error.parameter, parameter, path);
      assert.ok(body.error.message.length > 10, path);
    }
    assert.equal(
      s.web.reader.queries,
      before,
      "no bad request reached Cassandra",
    );
    // The good request does read: the counter above can move.
    assert.equal((await getJson(`${s.base}/api/candles?${ok}`)).status, 200);
    assert.ok(s.web.reader.queries > before);
  },
});

Deno.test({
  name:
    "market api: with Cassandra unreachable the web app starts at once and answers 503",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const symbol = `DOWN${runId()}`;
    const started = performance.now();
    await using s = serve(
      createMarketWeb({
        symbols: [symbol],
        metrics: createPipelineMetrics(),
        logger,
        cassandra: {
          ...CASSANDRA_SETTINGS,
          contactPoints: [`127.0.0.1:${freePort()}`],
        },
      }),
    );
    const startMs = performance.now() - started;
    assert.ok(startMs < 1000, `start-up did not wait (${startMs} ms)`);
    const t0 = Date.UTC(2026, 0, 1);
    const { status, body } = await getJson(
      `${s.base}/api/candles?symbol=${symbol}&from=${t0}&to=${t0 + 60_000}`,
    );
    assert.equal(status, 503);
    assert.equal(body.error.kind, "store_unavailable");
    assert.match(body.error.message, /Cassandra/);
    const page = await fetch(`${s.base}/`);
    assert.equal(page.status, 200);
    await page.body?.cancel();
    const health = await getJson(`${s.base}/api/health`);
    assert.equal(health.body.storeUp, false);
  },
});

/** Reads SSE events from a response until `want` ticks arrived. */
async function readTicks(
  res: Response,
  want: number,
): Promise<{ id: string; tick: Tick }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const out: { id: string; tick: Tick }[] = [];
  let buf = "";
  try {
    while (out.length < want) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const fields = Object.fromEntries(
          block.split("\n").filter((l) => !l.startsWith(":")).map((l) => {
            const i = l.indexOf(": ");
            return [l.slice(0, i), l.slice(i + 2)];
          }),
        );
        if (fields.event === "tick") {
          out.push({ id: fields.id, tick: JSON.parse(fields.data) });
        }
      }
    }
  } finally {
    await reader.cancel();
  }
  return out;
}

Deno.test({
  name:
    "market api: live events carry new trades and the live candle, and resume after a reconnect",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const symbol = `LIVE${runId()}`;
    const client = await testCassandra();
    const now = Date.now();
    let offset = 0;
    const trade = (dt: number, price: number): PageTrade => ({
      time: now + dt,
      partition: 0,
      offset: offset++,
      price,
      volume: 2,
    });
    try {
      await insertTrades(client, symbol, [trade(-3000, 10), trade(-2000, 11)]);
      await using s = serve(
        createMarketWeb({
          symbols: [symbol],
          metrics: createPipelineMetrics(),
          logger,
          cassandra: CASSANDRA_SETTINGS,
          pollMs: 200,
        }),
      );
      await waitConnected(s.web);
      const url = `${s.base}/api/stream?symbol=${symbol}`;
      const first = await readTicks(await fetch(url), 1);
      assert.deepEqual(first[0].tick.trades.map((t) => t[1]), [10, 11]);
      const minute = (now - 2000) - ((now - 2000) % 60_000);
      const live = first[0].tick.candles.find((c) => c[0] === minute);
      assert.ok(live, "the live minute's candle is sent");

      // Trades that land while the page is disconnected...
      const missed = [trade(-1000, 12), trade(-500, 13), trade(-400, 14)];
      await insertTrades(client, symbol, missed);
      // ...are the first thing the resumed stream sends, and nothing older.
      const resumed = await readTicks(
        await fetch(url, { headers: { "last-event-id": first[0].id } }),
        1,
      );
      assert.deepEqual(resumed[0].tick.trades.map((t) => t[1]), [12, 13, 14]);
      // Ticks keep coming at least once a second with no new trades.
      const t = performance.now();
      const more = await readTicks(
        await fetch(url, { headers: { "last-event-id": resumed[0].id } }),
        3,
      );
      assert.equal(more.length, 3);
      assert.deepEqual(more.flatMap((m) => m.tick.trades), []);
      console.log(
        `3 live ticks in ${Math.round(performance.now() - t)} ms (poll 200 ms)`,
      );
    } finally {
      await deleteMarketData(
        client,
        [symbol],
        now - 86_400_000,
        now + 86_400_000,
      );
      await client.shutdown();
    }
  },
});
