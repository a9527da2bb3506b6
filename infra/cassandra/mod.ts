/**
 * The Cassandra schema (`schema.cql`) and the code that applies it.
 *
 * @example
 * ```ts ignore
 * import { applySchema } from "./infra/cassandra/mod.ts";
 * await applySchema(client);
 * ```
 *
 * @module
 */
export * from "./apply_schema.ts";
