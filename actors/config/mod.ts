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
  DEFAULT_INGEST_BUFFER_SECONDS,
  DEFAULT_SYMBOL_LIST,
  describeFeed,
  type FeedSource,
  feedUrl,
  loadConfig,
} from "./config.ts";
export {
  type FallbackListenOptions,
  FeedPortTakenError,
  isAddrInUse,
  isRunningFeed,
  listenWithFallback,
  type SharedFeed,
  startOrJoinFeed,
} from "./ports.ts";
export { REDACTED, redactUrl, SecretScrubber } from "./secrets.ts";
export {
  checkHeapBudget,
  HEAP_BYTES_PER_QUEUED_BYTE,
  HeapBudgetError,
  WORKING_SET_BYTES,
} from "./heap_budget.ts";
