/**
 * The market page in a real headless Chromium against the real pipeline
 * (`main.ts` child process, real Kafka and Cassandra) fed by a replay that
 * sweeps three UTC days and then goes live: the candles drawn equal the
 * Cassandra rows, a 3-day range holds its middle day, the same candles show
 * in New York and in Tokyo, symbol and range switches work, and a new trade
 * shows within 2 s. Then, on 30 days of 1-minute candles, the page's weight,
 * first paint and load time are measured and printed beside their baselines.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import type { SentTrade } from "../actors/feed/mod.ts";
import { startFeedServer } from "../actors/feed/mod.ts";
import { type AppProcess, startApp } from "./support/app_process.ts";
import { launchChromium } from "./support/browser.ts";
import { createRunTopics, pipelineEnv } from "./support/end_state.ts";
import { deleteMarketData } from "./support/market_seed.ts";
import {
  type CandleRowRead,
  deleteTopics,
  runId,
  storedCandles,
  storedTrades,
  testCassandra,
  testKafka,
  waitUntil,
} from "./support/servers.ts";

const DAY = 86_400_000;
const MINUTE = 60_000;
const SCREENSHOT = new URL("../docs/market_page.png", import.meta.url);

interface Drawn {
  candles: {
    time: number;
    open: number;
    high: number;
    low: number;
    close: number;
  }[];
  volumes: { time: number; value: number }[];
  state: {
    symbol: string;
    from: number;
    to: number;
    live: boolean;
    loads: number;
    ticks: number;
    lastPrice?: number;
    trades: [number, number, number][];
  };
}

/** What the chart holds, read from the chart's own series in the page. */
function drawn(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const t = (globalThis as any).tickline;
    return { candles: t.candles(), volumes: t.volumes(), state: t.state() };
  });
}

/** Waits until the page has finished load number `n` (bounded). */
async function loaded(page: Page, n: number): Promise<void> {
  await page.waitForFunction(
    `Number(document.body.dataset.loads) >= ${n}`,
    { timeout: 15_000 },
  );
}

/** The chart's candles as comparable tuples (seconds as the chart keeps them). */
function asTuples(d: Drawn): number[][] {
  const volume = new Map(d.volumes.map((v) => [v.time, v.value]));
  return d.candles.map((
    c,
  ) => [c.time, c.open, c.high, c.low, c.close, volume.get(c.time) ?? NaN]);
}

function rowsTuples(
  rows: CandleRowRead[],
  from: number,
  to: number,
): number[][] {
  return rows.filter((r) => r.windowStart >= from && r.windowStart < to)
    .sort((a, b) => a.windowStart - b.windowStart)
    .map((
      r,
    ) => [r.windowStart / 1000, r.open, r.high, r.low, r.close, r.volume]);
}

/**
 * Event time that sweeps `spanMs` of history in `sweepMs` of wall time,
 * starting at the first trade, and then runs with the wall clock (live).
 */
function sweepThenLive(
  spanMs: number,
  sweepMs: number,
): { now(): number; begin(): void } {
  const created = Date.now();
  let start: number | undefined;
  const speed = (spanMs + sweepMs) / sweepMs;
  return {
    now() {
      // Held at the history's start until the first trade: a sweep begun
      // at the feed's creation would run hours ahead while the app starts.
      if (start === undefined) return created - spanMs;
      const wall = Date.now();
      return Math.min(wall, start - spanMs + (wall - start) * speed);
    },
    begin() {
      start ??= Date.now();
    },
  };
}

const isTrade = (
  t: SentTrade,
): t is { s: string; p: number; t: number; v: number } =>
  typeof (t as { s?: unknown }).s === "string" &&
  typeof (t as { t?: unknown }).t === "number";

