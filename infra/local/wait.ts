/**
 * Polling helpers: is a TCP port open, and wait until a check passes.
 *
 * @module
 */

/**
 * True when something accepts TCP connections on `host:port`.
 *
 * @example
 * ```ts
 * import { isPortOpen } from "./wait.ts";
 * if (await isPortOpen("127.0.0.1", 9092)) console.log("Kafka port answers");
 * ```
 */
export async function isPortOpen(host: string, port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Raised by {@linkcode waitUntil} when the check never passed in time. */
export class WaitTimeoutError extends Error {
  /**
   * @param what What was awaited.
   * @param timeoutMs How long it was awaited.
   * @param lastError The last failure of the check, if it threw.
   */
  constructor(what: string, timeoutMs: number, lastError?: unknown) {
    const detail = lastError instanceof Error
      ? ` Last error: ${lastError.message}`
      : "";
    super(
      `${what} was not ready after ${
        Math.round(timeoutMs / 1000)
      } s.${detail} ` +
        `Check that the server runs (\`deno task infra:status\`) and read its log under .local/logs/.`,
      { cause: lastError },
    );
    this.name = "WaitTimeoutError";
  }
}

/** Options of {@linkcode waitUntil}. */
export interface WaitOptions {
  /** Named in the timeout error. */
  what: string;
  timeoutMs: number;
  /** Pause between attempts; default 500 ms. */
  intervalMs?: number;
  /** Called between attempts; throwing stops the wait (e.g. the process died). */
  abortIf?: () => Promise<void> | void;
}

/**
 * Calls `check` until it returns true (a throw counts as "not yet").
 *
 * @throws {WaitTimeoutError} when `timeoutMs` passes first.
 * @example
 * ```ts
 * import { isPortOpen, waitUntil } from "./wait.ts";
 * await waitUntil(() => isPortOpen("127.0.0.1", 9090), { what: "Prometheus", timeoutMs: 30_000 });
 * ```
 */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (true) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await options.abortIf?.();
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(options.what, options.timeoutMs, lastError);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, options.intervalMs ?? 500)
    );
  }
}
