/**
 * HTTP endpoints for Prometheus and orchestrators: `/metrics`, `/healthz`
 * and `/readyz`, plus any other routes mounted with a `fallback` handler.
 *
 * @module
 */

import type { PipelineMetrics } from "./pipeline_metrics.ts";

/** Options of {@linkcode startMetricsServer}. */
export interface MetricsServerOptions {
  /** Defaults to `127.0.0.1`; use `0.0.0.0` only inside a container. */
  hostname?: string;
  /** Defaults to 9464; 0 picks a free port. */
  port?: number;
  metrics: PipelineMetrics;
  /** Asked on every `/readyz`; a throw counts as not ready. */
  isReady: () => boolean | Promise<boolean>;
  /** Aborting it stops the server, like {@linkcode MetricsServer.close}. */
  signal?: AbortSignal;
  /**
   * Answers every GET/HEAD path other than the three above (e.g. the market
   * page); without it those paths get 404.
   */
  fallback?: RequestHandler;
}

/** A request handler that can be mounted on the metrics server. */
export type RequestHandler = (req: Request) => Response | Promise<Response>;

/** A running metrics server. */
export interface MetricsServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops accepting connections and waits for the server to finish. */
  close(): Promise<void>;
}

/** Raised when the metrics server cannot start, e.g. the port is taken. */
export class MetricsServerError extends Error {
  /** @param message what failed; @param options the underlying cause */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MetricsServerError";
  }
}

/**
 * Builds the request handler; separate from the server so it can be tested
 * without a socket.
 *
 * @example
 * ```ts
 * import { createPipelineMetrics, metricsHandler } from "./mod.ts";
 * const handler = metricsHandler(createPipelineMetrics(), () => true);
 * const res = await handler(new Request("http://x/healthz"));
 * ```
 */
export function metricsHandler(
  metrics: PipelineMetrics,
  isReady: () => boolean | Promise<boolean>,
  fallback?: RequestHandler,
): (req: Request) => Promise<Response> {
  const text = (body: string, status = 200) =>
    new Response(body, {
      status,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  return async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return text("method not allowed\n", 405);
    }
    switch (new URL(req.url).pathname) {
      case "/metrics":
        return new Response(await metrics.registry.metrics(), {
          headers: { "content-type": metrics.registry.contentType },
        });
      case "/healthz":
        return text("ok\n");
      case "/readyz": {
        let ready: boolean;
        try {
          ready = await isReady();
        } catch (error) {
          // Only the error's class goes out: a message could carry config.
          const name = error instanceof Error ? error.name : "error";
          return text(`not ready: readiness check threw ${name}\n`, 503);
        }
        return ready ? text("ready\n") : text("not ready\n", 503);
      }
      default:
        return fallback ? await fallback(req) : text("not found\n", 404);
    }
  };
}

/**
 * Serves `/metrics`, `/healthz` and `/readyz` with `Deno.serve`.
 *
 * @example
 * ```ts
 * import { createPipelineMetrics, startMetricsServer } from "./mod.ts";
 * const server = startMetricsServer({
 *   port: 0,
 *   metrics: createPipelineMetrics(),
 *   isReady: () => true,
 * });
 * await fetch(`http://127.0.0.1:${server.port}/healthz`).then((r) => r.text());
 * await server.close();
 * ```
 */
export function startMetricsServer(
  options: MetricsServerOptions,
): MetricsServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 9464;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname,
      port,
      signal: options.signal,
      onListen: () => {},
    }, metricsHandler(options.metrics, options.isReady, options.fallback));
  } catch (error) {
    throw new MetricsServerError(
      `cannot listen on ${hostname}:${port}`,
      { cause: error },
    );
  }
  let closing: Promise<void> | undefined;
  return {
    port: server.addr.port,
    close() {
      // shutdown() after an abort rejects; finished covers both paths.
      closing ??= options.signal?.aborted
        ? server.finished
        : server.shutdown().then(() => server.finished);
      return closing;
    },
  };
}
