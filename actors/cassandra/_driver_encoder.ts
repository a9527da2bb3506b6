/**
 * cassandra-driver's own value Encoder, for tests and benches that hold
 * `cql_values.ts` to it. The package exports it; its types omit it.
 *
 * @module
 */
import cassandra from "cassandra-driver";

/** The part of the driver's Encoder these checks use. */
export interface DriverEncoder {
  encode(value: unknown, type: unknown): unknown;
}

const Encoder = (cassandra as unknown as {
  Encoder: new (version: number, options: object) => DriverEncoder;
}).Encoder;

/** Protocol v4, what the driver speaks to Cassandra 5; v3 and later agree on these values. */
export const driverEncoder: DriverEncoder = new Encoder(4, {});
