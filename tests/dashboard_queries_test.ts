/**
 * Every dashboard panel query runs against real data: after a replay through
 * the real pipeline (`main.ts` child process, real Kafka and Cassandra), each
 * Cassandra panel's CQL, expanded the way Grafana and the plugin expand it,
 * must parse on the real Cassandra and return rows; each Prometheus panel's
 * PromQL, run on a real Prometheus scraping the app, must return series.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { SentTrade } from "../actors/feed/mod.ts";
import { startFeedServer } from "../actors/feed/mod.ts";
import {
  type AlertingStack,
  startAlertingStack,
  startSlackSink,
} from "../alerts/mod.ts";
import {
  dashboardQueries,
  expandCassandraMacros,
  type PanelQuery,
} from "../dashboards/mod.ts";
import { type AppProcess, startApp } from "./support/app_process.ts";
import {
  createRunTopics,
  pipelineEnv,
  verifyEndState,
} from "./support/end_state.ts";
import {
  deleteTopics,
  runId,
  testCassandra,
  testKafka,
  waitUntil,
} from "./support/servers.ts";

const TRADES = 1500;
// Event time spread over the last few minutes, ending about now, so "today",
// the candle panels and the raw price panel all have rows in range.
const SPAN_MS = 4 * 60_000;
const RATE_PER_SEC = 300;
const PROMETHEUS_WARMUP_MS = 60_000;

/**
 * Event time that starts SPAN_MS in the past and reaches the present when the
 * last trade is sent, never passing the wall clock (the validator rejects
 * trades from the future).
 */
function recentPastClock(): { now(): number } {
  const start = Date.now();
  const replayMs = (TRADES / RATE_PER_SEC) * 1000;
  const speed = SPAN_MS / replayMs;
  return {
    now: () =>
      Math.min(Date.now(), start - SPAN_MS + (Date.now() - start) * speed),
  };
}

interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

/** Runs an instant query; throws on a PromQL error so bad syntax fails loudly. */
async function promQuery(
  prometheusUrl: string,
  expr: string,
): Promise<Series[]> {
  const res = await fetch(
    `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`,
    {
      signal: AbortSignal.timeout(10_000),
    },
  );
  const body = await res.json();
  assert.equal(
    body.status,
    "success",
    `PromQL ${expr}: ${JSON.stringify(body)}`,
  );
  return body.data.result as Series[];
}

// A trailing `> 0` hides zero series on purpose (only reasons/kinds that
// happen get a legend entry), so a healthy run shows nothing there; the
// series underneath must still exist, which is what pre-created counters buy.
const ZERO_FILTER = /^(.*\S)\s*>\s*0$/s;

const describe = (q: PanelQuery) => `${q.dashboard} / ${q.panel}: ${q.query}`;

