/**
 * The parts of `deno task bench:e2e` (entry: `tests/e2e_benchmark.ts`): raw
 * ceilings, the bare pipeline and its ceiling step, Tickline's steps, the
 * statistics and the results file.
 *
 * @example
 * ```ts ignore
 * import { benchSettings, measureBareCeiling, runTickline } from "./tests/bench/mod.ts";
 * ```
 *
 * @module
 */
export * from "./bare_pipeline.ts";
export * from "./bare_process.ts";
export * from "./ceilings.ts";
export * from "./cleanup.ts";
export * from "./environment.ts";
export * from "./proc.ts";
export * from "./results.ts";
export * from "./settings.ts";
export * from "./stats.ts";
export * from "./tickline_run.ts";
