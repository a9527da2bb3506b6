/**
 * Tickline's alerting: rendering the shipped Prometheus rules and
 * Alertmanager config into runnable copies, and test helpers that start the
 * real servers with a fake Slack webhook.
 *
 * @example
 * ```ts
 * import { renderAlertmanagerConfig } from "./mod.ts";
 * const yml = await renderAlertmanagerConfig({
 *   webhookUrlFile: "/abs/.local/secrets/slack_webhook_url",
 * });
 * ```
 *
 * @module
 */

export {
  AlertConfigError,
  ALERTMANAGER_FILE,
  ALERTS_DIR,
  renderAlertmanagerConfig,
  type RenderAlertmanagerOptions,
  renderPrometheusConfig,
  type RenderPrometheusOptions,
  RULES_FILE,
  type ScrapeJob,
  SHIPPED_WEBHOOK_URL_FILE,
} from "./render.ts";
export {
  BinaryNotFoundError,
  findBinary,
  runTool,
  type Tool,
  ToolFailedError,
} from "./binaries.ts";
export {
  type SlackAttachment,
  type SlackMessage,
  type SlackSink,
  slackTitle,
  SlackWaitTimeoutError,
  startSlackSink,
} from "./slack_sink.ts";
export {
  type AlertingStack,
  type AlertingStackOptions,
  StackStartError,
  startAlertingStack,
} from "./alerting_stack.ts";
