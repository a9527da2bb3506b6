/**
 * End to end with the REAL app: `main.ts` runs as a child process fed by the
 * offline feed; a real Prometheus scrapes its /metrics with the shipped
 * rules, a real Alertmanager with the shipped routing and templates posts to
 * a stand-in Slack webhook. Stopping the feed must page FeedDisconnected as
 * FIRING; bringing it back on the same port must let the app reconnect on
 * its own and the alert arrive as RESOLVED. No secret may leak on the way.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startFeedServer } from "../actors/feed/mod.ts";
import {
  type AlertingStack,
  type SlackMessage,
  slackTitle,
  startAlertingStack,
  startSlackSink,
} from "../alerts/mod.ts";
import {
  type AppProcess,
  scrapeMetric,
  startApp,
} from "./support/app_process.ts";
import { createRunTopics, pipelineEnv } from "./support/end_state.ts";
import {
  deleteTopics,
  runId,
  testKafka,
  waitUntil,
} from "./support/servers.ts";

// The alert's `for: 10s` plus 1s scrape/eval, 1s group_wait and slack on a busy 2-core box.
const FIRING_WITHIN_MS = 90_000;
// The app's reconnect back-off is random up to 30 s, then the same alert path as above.
const RESOLVED_WITHIN_MS = 120_000;
const PROMETHEUS_SEES_APP_MS = 30_000;

/** Values of an instant PromQL query (empty when it has no series). */
async function promValues(
  prometheusUrl: string,
  expr: string,
): Promise<number[]> {
  const res = await fetch(
    `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`,
    {
      signal: AbortSignal.timeout(5000),
    },
  );
  const body = await res.json();
  if (body.status !== "success") {
    throw new Error(`query ${expr} failed: ${JSON.stringify(body)}`);
  }
  return (body.data.result as { value: [number, string] }[]).map((s) =>
    Number(s.value[1])
  );
}

/** Matches FeedDisconnected messages of `status` that arrived at or after index `since`. */
function feedAlert(
  messages: readonly SlackMessage[],
  status: "FIRING" | "RESOLVED",
  since: number,
) {
  return (m: SlackMessage) =>
    messages.indexOf(m) >= since &&
    slackTitle(m).startsWith(`[${status}] FeedDisconnected `);
}

Deno.test({
  name:
    "alerts e2e with the real app: feed down pages FeedDisconnected FIRING, reconnect sends RESOLVED",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const id = runId();
    const symbols = [`AL${id}A`, `BINANCE:AL${id}B`];
    const env = pipelineEnv(id, symbols);
    const kafka = testKafka();
    await createRunTopics(kafka, env, 1);
    // The sink answers on any path, so a random path segment plays the part of
    // the secret in a real Slack webhook URL and can be looked for in outputs.
    const slack = startSlackSink();
    const webhookSecret = crypto.randomUUID().replaceAll("-", "");
    const webhookUrl = `${
      new URL(slack.url).origin
    }/services/T000/B000/${webhookSecret}`;
    const feedOptions = { symbols, ratePerSec: 20, seed: 3 };
    let feed = await startFeedServer({ port: 0, ...feedOptions });
    const feedPort = feed.port;
    let app: AppProcess | undefined;
    let stack: AlertingStack | undefined;
    try {
      // An empty token counts as unset: the app must use the plain feed URL.
      app = await startApp({
        ...env,
        FINNHUB_URL: feed.url,
        FINNHUB_TOKEN: "",
      });
      const { metricsPort } = app;
      assert.equal(
        await scrapeMetric(metricsPort, "tickline_feed_connected"),
        1,
        "app connected at start",
      );
      stack = await startAlertingStack({
        jobs: [{ job: "tickline", targets: [`127.0.0.1:${metricsPort}`] }],
        slackWebhookUrl: webhookUrl,
      });
      const prometheusUrl = stack.prometheusUrl;
      await waitUntil(
        async () =>
          (await promValues(
            prometheusUrl,
            'tickline_feed_connected{job="tickline"}',
          ))[0] === 1,
        PROMETHEUS_SEES_APP_MS,
        "Prometheus to scrape tickline_feed_connected 1 from the app",
      );

      const beforeOutage = slack.messages.length;
      const downAt = Date.now();
      await feed.close();
      await waitUntil(
        async () =>
          (await scrapeMetric(metricsPort, "tickline_feed_connected")) === 0,
        10_000,
        "the app to report the feed disconnected",
      );
      const firing = await slack.waitFor(
        feedAlert(slack.messages, "FIRING", beforeOutage),
        FIRING_WITHIN_MS,
        "[FIRING] FeedDisconnected",
      );
      const firingMs = Date.now() - downAt;
      const attachment = firing.attachments?.[0];
      assert.ok(attachment, "Slack payload carries an attachment");
      assert.match(
        attachment.title!,
        /^\[FIRING\] FeedDisconnected \(critical, cause=feed\) x1$/,
      );
      assert.equal(attachment.color, "danger");
      assert.equal(firing.channel, "#tickline-critical");
      // The instance is the app's own metrics port: the real app raised this alert.
      assert.ok(
        attachment.text!.includes(
          `Trade feed disconnected on 127.0.0.1:${metricsPort}`,
        ),
        `text names the app instance: ${attachment.text}`,
      );
      assert.match(attachment.text!, /`job=tickline`/);
      assert.match(attachment.title_link!, /\/d\/tickline-pipeline$/);

      const beforeRecovery = slack.messages.length;
      const upAt = Date.now();
      feed = await startFeedServer({ port: feedPort, ...feedOptions });
      await waitUntil(
        async () =>
          (await scrapeMetric(metricsPort, "tickline_feed_connected")) === 1,
        RESOLVED_WITHIN_MS,
        "the app to reconnect to the restarted feed",
      );
      const reconnectMs = Date.now() - upAt;
      const resolved = await slack.waitFor(
        feedAlert(slack.messages, "RESOLVED", beforeRecovery),
        Math.max(1, RESOLVED_WITHIN_MS - (Date.now() - upAt)),
        "[RESOLVED] FeedDisconnected",
      );
      const resolvedMs = Date.now() - upAt;
      assert.match(
        resolved.attachments![0].title!,
        /^\[RESOLVED\] FeedDisconnected \(critical, cause=feed\)$/,
      );
      assert.equal(resolved.attachments![0].color, "good");
      assert.equal(resolved.channel, "#tickline-critical");
      assert.ok(
        (await scrapeMetric(metricsPort, "tickline_feed_reconnects_total")) >=
          1,
        "the app counted its reconnect attempts",
      );
      assert.ok(
        feed.stats().subscriptions >= symbols.length,
        "the app resubscribed on the new feed",
      );

      // Other rules may legitimately fire meanwhile; only FeedDisconnected is asserted above.
      const everything = [
        app.output(),
        stack.logs(),
        JSON.stringify(slack.messages),
      ];
      for (const text of everything) {
        assert.ok(
          !text.includes(webhookSecret),
          "the Slack webhook secret appears nowhere",
        );
        assert.ok(!/[?&]token=/.test(text), "no feed token appears anywhere");
      }
      console.log(
        `FIRING ${firingMs} ms after the feed stopped; reconnect ${reconnectMs} ms and RESOLVED ${resolvedMs} ms after it restarted`,
      );
    } catch (error) {
      if (stack) console.error(stack.logs().slice(-4000));
      if (app) console.error(app.output().slice(-4000));
      throw error;
    } finally {
      await stack?.close();
      await app?.kill();
      await feed.close();
      await slack.close();
      await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
    }
  },
});
