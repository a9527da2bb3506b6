/**
 * Renders runnable copies of the shipped alerting configuration for local
 * runs and tests: the secret path and absolute file paths are filled in so
 * the copy works from any directory.
 *
 * @module
 */

import { parse, stringify } from "yaml";

/** Raised when a shipped config does not have the shape the renderer edits. */
export class AlertConfigError extends Error {
  /** @param message what is wrong with the config */
  constructor(message: string) {
    super(message);
    this.name = "AlertConfigError";
  }
}

/** The directory of this module, i.e. the repo's `alerts/`. */
export const ALERTS_DIR: string = new URL(".", import.meta.url).pathname
  .replace(/\/$/, "");

/** Absolute path of the shipped Prometheus rules. */
export const RULES_FILE = `${ALERTS_DIR}/tickline.rules.yml`;
/** Absolute path of the shipped Alertmanager config. */
export const ALERTMANAGER_FILE = `${ALERTS_DIR}/alertmanager.yml`;
/** Where the shipped config expects the Slack webhook URL (a compose secret). */
export const SHIPPED_WEBHOOK_URL_FILE = "/run/secrets/slack_webhook_url";

/** Options of {@linkcode renderAlertmanagerConfig}. */
export interface RenderAlertmanagerOptions {
  /** Absolute path of a file holding the Slack webhook URL. */
  webhookUrlFile: string;
  /** Source config; defaults to the shipped `alerts/alertmanager.yml`. */
  sourceFile?: string;
  /** Override route timings, e.g. `"1s"` in tests. */
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

interface SlackConfig {
  api_url_file?: string;
  api_url?: string;
}
interface AlertmanagerDoc {
  templates?: string[];
  route?: Record<string, unknown>;
  receivers?: { name: string; slack_configs?: SlackConfig[] }[];
}

/**
 * Returns the Alertmanager config text with every Slack `api_url_file`
 * pointing at `webhookUrlFile` and template globs made absolute.
 *
 * @example
 * ```ts
 * import { renderAlertmanagerConfig } from "./render.ts";
 * const yml = await renderAlertmanagerConfig({
 *   webhookUrlFile: "/abs/.local/secrets/slack_webhook_url",
 *   groupWait: "1s",
 * });
 * ```
 */
export async function renderAlertmanagerConfig(
  options: RenderAlertmanagerOptions,
): Promise<string> {
  if (!options.webhookUrlFile.startsWith("/")) {
    // Alertmanager resolves it against its cwd, not the config's directory.
    throw new AlertConfigError("webhookUrlFile must be an absolute path");
  }
  const sourceFile = options.sourceFile ?? ALERTMANAGER_FILE;
  const sourceDir = sourceFile.replace(/\/[^/]*$/, "") || "/";
  const doc = parse(await Deno.readTextFile(sourceFile)) as AlertmanagerDoc;
  let slackConfigs = 0;
  for (const receiver of doc.receivers ?? []) {
    for (const slack of receiver.slack_configs ?? []) {
      if (slack.api_url) {
        throw new AlertConfigError(
          `receiver ${receiver.name} embeds api_url; use api_url_file`,
        );
      }
      slack.api_url_file = options.webhookUrlFile;
      slackConfigs++;
    }
  }
  if (slackConfigs === 0) {
    throw new AlertConfigError(`${sourceFile} has no slack_configs`);
  }
  doc.templates = (doc.templates ?? []).map((t) =>
    t.startsWith("/") ? t : `${sourceDir}/${t}`
  );
  if (!doc.route) throw new AlertConfigError(`${sourceFile} has no route`);
  if (options.groupWait) doc.route.group_wait = options.groupWait;
  if (options.groupInterval) doc.route.group_interval = options.groupInterval;
  if (options.repeatInterval) {
    doc.route.repeat_interval = options.repeatInterval;
  }
  return stringify(doc, { lineWidth: 0 });
}

/** One Prometheus scrape job. */
export interface ScrapeJob {
  job: string;
  /** `host:port` targets. */
  targets: string[];
  /** Defaults to `/metrics`. */
  metricsPath?: string;
}

/** Options of {@linkcode renderPrometheusConfig}. */
export interface RenderPrometheusOptions {
  jobs: ScrapeJob[];
  /** `host:port` of Alertmanager. */
  alertmanager: string;
  /** Defaults to `"15s"`. */
  scrapeInterval?: string;
  /** Defaults to `"15s"`. */
  evaluationInterval?: string;
  /** Defaults to the shipped rules file. */
  ruleFiles?: string[];
}

/**
 * Returns a Prometheus config that scrapes `jobs`, loads the Tickline rules
 * and sends alerts to `alertmanager`.
 *
 * @example
 * ```ts
 * import { renderPrometheusConfig } from "./render.ts";
 * const yml = renderPrometheusConfig({
 *   jobs: [{ job: "tickline", targets: ["127.0.0.1:9464"] }],
 *   alertmanager: "127.0.0.1:9093",
 *   scrapeInterval: "1s",
 *   evaluationInterval: "1s",
 * });
 * ```
 */
export function renderPrometheusConfig(
  options: RenderPrometheusOptions,
): string {
  return stringify({
    global: {
      scrape_interval: options.scrapeInterval ?? "15s",
      evaluation_interval: options.evaluationInterval ?? "15s",
    },
    rule_files: options.ruleFiles ?? [RULES_FILE],
    alerting: {
      alertmanagers: [{
        static_configs: [{ targets: [options.alertmanager] }],
      }],
    },
    scrape_configs: options.jobs.map((j) => ({
      job_name: j.job,
      metrics_path: j.metricsPath ?? "/metrics",
      static_configs: [{ targets: j.targets }],
    })),
  });
}
