/**
 * Helpers for the integration tests: the app as a child process, clients of
 * the real servers, the exact end state every run must reach, and an
 * independent OHLCV oracle.
 *
 * @example
 * ```ts ignore
 * import { pipelineEnv, startApp, verifyEndState } from "./tests/support/mod.ts";
 * ```
 *
 * @module
 */
export * from "./app_process.ts";
export * from "./clocks.ts";
export * from "./end_state.ts";
export * from "./oracle.ts";
export * from "./servers.ts";
export * from "./fault_servers.ts";
export * from "./feed_ledger.ts";
export * from "./pipeline_run.ts";
export * from "./handover.ts";
export * from "./prom_text.ts";
