import assert from "node:assert/strict";
import { parse } from "yaml";
import { ALERTS_DIR, RULES_FILE } from "./render.ts";
import { runTool } from "./binaries.ts";

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = (parse(await Deno.readTextFile(RULES_FILE)) as {
  groups: { rules: Rule[] }[];
}).groups.flatMap((g) => g.rules);

const REQUIRED_ALERTS = [
  "FeedDisconnected",
  "NoTradesWhileConnected",
  "HighRejectionRate",
  "DlqGrowing",
  "ConsumerLagHigh",
  "CassandraWriteErrors",
  "E2ELatencyP95High",
  "ActorRestartStorm",
  "TargetDown",
  "TradesDropped",
  "KafkaProduceFailing",
  "DeadLettersDropped",
  "IngestJournalFailing",
  "IngestJournalTailsWaiting",
];

Deno.test("promtool check rules accepts the rules", async () => {
  const out = await runTool("promtool", ["check", "rules", RULES_FILE]);
  assert.match(out, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

Deno.test("promtool test rules passes every firing and non-firing case", async () => {
  const out = await runTool("promtool", [
    "test",
    "rules",
    "tickline.rules.test.yml",
  ], { cwd: ALERTS_DIR });
  assert.match(out, /SUCCESS/);
});

Deno.test("every required alert exists with severity, cause and annotations", () => {
  const names = new Set(rules.map((r) => r.alert));
  for (const name of REQUIRED_ALERTS) assert.ok(names.has(name), name);
  for (const r of rules) {
    assert.ok(
      ["critical", "warning"].includes(r.labels?.severity ?? ""),
      `${r.alert} severity`,
    );
    assert.ok(r.labels?.cause, `${r.alert} cause`);
    for (const key of ["summary", "description", "runbook", "dashboard"]) {
      assert.ok(r.annotations?.[key], `${r.alert} annotation ${key}`);
    }
  }
});

Deno.test("FeedDisconnected fires fast enough for the end-to-end test", () => {
  const rule = rules.find((r) => r.alert === "FeedDisconnected");
  assert.equal(rule?.for, "10s");
  assert.equal(rule?.expr.trim(), "tickline_feed_connected == 0");
});

Deno.test("the rule tests show every alert firing and not firing", async () => {
  const tests = (parse(
    await Deno.readTextFile(`${ALERTS_DIR}/tickline.rules.test.yml`),
  ) as {
    tests: {
      alert_rule_test: {
        alertname: string;
        exp_alerts: { exp_labels: Record<string, string> }[];
      }[];
    }[];
  }).tests.flatMap((t) => t.alert_rule_test);
  for (const r of rules) {
    const cases = tests.filter((c) => c.alertname === r.alert);
    const severity = r.labels!.severity;
    assert.ok(
      cases.some((c) =>
        c.exp_alerts.some((a) => a.exp_labels.severity === severity)
      ),
      `${r.alert} (${severity}) never shown firing`,
    );
    assert.ok(
      cases.some((c) =>
        !c.exp_alerts.some((a) => a.exp_labels.severity === severity)
      ),
      `${r.alert} (${severity}) never shown not firing`,
    );
  }
});
