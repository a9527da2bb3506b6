/**
 * End to end: a real Prometheus scrapes a stand-in for the app's /metrics,
 * evaluates the shipped rules and sends to a real Alertmanager with the
 * shipped routing and templates, which posts to a stand-in Slack webhook.
 */
import assert from "node:assert/strict";
import { startAlertingStack } from "./alerting_stack.ts";
import { slackTitle, startSlackSink } from "./slack_sink.ts";

// Generous: two server start-ups on 2 cores plus the alert's 10s `for:`.
const WAIT_MS = 90_000;

Deno.test({
  name: "FeedDisconnected reaches Slack as FIRING, then RESOLVED",
  fn: async () => {
    let connected = 1;
    const app = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () =>
        new Response(
          "# TYPE tickline_feed_connected gauge\n" +
            `tickline_feed_connected ${connected}\n`,
          { headers: { "content-type": "text/plain; version=0.0.4" } },
        ),
    );
    const slack = startSlackSink();
    let stack: Awaited<ReturnType<typeof startAlertingStack>> | undefined;
    try {
      stack = await startAlertingStack({
        jobs: [{
          job: "tickline",
          targets: [`127.0.0.1:${app.addr.port}`],
        }],
        slackWebhookUrl: slack.url,
      });
      const isFeedAlert =
        (status: string) => (m: { attachments?: { title?: string }[] }) =>
          slackTitle(m).startsWith(`[${status}] FeedDisconnected`);

      connected = 0;
      const firing = await slack.waitFor(
        isFeedAlert("FIRING"),
        WAIT_MS,
        "[FIRING] FeedDisconnected",
      );
      const attachment = firing.attachments![0];
      assert.match(
        attachment.title!,
        /\[FIRING\] FeedDisconnected \(critical, cause=feed\)/,
      );
      assert.equal(attachment.color, "danger");
      assert.equal(firing.channel, "#tickline-critical");
      assert.match(
        attachment.text!,
        /Trade feed disconnected on 127\.0\.0\.1:\d+/,
      );
      assert.match(attachment.title_link!, /\/d\/tickline-pipeline$/);

      connected = 1;
      const resolved = await slack.waitFor(
        isFeedAlert("RESOLVED"),
        WAIT_MS,
        "[RESOLVED] FeedDisconnected",
      );
      assert.equal(resolved.attachments![0].color, "good");
      assert.equal(resolved.channel, "#tickline-critical");
    } catch (error) {
      if (stack) console.error(stack.logs());
      throw error;
    } finally {
      await stack?.close();
      await slack.close();
      await app.shutdown();
    }
  },
});
