/**
 * Ports that let a second `deno task start` run on the same host: the
 * metrics port falls back to a free one when `METRICS_PORT` was not set, and
 * the in-process simulated feed is shared, since an instance that finds a
 * Tickline feed already on `FEED_PORT` connects to it as a client instead of
 * starting its own (so every instance sees the same market).
 *
 * @module
 */
import { FEED_BANNER, type FeedServer } from "../feed/server.ts";

/**
 * Whether `error`, or an error in its `cause` chain, is Deno's "address in
 * use" (wrappers such as `MetricsServerError` keep the original as cause).
 *
 * @example
 * ```ts
 * import { isAddrInUse } from "./ports.ts";
 * isAddrInUse(new Error("x", { cause: new Deno.errors.AddrInUse("y") })); // true
 * ```
 */
export function isAddrInUse(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e instanceof Deno.errors.AddrInUse) return true;
    e = e.cause;
  }
  return false;
}

/** Options of {@linkcode listenWithFallback}. */
export interface FallbackListenOptions<T> {
  /** The port to try first. */
  port: number;
  /** Whether a taken port may be replaced by a free one (false when the user set it). */
  fallback: boolean;
  /** Binds the port (0: any free one) and returns the server; throws when it cannot. */
  listen: (port: number) => T;
  /** Called before the retry on a free port, with the port that was taken. */
  onFallback?: (takenPort: number) => void;
}

/**
 * Runs `listen(port)`; when the port is taken and `fallback` allows it, runs
 * `listen(0)` so the OS picks a free port. Any other failure, or a taken port
 * that was set explicitly, is rethrown.
 *
 * @example
 * ```ts
 * import { listenWithFallback } from "./ports.ts";
 * const listener = listenWithFallback({
 *   port: 9464,
 *   fallback: true,
 *   listen: (port) => Deno.listen({ hostname: "127.0.0.1", port }),
 * });
 * listener.close();
 * ```
 */
export function listenWithFallback<T>(options: FallbackListenOptions<T>): T {
  try {
    return options.listen(options.port);
  } catch (error) {
    if (!options.fallback || options.port === 0 || !isAddrInUse(error)) {
      throw error;
    }
    options.onFallback?.(options.port);
    return options.listen(0);
  }
}

/** Thrown when `FEED_PORT` is taken by something that is not a Tickline feed. */
export class FeedPortTakenError extends Error {
  override name = "FeedPortTakenError";
  /**
   * @param port The taken port.
   * @param options The bind error, as cause.
   */
  constructor(readonly port: number, options?: ErrorOptions) {
    super(
      `FEED_PORT ${port} on 127.0.0.1 is taken by something that is not a Tickline feed; ` +
        "set FEED_PORT to a free port, or FINNHUB_URL to the feed to connect to",
      options,
    );
  }
}

/**
 * Whether a Tickline simulated feed answers on `hostname:port`: a plain HTTP
 * request gets status 426 and the feed's banner.
 *
 * @example
 * ```ts ignore
 * import { isRunningFeed } from "./ports.ts";
 * if (await isRunningFeed(8765)) console.log("a feed is running");
 * ```
 */
export async function isRunningFeed(
  port: number,
  hostname = "127.0.0.1",
  timeoutMs = 2_000,
): Promise<boolean> {
  try {
    const response = await fetch(`http://${hostname}:${port}/`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    return response.status === 426 && body.startsWith(FEED_BANNER);
  } catch {
    return false;
  }
}

/** The simulated feed this instance uses: its own, or one another process runs. */
export type SharedFeed =
  | { kind: "started"; server: FeedServer }
  | { kind: "joined"; port: number };

/**
 * Starts the simulated feed on `port`; when the port is taken by a running
 * Tickline feed (another instance's, or `deno task feed`), joins it instead:
 * the caller connects to `ws://127.0.0.1:port` either way. Binding first and
 * probing only on "address in use" leaves no window for two instances that
 * start together to both decide to serve.
 *
 * @throws {FeedPortTakenError} when something else holds the port.
 * @example
 * ```ts ignore
 * import { startFeedServer } from "../feed/mod.ts";
 * import { startOrJoinFeed } from "./ports.ts";
 * const feed = await startOrJoinFeed(8765, () =>
 *   startFeedServer({ port: 8765, symbols: ["AAPL"] }));
 * if (feed.kind === "started") await feed.server.close();
 * ```
 */
export async function startOrJoinFeed(
  port: number,
  start: () => Promise<FeedServer>,
  probe: (port: number) => Promise<boolean> = isRunningFeed,
): Promise<SharedFeed> {
  try {
    return { kind: "started", server: await start() };
  } catch (error) {
    if (port === 0 || !isAddrInUse(error)) throw error;
    if (await probe(port)) return { kind: "joined", port };
    throw new FeedPortTakenError(port, { cause: error });
  }
}
