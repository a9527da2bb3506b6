/**
 * Protocol-level readiness checks for Kafka and Cassandra through the same npm
 * drivers the app uses. Exported for tests that must wait for the servers.
 *
 * @module
 */

import cassandra from "cassandra-driver";
import { Kafka, logLevel } from "kafkajs";
import { waitUntil } from "./wait.ts";

/**
 * True when the broker answers a metadata request and has an active controller.
 *
 * @example
 * ```ts
 * import { kafkaAnswers } from "./readiness.ts";
 * console.log(await kafkaAnswers(["127.0.0.1:9092"]));
 * ```
 */
export async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({
    clientId: "tickline-infra-probe",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * True when a CQL query on `system.local` succeeds.
 *
 * @example
 * ```ts
 * import { cassandraAnswers } from "./readiness.ts";
 * console.log(await cassandraAnswers(["127.0.0.1:9042"]));
 * ```
 */
export async function cassandraAnswers(
  contactPoints: string[],
): Promise<boolean> {
  const client = new cassandra.Client({
    contactPoints,
    localDataCenter: "datacenter1",
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
  });
  try {
    const result = await client.execute(
      "SELECT release_version FROM system.local",
    );
    return result.rowLength === 1;
  } catch {
    return false;
  } finally {
    await client.shutdown().catch(() => {});
  }
}

/**
 * Waits until Kafka answers.
 *
 * @throws {WaitTimeoutError} after `timeoutMs`.
 * @example
 * ```ts
 * import { waitForKafka } from "./readiness.ts";
 * await waitForKafka(["127.0.0.1:9092"], 60_000);
 * ```
 */
export function waitForKafka(
  brokers: string[],
  timeoutMs = 60_000,
): Promise<void> {
  return waitUntil(() => kafkaAnswers(brokers), {
    what: `Kafka at ${brokers.join(",")}`,
    timeoutMs,
  });
}

/**
 * Waits until Cassandra answers CQL.
 *
 * @throws {WaitTimeoutError} after `timeoutMs`.
 * @example
 * ```ts
 * import { waitForCassandra } from "./readiness.ts";
 * await waitForCassandra(["127.0.0.1:9042"], 120_000);
 * ```
 */
export function waitForCassandra(
  contactPoints: string[],
  timeoutMs = 120_000,
): Promise<void> {
  return waitUntil(() => cassandraAnswers(contactPoints), {
    what: `Cassandra at ${contactPoints.join(",")}`,
    timeoutMs,
  });
}
