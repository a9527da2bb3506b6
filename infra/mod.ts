/**
 * Infrastructure shared by compose and the local (no Docker) set-up.
 *
 * @example
 * ```ts ignore
 * import { cassandra, local } from "./infra/mod.ts";
 * ```
 *
 * @module
 */
export * as cassandra from "./cassandra/mod.ts";
export * as local from "./local/mod.ts";
