/**
 * The offline feed: a WebSocket server speaking Finnhub's trade protocol,
 * simulating a market or replaying a recording. Run it with `deno task feed`.
 *
 * @example
 * ```ts ignore
 * import { startFeedServer } from "./mod.ts";
 * await using feed = await startFeedServer({ port: 0, symbols: ["AAPL", "BINANCE:BTCUSDT"], seed: 1 });
 * console.log(feed.url, feed.stats());
 * ```
 *
 * @module
 */

export {
  DROP_CLOSE_CODE,
  FEED_BANNER,
  type FeedLogger,
  FeedOptionsError,
  type FeedServer,
  type FeedServerOptions,
  type FeedStats,
  type SentTrade,
  startFeedServer,
} from "./server.ts";
export {
  type FinnhubTrade,
  MarketSimulator,
  type MarketSimulatorOptions,
} from "./simulator.ts";
export {
  FeedReplayError,
  loadReplayFile,
  parseReplay,
  ReplayCursor,
  type ReplayCursorOptions,
  type ReplayLine,
} from "./replay.ts";
export { type FeedGap, SubscriptionGaps } from "./gaps.ts";
export { hashString, mulberry32, type Random } from "./prng.ts";
export {
  DEFAULT_FEED_SYMBOLS,
  type FeedCliConfig,
  FeedCliError,
  parseFeedCliConfig,
} from "./cli.ts";
export { eventually, TestFeedClient, WaitTimeoutError } from "./test_client.ts";
