/**
 * Applies Tickline's Cassandra schema (`infra/cassandra/schema.cql`) through
 * cassandra-driver, so no cqlsh is needed. Used by `deno task infra:up` and
 * reusable by integration tests.
 *
 * @module
 */

/** The part of a cassandra-driver `Client` this module needs. */
export interface CqlExecutor {
  execute(query: string): Promise<unknown>;
}

/** URL of the schema file shipped in the repository. */
export const SCHEMA_URL: URL = new URL("./schema.cql", import.meta.url);

/** Keyspace created by the schema. */
export const KEYSPACE = "market";

/** Raised when a schema statement is refused by Cassandra. */
export class SchemaApplyError extends Error {
  /** The statement that failed. */
  readonly statement: string;
  /**
   * @param statement The CQL that Cassandra refused.
   * @param cause The driver's error.
   */
  constructor(statement: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cassandra refused a schema statement (${reason}). ` +
        `Fix infra/cassandra/schema.cql, then run \`deno task infra:up\` again. ` +
        `Statement: ${statement.slice(0, 120)}...`,
      { cause },
    );
    this.name = "SchemaApplyError";
    this.statement = statement;
  }
}

/**
 * Splits a CQL script into statements: drops `--` comment lines and splits on `;`.
 *
 * @example
 * ```ts
 * import { splitCqlStatements } from "./apply_schema.ts";
 * splitCqlStatements("-- hi\nCREATE KEYSPACE a;\nCREATE TABLE a.b (k int PRIMARY KEY);");
 * // => ["CREATE KEYSPACE a", "CREATE TABLE a.b (k int PRIMARY KEY)"]
 * ```
 */
export function splitCqlStatements(script: string): string[] {
  const withoutComments = script
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n");
  return withoutComments
    .split(";")
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

/**
 * Reads the schema file and returns its statements in order.
 *
 * @example
 * ```ts
 * import { readSchemaStatements } from "./apply_schema.ts";
 * const statements = await readSchemaStatements();
 * console.log(statements.length); // 3
 * ```
 */
export async function readSchemaStatements(
  url: URL = SCHEMA_URL,
): Promise<string[]> {
  return splitCqlStatements(await Deno.readTextFile(url));
}

/**
 * Runs every statement of the schema in order on `client` (connected without a
 * keyspace). Safe to call repeatedly: every statement is `IF NOT EXISTS`.
 *
 * @returns The number of statements executed.
 * @throws {SchemaApplyError} when Cassandra refuses a statement.
 * @example
 * ```ts
 * import cassandra from "cassandra-driver";
 * import { applySchema } from "./apply_schema.ts";
 * const client = new cassandra.Client({
 *   contactPoints: ["127.0.0.1:9042"],
 *   localDataCenter: "datacenter1",
 * });
 * try {
 *   await applySchema(client);
 * } finally {
 *   await client.shutdown();
 * }
 * ```
 */
export async function applySchema(
  client: CqlExecutor,
  statements?: string[],
): Promise<number> {
  const toRun = statements ?? await readSchemaStatements();
  for (const statement of toRun) {
    try {
      await client.execute(statement);
    } catch (error) {
      throw new SchemaApplyError(statement, error);
    }
  }
  return toRun.length;
}
