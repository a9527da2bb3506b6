/**
 * Prometheus and Alertmanager from Debian's packages, on 127.0.0.1, with the
 * repository's shared config (infra/prometheus/prometheus.yml,
 * alerts/alertmanager.yml).
 *
 * @module
 */

import { renderAlertmanagerConfig } from "../../alerts/mod.ts";
import { dirname, join } from "node:path";
import type { InfraConfig } from "./config.ts";
import type { Launch, ServerSpec } from "./server.ts";

/** Prometheus config of the local run (shared rule files under alerts/). */
export const PROMETHEUS_CONFIG: URL = new URL(
  "../prometheus/prometheus.yml",
  import.meta.url,
);

/** Alertmanager config written by the alerting work (alerts/alertmanager.yml). */
export const ALERTMANAGER_CONFIG: URL = new URL(
  "../../alerts/alertmanager.yml",
  import.meta.url,
);

/** Used only when alerts/alertmanager.yml does not exist yet. */
const FALLBACK_ALERTMANAGER_YML =
  `# Fallback written by infra/local because alerts/alertmanager.yml is missing.
route:
  receiver: slack
receivers:
  - name: slack
    slack_configs:
      - api_url_file: /run/secrets/slack_webhook_url
        channel: "#tickline-alerts"
        send_resolved: true
`;

async function httpOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The Prometheus server for the local life cycle.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { prometheusServer } from "./prometheus.ts";
 * const spec = prometheusServer(loadInfraConfig(), "/usr/bin/prometheus");
 * ```
 */
export function prometheusServer(
  config: InfraConfig,
  binary: string,
): ServerSpec {
  const base = `http://${config.host}:${config.ports.prometheus}`;
  return {
    name: "prometheus",
    port: config.ports.prometheus,
    ports: [config.ports.prometheus],
    startTimeoutMs: 30_000,
    stopTimeoutMs: 15_000,
    async prepare(): Promise<Launch> {
      const dataDir = join(config.dataDir, "prometheus");
      await Deno.mkdir(dataDir, { recursive: true });
      return {
        command: binary,
        args: [
          `--config.file=${new URL(PROMETHEUS_CONFIG).pathname}`,
          `--storage.tsdb.path=${dataDir}`,
          "--storage.tsdb.retention.time=2d",
          `--web.listen-address=${config.host}:${config.ports.prometheus}`,
          // Lets tests reload rules with POST /-/reload instead of restarting.
          "--web.enable-lifecycle",
        ],
        cwd: config.localDir,
      };
    },
    ready: () => httpOk(`${base}/-/ready`),
  };
}

/**
 * The Alertmanager server for the local life cycle. Its Slack webhook URL
 * comes from `config.slackWebhookUrl`, written to `.local/secrets/`.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { alertmanagerServer } from "./prometheus.ts";
 * const spec = alertmanagerServer(loadInfraConfig(), "/usr/bin/prometheus-alertmanager");
 * ```
 */
export function alertmanagerServer(
  config: InfraConfig,
  binary: string,
): ServerSpec {
  const base = `http://${config.host}:${config.ports.alertmanager}`;
  return {
    name: "alertmanager",
    port: config.ports.alertmanager,
    ports: [config.ports.alertmanager],
    startTimeoutMs: 30_000,
    stopTimeoutMs: 15_000,
    async prepare(): Promise<Launch> {
      const dataDir = join(config.dataDir, "alertmanager");
      const confDir = join(config.runDir, "alertmanager");
      const secretFile = join(config.localDir, "secrets", "slack_webhook_url");
      await Deno.mkdir(dataDir, { recursive: true });
      await Deno.mkdir(confDir, { recursive: true });
      await Deno.mkdir(dirname(secretFile), { recursive: true, mode: 0o700 });
      await Deno.writeTextFile(secretFile, config.slackWebhookUrl, {
        mode: 0o600,
      });
      const sourcePath = new URL(ALERTMANAGER_CONFIG).pathname;
      const text = await renderAlertmanagerConfig({
        webhookUrlFile: secretFile,
        sourceFile: sourcePath,
      }).catch((e) => {
        console.warn(
          `[infra] ${sourcePath} cannot be rendered (${e}); Alertmanager starts with a minimal fallback config`,
        );
        return FALLBACK_ALERTMANAGER_YML;
      });
      const rendered = join(confDir, "alertmanager.yml");
      await Deno.writeTextFile(rendered, text);
      return {
        command: binary,
        args: [
          `--config.file=${rendered}`,
          `--storage.path=${dataDir}`,
          `--web.listen-address=${config.host}:${config.ports.alertmanager}`,
          `--web.external-url=${base}`,
          // Empty: a single instance needs no gossip port (default 9094).
          "--cluster.listen-address=",
        ],
        cwd: config.localDir,
      };
    },
    ready: () => httpOk(`${base}/-/ready`),
  };
}
