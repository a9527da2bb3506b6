/**
 * Smoke test: the shared monitoring config is accepted by the real tools
 * (promtool, amtool), and the local Alertmanager copy points at local files.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { renderAlertmanagerConfig } from "../alerts/mod.ts";

const repo = (path: string) =>
  fileURLToPath(new URL(`../${path}`, import.meta.url));

async function run(
  command: string,
  args: string[],
): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

for (
  const file of [
    "infra/prometheus/prometheus.yml",
    "infra/prometheus/prometheus.compose.yml",
  ]
) {
  Deno.test(`smoke config: promtool accepts ${file} and its rule files`, async () => {
    const { code, output } = await run("promtool", [
      "check",
      "config",
      repo(file),
    ]);
    assert.equal(code, 0, output);
    // The shared rule files must be found through the relative glob, not silently skipped.
    assert.match(output, /SUCCESS: [1-9]\d* rule files found/, output);
  });
}

Deno.test({
  name: "smoke config: amtool accepts alerts/alertmanager.yml",
  ignore: !await exists(repo("alerts/alertmanager.yml")),
  async fn() {
    const { code, output } = await run("amtool", [
      "check-config",
      repo("alerts/alertmanager.yml"),
    ]);
    assert.equal(code, 0, output);
  },
});

Deno.test({
  name:
    "smoke config: amtool accepts the local rendering of alerts/alertmanager.yml",
  ignore: !await exists(repo("alerts/alertmanager.yml")),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const secret = `${dir}/slack_webhook_url`;
      await Deno.writeTextFile(secret, "http://127.0.0.1:9/");
      const rendered = await renderAlertmanagerConfig({
        webhookUrlFile: secret,
      });
      const apiUrlFiles = rendered.split("\n").filter((line) =>
        /^\s*-?\s*api_url_file:/.test(line)
      );
      assert.ok(apiUrlFiles.length > 0, "expected api_url_file for Slack");
      for (const line of apiUrlFiles) assert.ok(line.includes(secret), line);
      await Deno.writeTextFile(`${dir}/alertmanager.yml`, rendered);
      const { code, output } = await run("amtool", [
        "check-config",
        `${dir}/alertmanager.yml`,
      ]);
      assert.equal(code, 0, output);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
