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
  type Config,
  ConfigError,
  DEFAULT_SYMBOL_LIST,
  describeFeed,
  type FeedSource,
  feedUrl,
  loadConfig,
} from "./config.ts";
