/**
 * Waits until a Kafka broker accepts connections, so parts that cannot work
 * without Kafka (the consumer group) start when it is there, while the
 * ingest buffers meanwhile.
 *
 * @module
 */
import { isPortOpen, waitUntil } from "../../infra/local/wait.ts";

/**
 * Resolves once any of `brokers` (`host:port`) accepts a TCP connection;
 * rejects when `signal` aborts. Waits as long as it takes.
 *
 * @example
 * ```ts ignore
 * import { waitForBroker } from "./broker_reachable.ts";
 * await waitForBroker(["127.0.0.1:9092"], AbortSignal.timeout(10_000));
 * ```
 */
export async function waitForBroker(
  brokers: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  const addresses = brokers.map((b) => {
    const i = b.lastIndexOf(":");
    const port = i < 0 ? NaN : Number(b.slice(i + 1));
    // kafkajs wants host:port; a bare host means Kafka's default port.
    return Number.isInteger(port)
      ? { host: b.slice(0, i), port }
      : { host: b, port: 9092 };
  });
  await waitUntil(
    async () => {
      for (const a of addresses) {
        if (await isPortOpen(a.host, a.port)) return true;
      }
      return false;
    },
    {
      what: `a Kafka broker of ${brokers.join(",")}`,
      timeoutMs: Number.MAX_SAFE_INTEGER,
      intervalMs: 500,
      abortIf: () => signal?.throwIfAborted(),
    },
  );
}