Deno.test({
  name:
    "market page: a real browser shows the pipeline's candles, the middle day, any time zone, switches, live trades",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    const symbols = [`PG${id}A`, `PG${id}B`];
    const [A, B] = symbols;
    const env = pipelineEnv(id, symbols);
    const kafka = testKafka();
    await createRunTopics(kafka, env);
    const sent: { s: string; p: number; t: number; v: number; at: number }[] =
      [];
    // Four days of history in 12 s (room for three whole UTC days whatever
    // the time of day), then live at the same rate.
    const span = 4 * DAY;
    const clock = sweepThenLive(span, 12_000);
    const feed = await startFeedServer({
      port: 0,
      symbols,
      ratePerSec: 150,
      seed: 11,
      clock,
      onTrades: (trades) => {
        clock.begin();
        const at = Date.now();
        for (const t of trades) if (isTrade(t)) sent.push({ ...t, at });
      },
    });
    const cassandra = await testCassandra();
    let app: AppProcess | undefined;
    const testStart = Date.now();
    try {
      app = await startApp({
        ...env,
        FINNHUB_URL: feed.url,
        FINNHUB_TOKEN: "",
      });
      const base = `http://127.0.0.1:${app.metricsPort}`;
      // Wait (bounded) for the sweep to reach the present and for Cassandra to
      // hold every trade it sent for A before then.
      await waitUntil(
        () => sent.length > 0 && sent.at(-1)!.t >= Date.now() - 5_000,
        60_000,
        "the replay to go live",
      );
      const liveAt = sent.find((t) => t.t >= Date.now() - 60_000)!.t;
      const history = (s: string) =>
        sent.filter((t) => t.s === s && t.t < liveAt - 2 * MINUTE);
      for (const s of symbols) {
        const want = history(s).length;
        await waitUntil(
          async () => {
            const rows = await storedTrades(
              cassandra,
              [s],
              testStart - span - DAY,
              liveAt - 2 * MINUTE,
            );
            return rows.filter((r) => r.ts < liveAt - 2 * MINUTE).length ===
              want;
          },
          60_000,
          `${want} history trades of ${s} in Cassandra`,
        );
      }
      const first = history(A)[0].t;
      // A 3-day range of whole UTC days: the day of the first trade and the next two.
      const from = first - (first % DAY) + DAY;
      const to = from + 3 * DAY;
      assert.ok(
        to <= liveAt - 2 * MINUTE + DAY,
        "the range lies in the history",
      );
      const rangeTo = Math.min(
        to,
        liveAt - 2 * MINUTE - ((liveAt - 2 * MINUTE) % MINUTE),
      );
      await waitUntil(
        async () => {
          const rows = await storedCandles(cassandra, [A], from, rangeTo);
          const minutes = new Set(
            history(A).filter((t) => t.t >= from && t.t < rangeTo).map((t) =>
              t.t - (t.t % MINUTE)
            ),
          );
          const finals = rows.filter((r) =>
            r.windowStart >= from && r.windowStart < rangeTo && r.isFinal
          );
          return finals.length === minutes.size;
        },
        60_000,
        "final candles of the 3-day range",
      );

      await using browser = await launchChromium();
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));

      // 1. The candles drawn for the 3-day range equal Cassandra's rows, and the middle day is there.
      await page.goto(
        `${base}/?symbol=${encodeURIComponent(A)}&from=${from}&to=${rangeTo}`,
      );
      await loaded(page, 1);
      const utc = await drawn(page);
      const want = rowsTuples(
        await storedCandles(cassandra, [A], from, rangeTo),
        from,
        rangeTo,
      );
      assert.deepEqual(asTuples(utc), want);
      const middle = asTuples(utc).filter(([t]) =>
        t * 1000 >= from + DAY && t * 1000 < from + 2 * DAY
      );
      assert.ok(
        middle.length > 50,
        `the middle UTC day has ${middle.length} candles`,
      );
      for (const day of [0, 1, 2]) {
        const start = from + day * DAY;
        if (start >= rangeTo) continue;
        assert.ok(
          asTuples(utc).some(([t]) =>
            t * 1000 >= start && t * 1000 < start + DAY
          ),
          `day ${day} of the range is drawn`,
        );
      }

      // 2. The same candles in New York and in Tokyo, chosen with the page's own UTC inputs.
      for (const tz of ["America/New_York", "Asia/Tokyo"]) {
        const p = await browser.newPage();
        await p.emulateTimezone(tz);
        await p.goto(`${base}/?symbol=${encodeURIComponent(A)}&range=3600000`);
        await loaded(p, 1);
        const offset = await p.evaluate(() =>
          new Date(2026, 0, 1).getTimezoneOffset()
        );
        assert.notEqual(offset, 0, `${tz} is not UTC in the page`);
        const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
        await p.$eval(
          "#from",
          (e, v) => ((e as unknown as { value: string }).value = v),
          iso(from),
        );
        await p.$eval(
          "#to",
          (e, v) => ((e as unknown as { value: string }).value = v),
          iso(rangeTo),
        );
        await p.click("#custom button[type=submit]");
        await loaded(p, 2);
        const there = await drawn(p);
        assert.equal(there.state.from, from, tz);
        assert.equal(there.state.to, rangeTo, tz);
        assert.deepEqual(
          asTuples(there),
          asTuples(utc),
          `same candles in ${tz}`,
        );
        await p.close();
      }

      // 3. Switching symbol redraws B's candles; the range stays.
      await page.select("#symbol", B);
      await loaded(page, 2);
      const b = await drawn(page);
      assert.equal(b.state.symbol, B);
      assert.deepEqual(
        asTuples(b),
        rowsTuples(
          await storedCandles(cassandra, [B], from, rangeTo),
          from,
          rangeTo,
        ),
      );
      assert.notDeepEqual(asTuples(b), asTuples(utc));

      // 4. Switching to the live 1 h range: the closed minutes equal Cassandra's.
      await page.select("#symbol", A);
      await loaded(page, 3);
      await page.click('#ranges button[data-range="3600000"]');
      await loaded(page, 4);
      const live = await drawn(page);
      assert.ok(live.state.live);
      assert.equal(live.state.to - live.state.from, 3_600_000);
      const closedBefore = Date.now() - 2 * MINUTE;
      const liveRows = rowsTuples(
        await storedCandles(cassandra, [A], live.state.from, closedBefore),
        live.state.from,
        closedBefore,
      );
      assert.ok(liveRows.length > 0, "the last hour has candles");
      assert.deepEqual(
        asTuples(live).filter(([t]) =>
          t * 1000 < closedBefore - (closedBefore % MINUTE)
        ),
        liveRows.filter(([t]) =>
          t * 1000 < closedBefore - (closedBefore % MINUTE)
        ),
      );

      // 5. A new trade shows on the page within 2 s of the feed sending it.
      const after = Date.now();
      await waitUntil(
        () => sent.some((t) => t.s === A && t.at > after),
        5_000,
        "a new trade of A",
      );
      const fresh = sent.find((t) => t.s === A && t.at > after)!;
      let seenAt = 0;
      await waitUntil(
        async () => {
          const st = (await drawn(page)).state;
          const hit = st.trades.some(([t, p]) =>
            t === fresh.t && p === fresh.p
          );
          if (hit) seenAt = Date.now();
          return hit;
        },
        2_000,
        `trade ${fresh.t} @ ${fresh.p} on the page within 2 s`,
        50,
      );
      console.log(
        `new trade on the page ${
          seenAt - fresh.at
        } ms after the feed sent it (bound 2000 ms)`,
      );
      const st = (await drawn(page)).state;
      assert.ok(st.ticks > 0 && st.lastPrice !== undefined);
      const health = await page.$eval("#h-feed", (e) => e.textContent);
      assert.match(health ?? "", /connected/);

      // The picture for people (README): the 3-day range, live trades beside
      // it; its size shows the chart is not blank.
      const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
      await page.$eval(
        "#from",
        (e, v) => ((e as unknown as { value: string }).value = v),
        iso(from),
      );
      await page.$eval(
        "#to",
        (e, v) => ((e as unknown as { value: string }).value = v),
        iso(rangeTo),
      );
      await page.click("#custom button[type=submit]");
      await loaded(page, 5);
      const png = await page.screenshot({ type: "png" });
      assert.ok(png.length > 20_000, `screenshot is ${png.length} bytes`);
      if (Deno.env.get("TICKLINE_UPDATE_SCREENSHOT") === "1") {
        await Deno.writeFile(SCREENSHOT, png);
      }
      assert.deepEqual(errors, [], "no script errors in the page");
    } finally {
      await app?.stop();
      await feed.close();
      const end = Date.now() + DAY;
      await deleteMarketData(cassandra, symbols, testStart - span - DAY, end);
      await cassandra.shutdown();
      await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
    }
  },
});