Deno.test({
  name:
    "dashboards: every Cassandra and Prometheus panel query returns data after a real replay",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const queries = dashboardQueries();
    const cql = queries.filter((q) => q.datasource === "cassandra");
    const promql = queries.filter((q) => q.datasource === "prometheus");
    assert.ok(
      cql.length > 0 && promql.length > 0,
      "both datasources have panels to check",
    );

    const id = runId();
    const symbols = [`DQ${id}A`, `DQ${id}B`, `BINANCE:DQ${id}C`];
    const env = pipelineEnv(id, symbols);
    const kafka = testKafka();
    await createRunTopics(kafka, env);
    const sent: SentTrade[] = [];
    const feed = await startFeedServer({
      port: 0,
      symbols,
      ratePerSec: RATE_PER_SEC,
      seed: 5,
      maxTrades: TRADES,
      clock: recentPastClock(),
      onTrades: (trades) => sent.push(...trades),
    });
    const cassandra = await testCassandra();
    // Alert notifications are not under test here; the sink just swallows them.
    const slack = startSlackSink();
    let app: AppProcess | undefined;
    let stack: AlertingStack | undefined;
    try {
      app = await startApp({
        ...env,
        FINNHUB_URL: feed.url,
        FINNHUB_TOKEN: "",
      });
      // Started before the replay so rate() windows hold the whole run.
      stack = await startAlertingStack({
        jobs: [{ job: "tickline", targets: [`127.0.0.1:${app.metricsPort}`] }],
        slackWebhookUrl: slack.url,
      });
      const prometheusUrl = stack.prometheusUrl;

      await waitUntil(
        () => Promise.resolve(feed.stats().tradesSent >= TRADES),
        60_000,
        `${TRADES} trades sent`,
      );
      const state = await verifyEndState({
        kafka,
        cassandra,
        env,
        symbols,
        expectedValid: sent.length,
      });
      assert.ok(
        state.candles >= symbols.length * 3,
        `candles over several minutes (${state.candles})`,
      );

      const times = sent.map((t) => Number((t as { t: number }).t));
      const first = Math.min(...times);
      const last = Math.max(...times);
      assert.ok(
        last - first > 2 * 60_000,
        "the replay covers a few minutes of event time",
      );
      // `to` is just after the last trade, not "now": the "today" panels use
      // `to`'s UTC day, which then surely holds trades even around midnight.
      const range = {
        from: new Date(first - 60_000),
        to: new Date(last + 1000),
      };

      for (const symbol of symbols) {
        for (const q of cql) {
          const statement = expandCassandraMacros(q.query, {
            ...range,
            vars: { symbol },
            strict: true,
          });
          assert.doesNotMatch(
            statement,
            /\$/,
            `${describe(q)} is fully expanded: ${statement}`,
          );
          let rows: unknown[][];
          try {
            const rs = await cassandra.execute(statement, [], {
              fetchSize: 100_000,
            });
            rows = rs.rows.map((r) => r.values());
          } catch (error) {
            throw new Error(
              `Cassandra rejects ${
                describe(q)
              }\nexpanded: ${statement}\n${error}`,
            );
          }
          // An aggregate over empty partitions still yields one all-null row,
          // so only a row with every column set proves the panel has data.
          assert.ok(
            rows.some((row) => row.every((v) => v !== null)),
            `${describe(q)} returns a complete row for ${symbol}\n` +
              `expanded: ${statement}\ngot: ${
                JSON.stringify(rows.slice(0, 3))
              }`,
          );
        }
      }

      // rate()/increase() need two samples in their window; wait for several.
      await waitUntil(
        async () => {
          const [s] = await promQuery(
            prometheusUrl,
            'count_over_time(tickline_ready{job="tickline"}[1m])',
          );
          return s !== undefined && Number(s.value[1]) >= 5;
        },
        PROMETHEUS_WARMUP_MS,
        "Prometheus to hold 5 scrapes of the app",
      );
      const empty: string[] = [];
      const zeroFiltered: string[] = [];
      for (const q of promql) {
        const series = await promQuery(prometheusUrl, q.query);
        if (series.length > 0) continue;
        const inner = ZERO_FILTER.exec(q.query)?.[1];
        if (inner && (await promQuery(prometheusUrl, inner)).length > 0) {
          zeroFiltered.push(q.query);
          continue;
        }
        empty.push(describe(q));
      }
      assert.deepEqual(
        empty,
        [],
        "every Prometheus panel expression returns at least one series",
      );
      console.log(
        `${cql.length} CQL queries x ${symbols.length} symbols returned rows; ` +
          `${promql.length} PromQL expressions returned series, ` +
          `${zeroFiltered.length} only without their "> 0" filter: ` +
          zeroFiltered.join("; "),
      );
    } catch (error) {
      if (app) console.error(app.output().slice(-4000));
      throw error;
    } finally {
      await stack?.close();
      await app?.kill();
      await feed.close();
      await slack.close();
      await cassandra.shutdown();
      await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
    }
  },
});
