/**
 * Speed of the market page, reported (not asserted against a clock): page
 * weight, time to first paint, and the time until 30 days of 1-minute
 * candles for one symbol (43,200 rows in Cassandra) are drawn, printed beside
 * what they measure and beside two baselines from the same run: the read API
 * alone and a bare cassandra-driver read of the same rows.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createPipelineMetrics } from "../actors/metrics/mod.ts";
import { createMarketWeb } from "../actors/web/mod.ts";
import { consoleLogger } from "../runtime/mod.ts";
import { launchChromium } from "./support/browser.ts";
import {
  deleteMarketData,
  insertCandles,
  makeCandles,
} from "./support/market_seed.ts";
import { CASSANDRA, runId, testCassandra } from "./support/servers.ts";

const MINUTE = 60_000;
const DAYS = 30;
const RUNS = 3;

interface Timings {
  firstPaint: number;
  firstContentfulPaint: number;
  chartReady: number;
  drawn: number;
  /** Bytes over the wire per resource, and decoded. */
  resources: { name: string; transfer: number; decoded: number }[];
  document: { transfer: number; decoded: number };
}

const median = (xs: number[]) =>
  xs.slice().sort((a, b) => a - b)[xs.length >> 1];

Deno.test({
  name:
    "market page speed: weight, first paint and a 30-day load of 1-minute candles (printed)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const symbol = `SPD${runId()}`;
    const client = await testCassandra();
    const now = Date.now();
    const to = now - (now % MINUTE) + MINUTE;
    const from = to - DAYS * 1440 * MINUTE;
    const candles = makeCandles(from, DAYS * 1440, MINUTE, 7);
    try {
      const seeded = performance.now();
      await insertCandles(client, symbol, candles, 128);
      console.log(
        `seeded ${candles.length} candles in ${
          Math.round(performance.now() - seeded)
        } ms`,
      );

      const web = createMarketWeb({
        symbols: [symbol],
        metrics: createPipelineMetrics({ symbols: [symbol] }),
        logger: consoleLogger("error"),
        cassandra: {
          contactPoints: [CASSANDRA],
          localDataCenter: "datacenter1",
          keyspace: "market",
        },
      });
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen() {},
      }, web.handle);
      const base = `http://127.0.0.1:${server.addr.port}`;
      try {
        while (!web.reader.connected) {
          await new Promise((r) => setTimeout(r, 50));
        }
        const query = `symbol=${symbol}&from=${from}&to=${to}`;

        // Baselines: the bare driver read of the same rows, and the API alone.
        const driverMs: number[] = [];
        const apiMs: number[] = [];
        let apiBytes = 0;
        for (let i = 0; i < RUNS; i++) {
          let t = performance.now();
          let rows = 0;
          for (
            const [y, m] of new Set(candles.map((c) => {
              const d = new Date(c.time);
              return `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}`;
            })).values().map((s) => s.split("-").map(Number))
          ) {
            const rs = await client.execute(
              "SELECT window_start, open, high, low, close, volume, trade_count, is_final FROM trade_aggregates WHERE symbol = ? AND trade_year = ? AND trade_month = ? AND window_start >= ? AND window_start < ?",
              [symbol, y, m, new Date(from), new Date(to)],
              { prepare: true, fetchSize: 50_000 },
            );
            rows += rs.rows.length;
          }
          driverMs.push(performance.now() - t);
          assert.equal(rows, candles.length);
          t = performance.now();
          const res = await fetch(`${base}/api/candles?${query}`);
          const body = await res.json();
          apiMs.push(performance.now() - t);
          assert.equal(body.rows.length, candles.length);
          apiBytes = JSON.stringify(body).length;
        }

        await using browser = await launchChromium();
        const runs: Timings[] = [];
        for (let i = 0; i < RUNS; i++) {
          // A fresh context each run: nothing cached, like a first visit.
          const context = await browser.createBrowserContext();
          const page = await context.newPage();
          await page.goto(
            `${base}/?symbol=${symbol}&from=${from}&to=${to}`,
          );
          await page.waitForFunction(
            "Number(document.body.dataset.loads) >= 1",
            { timeout: 30_000 },
          );
          runs.push(
            await page.evaluate(`(() => {
            const paint = Object.fromEntries(performance.getEntriesByType("paint").map((e) => [e.name, e.startTime]));
            const ready = performance.getEntriesByName("tickline:chart-ready:1")[0];
            const nav = performance.getEntriesByType("navigation")[0];
            return {
              firstPaint: paint["first-paint"],
              firstContentfulPaint: paint["first-contentful-paint"],
              chartReady: ready.startTime,
              drawn: globalThis.tickline.candles().length,
              resources: performance.getEntriesByType("resource").map((r) => ({
                name: new URL(r.name).pathname, transfer: r.transferSize, decoded: r.decodedBodySize,
              })),
              document: { transfer: nav.transferSize, decoded: nav.decodedBodySize },
            };
          })()`) as Timings,
          );
          await context.close();
        }
        for (const r of runs) {
          assert.equal(r.drawn, candles.length, "every candle drawn");
        }

        const last = runs.at(-1)!;
        const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
        const staticRes = last.resources.filter((r) =>
          r.name.startsWith("/static/")
        );
        const data = last.resources.find((r) => r.name === "/api/candles")!;
        const staticTransfer = last.document.transfer +
          staticRes.reduce((s, r) => s + r.transfer, 0);
        const staticDecoded = last.document.decoded +
          staticRes.reduce((s, r) => s + r.decoded, 0);
        const fmt = (xs: number[]) =>
          `median ${Math.round(median(xs))} ms (runs ${
            xs.map(Math.round).join(", ")
          })`;
        console.log(
          [
            `market page, ${candles.length} one-minute candles (${DAYS} days, one symbol), ${RUNS} cold loads in fresh browser contexts:`,
            `  page weight (html + js + css): ${
              kb(staticTransfer)
            } over the wire, ${kb(staticDecoded)} decoded`,
            ...[{ name: "/", ...last.document }, ...staticRes].map((r) =>
              `    ${r.name}: ${kb(r.transfer)} wire, ${kb(r.decoded)} decoded`
            ),
            `  30-day candle data (/api/candles): ${
              kb(data.transfer)
            } over the wire, ${kb(data.decoded)} decoded (JSON ${
              kb(apiBytes)
            })`,
            `  first paint:             ${fmt(runs.map((r) => r.firstPaint))}`,
            `  first contentful paint:  ${
              fmt(runs.map((r) => r.firstContentfulPaint))
            }`,
            `  page loaded, 30 days drawn (navigation start -> chart painted): ${
              fmt(runs.map((r) => r.chartReady))
            }  [target < 1000 ms]`,
            `  baseline: /api/candles alone from Deno:   ${fmt(apiMs)}`,
            `  baseline: bare cassandra-driver read:     ${fmt(driverMs)}`,
          ].join("\n"),
        );
      } finally {
        await web.close();
        await server.shutdown();
      }
    } finally {
      await deleteMarketData(client, [symbol], from, to);
      await client.shutdown();
    }
  },
});
