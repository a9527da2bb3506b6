/**
 * Configuration from environment variables, validated at start-up.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./mod.ts";
 * const config = loadConfig({});
 * ```
 *
 * @module
 */
export {
  AVERAGE_TRADE_BYTES,
  type Config,
  ConfigError,
  describeFeed,
  type FeedSource,
  feedUrl,
  DEFAULT_INGEST_BUFFER_SECONDS,
  loadConfig,
} from "./config.ts";
export { REDACTED, redactUrl, SecretScrubber } from "./secrets.ts";
