/**
 * Tickline's pipeline actors and their adapters, one namespace per folder.
 *
 * @example
 * ```ts ignore
 * import { pipeline, trade } from "./actors/mod.ts";
 * const result = trade.validateTrade({ s: "AAPL", p: 1, t: Date.now(), v: 1 }, { receivedAt: Date.now() });
 * ```
 *
 * @module
 */
export * as cassandra from "./cassandra/mod.ts";
export * as config from "./config/mod.ts";
export * as feed from "./feed/mod.ts";
export * as kafka from "./kafka/mod.ts";
export * as metrics from "./metrics/mod.ts";
export * as pipeline from "./pipeline/mod.ts";
export * as trade from "./trade/mod.ts";
export * as window from "./window/mod.ts";
