import assert from "node:assert/strict";
import { parse } from "yaml";
import { runTool, ToolFailedError } from "./binaries.ts";
import {
  AlertConfigError,
  ALERTMANAGER_FILE,
  ALERTS_DIR,
  renderAlertmanagerConfig,
  SHIPPED_WEBHOOK_URL_FILE,
} from "./render.ts";

Deno.test("amtool check-config accepts the shipped config and template", async () => {
  const out = await runTool("amtool", ["check-config", ALERTMANAGER_FILE]);
  assert.match(out, /SUCCESS/);
  assert.match(out, /1 inhibit rules/);
  assert.match(out, /1 templates/);
});

Deno.test("critical and warning alerts route to their Slack receivers", async () => {
  const route = (labels: string[], receiver: string) =>
    runTool("amtool", [
      "config",
      "routes",
      "test",
      `--config.file=${ALERTMANAGER_FILE}`,
      `--verify.receivers=${receiver}`,
      ...labels,
    ]);
  assert.match(
    await route(
      ["alertname=FeedDisconnected", "severity=critical", "cause=feed"],
      "slack-critical",
    ),
    /slack-critical/,
  );
  assert.match(
    await route(
      ["alertname=ConsumerLagHigh", "severity=warning", "cause=consumer_lag"],
      "slack-warning",
    ),
    /slack-warning/,
  );
  await assert.rejects(
    route(["alertname=X", "severity=warning"], "slack-critical"),
    ToolFailedError,
  );
});

Deno.test("shipped config: channels, grouping, inhibit, resolved, no URL", async () => {
  const text = await Deno.readTextFile(ALERTMANAGER_FILE);
  assert.doesNotMatch(text, /hooks\.slack\.com/);
  assert.doesNotMatch(text, /api_url:/);
  const doc = parse(text);
  assert.deepEqual(doc.route.group_by, ["alertname", "cause"]);
  assert.equal(doc.route.group_wait, "5s");
  assert.deepEqual(doc.inhibit_rules, [{
    source_matchers: ['severity = "critical"'],
    target_matchers: ['severity = "warning"'],
    equal: ["cause"],
  }]);
  const channels: Record<string, string> = {};
  for (const r of doc.receivers) {
    for (const s of r.slack_configs) {
      assert.equal(s.send_resolved, true);
      assert.equal(s.api_url_file, SHIPPED_WEBHOOK_URL_FILE);
      channels[r.name] = s.channel;
    }
  }
  assert.deepEqual(channels, {
    "slack-critical": "#tickline-critical",
    "slack-warning": "#tickline-warnings",
  });
});

Deno.test("rendered config points at the given secret file and still checks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const secret = `${dir}/slack_webhook_url`;
    const yml = await renderAlertmanagerConfig({
      webhookUrlFile: secret,
      groupWait: "1s",
    });
    const doc = parse(yml);
    assert.equal(doc.route.group_wait, "1s");
    assert.deepEqual(doc.templates, [`${ALERTS_DIR}/templates/*.tmpl`]);
    assert.ok(!yml.includes(SHIPPED_WEBHOOK_URL_FILE));
    for (const r of doc.receivers) {
      for (const s of r.slack_configs) assert.equal(s.api_url_file, secret);
    }
    // From another directory, to prove nothing relies on the cwd.
    await Deno.writeTextFile(`${dir}/am.yml`, yml);
    const out = await runTool("amtool", ["check-config", `${dir}/am.yml`], {
      cwd: "/",
    });
    assert.match(out, /SUCCESS/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderer refuses a relative secret path", async () => {
  await assert.rejects(
    renderAlertmanagerConfig({ webhookUrlFile: "secrets/url" }),
    AlertConfigError,
  );
});

Deno.test("Slack template renders a readable firing message with a Grafana link", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = {
      receiver: "slack-critical",
      status: "firing",
      alerts: [{
        status: "firing",
        labels: {
          alertname: "FeedDisconnected",
          severity: "critical",
          cause: "feed",
          instance: "app:9464",
        },
        annotations: {
          summary: "Trade feed disconnected on app:9464",
          description: "Down for 10s.",
          runbook: "Restart the app.",
          dashboard: "tickline-pipeline",
        },
        startsAt: "2025-01-02T03:04:05Z",
        endsAt: "0001-01-01T00:00:00Z",
      }],
      groupLabels: { alertname: "FeedDisconnected", cause: "feed" },
      commonLabels: {
        alertname: "FeedDisconnected",
        severity: "critical",
        cause: "feed",
        instance: "app:9464",
      },
      commonAnnotations: { dashboard: "tickline-pipeline" },
      externalURL: "http://am.example:9093",
    };
    await Deno.writeTextFile(`${dir}/data.json`, JSON.stringify(data));
    const out = await runTool("amtool", [
      "template",
      "render",
      `--template.glob=${ALERTS_DIR}/templates/slack.tmpl`,
      `--template.data=${dir}/data.json`,
      "--template.text",
      '{{ template "tickline.slack.title" . }}\n{{ template "tickline.slack.color" . }}\n{{ template "tickline.slack.text" . }}',
    ]);
    const [title, color, ...text] = out.split("\n");
    assert.equal(
      title,
      "[FIRING] FeedDisconnected (critical, cause=feed) x1",
    );
    assert.equal(color, "danger");
    const body = text.join("\n");
    assert.match(body, /Trade feed disconnected on app:9464/);
    assert.match(body, /\*Runbook:\* Restart the app\./);
    assert.match(body, /`instance=app:9464`/);
    assert.match(
      body,
      /<http:\/\/localhost:3000\/d\/tickline-pipeline\|Open in Grafana>/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
