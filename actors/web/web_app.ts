/**
 * The market page and its read API, as one request handler the app's HTTP
 * server mounts beside `/metrics`:
 *
 * - `GET /` the page; `GET /static/*` its script and styles (bundled
 *   locally, no CDN);
 * - `GET /api/candles?symbol&from&to` 1-minute candles in `[from, to)`;
 * - `GET /api/trades?symbol&from&to&limit` the newest trades in `[from, to)`;
 * - `GET /api/stream?symbol` server-sent events (see `live_stream.ts`);
 * - `GET /api/health` the health strip's numbers.
 *
 * @module
 */
import type { Logger } from "../../runtime/mod.ts";
import type { PipelineMetrics } from "../metrics/mod.ts";
import { ApiParamError, apiParsers, MAX_CANDLE_ROWS } from "./api_params.ts";
import { HealthProbe } from "./health.ts";
import { liveStream } from "./live_stream.ts";
import {
  CassandraMarketReader,
  type MarketReader,
  MarketStoreUnavailableError,
} from "./market_reader.ts";

/** Options of {@linkcode createMarketWeb}. */
export interface MarketWebOptions {
  /** The configured symbols: the picker's choices and the only ones the API reads. */
  symbols: readonly string[];
  metrics: PipelineMetrics;
  logger: Logger;
  /** Where to read; the web app then owns and closes the reader. */
  cassandra?: {
    contactPoints: string[];
    localDataCenter: string;
    keyspace: string;
  };
  /** A reader to use instead (tests); not closed by the web app. */
  reader?: MarketReader;
  now?: () => number;
  /** Live poll period (ms); default 500. */
  pollMs?: number;
  /** Longest life of one event stream before the browser reconnects; default 5 min. */
  streamMaxMs?: number;
}

/** The mounted web app. */
export interface MarketWeb {
  /** Answers a request for `/`, `/static/*` or `/api/*`; 404 for anything else. */
  handle(req: Request): Promise<Response>;
  /** The reader in use (its `queries` count shows what a request read). */
  readonly reader: MarketReader;
  /** Ends every open event stream and closes an owned reader. */
  close(): Promise<void>;
}

const STATIC = new URL("./static/", import.meta.url);
const CONFIG_TAG =
  /(<script id="config" type="application\/json">)[^<]*(<\/script>)/;
const ASSETS: Record<string, string> = {
  "market.js": "text/javascript; charset=utf-8",
  "market.css": "text/css; charset=utf-8",
};

/**
 * Builds the web app. Never waits for Cassandra: reads answer 503 until the
 * reader has connected.
 *
 * @example
 * ```ts ignore
 * const web = createMarketWeb({ symbols: config.symbols, metrics, logger,
 *   cassandra: { contactPoints: ["127.0.0.1:9042"], localDataCenter: "datacenter1", keyspace: "market" } });
 * const server = startMetricsServer({ metrics, isReady, fallback: web.handle });
 * await web.close();
 * ```
 */
export function createMarketWeb(options: MarketWebOptions): MarketWeb {
  const now = options.now ?? Date.now;
  const owned = options.reader === undefined;
  const reader = options.reader ?? startReader(options);
  const parse = apiParsers(options.symbols);
  const probe = new HealthProbe(
    options.metrics,
    now,
    () => reader.connected,
  );
  const shutdown = new AbortController();
  const files = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  const file = (name: string) => {
    let f = files.get(name);
    if (!f) {
      f = Deno.readFile(new URL(name, STATIC));
      files.set(name, f);
      f.catch(() => files.delete(name));
    }
    return f;
  };

  const page = async () => {
    const html = new TextDecoder().decode(await file("index.html"));
    // JSON inside <script>: escape "<" so no value can close the tag.
    const config = JSON.stringify({ symbols: options.symbols }).replaceAll(
      "<",
      "\\u003c",
    );
    return new Response(
      html.replace(
        CONFIG_TAG,
        (_, open: string, close: string) => open + config + close,
      ),
      {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-cache",
        },
      },
    );
  };

  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "no-store",
      },
    });

  const guarded = async (fn: () => Promise<Response>): Promise<Response> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ApiParamError) {
        return json({
          error: { kind: e.kind, parameter: e.parameter, message: e.message },
        }, 400);
      }
      if (e instanceof MarketStoreUnavailableError) {
        return new Response(
          JSON.stringify({
            error: { kind: "store_unavailable", message: e.message },
          }),
          {
            status: 503,
            headers: {
              "content-type": "application/json; charset=utf-8",
              "retry-after": "2",
            },
          },
        );
      }
      options.logger.error("market api request failed", {
        error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
      });
      return json({
        error: { kind: "internal", message: "reading the store failed" },
      }, 500);
    }
  };

  const handle = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const path = url.pathname;
    if (path === "/" || path === "/index.html") return await page();
    if (path.startsWith("/static/")) {
      const name = path.slice("/static/".length);
      const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (!type) return new Response("not found\n", { status: 404 });
      return new Response(await file(name), {
        headers: { "content-type": type, "cache-control": "no-cache" },
      });
    }
    switch (path) {
      case "/api/candles":
        return await guarded(async () => {
          const q = parse.candles(url.searchParams);
          const rows = await reader.candles(
            q.symbol,
            q.from,
            q.to,
            MAX_CANDLE_ROWS,
          );
          return json({
            symbol: q.symbol,
            from: q.from,
            to: q.to,
            columns: [
              "time",
              "open",
              "high",
              "low",
              "close",
              "volume",
              "trades",
              "final",
            ],
            rows: rows.map((c) => [
              c.time,
              c.open,
              c.high,
              c.low,
              c.close,
              c.volume,
              c.trades,
              c.final ? 1 : 0,
            ]),
          });
        });
      case "/api/trades":
        return await guarded(async () => {
          const q = parse.trades(url.searchParams);
          const rows = await reader.trades(q.symbol, q.from, q.to, q.limit);
          return json({
            symbol: q.symbol,
            from: q.from,
            to: q.to,
            limit: q.limit,
            columns: ["time", "partition", "offset", "price", "volume"],
            rows: rows.map((t) => [
              t.time,
              t.partition,
              t.offset,
              t.price,
              t.volume,
            ]),
          });
        });
      case "/api/stream":
        return await guarded(() => {
          const q = parse.stream(url.searchParams);
          const body = liveStream(q.symbol, req.headers.get("last-event-id"), {
            reader,
            health: () => probe.read(),
            now,
            pollMs: options.pollMs,
            maxStreamMs: options.streamMaxMs,
            signal: shutdown.signal,
          });
          return Promise.resolve(
            new Response(body, {
              headers: {
                "content-type": "text/event-stream; charset=utf-8",
                "cache-control": "no-store",
                // No proxy buffering: a tick that waits is a late tick.
                "x-accel-buffering": "no",
              },
            }),
          );
        });
      case "/api/health":
        return json(await probe.read());
      case "/api/symbols":
        return json({ symbols: options.symbols });
      default:
        return path.startsWith("/api/")
          ? json({
            error: { kind: "not_found", message: "no such API endpoint" },
          }, 404)
          : new Response("not found\n", { status: 404 });
    }
  };

  return {
    handle,
    reader,
    async close() {
      shutdown.abort();
      if (owned) await reader.close();
    },
  };
}

function startReader(options: MarketWebOptions): MarketReader {
  if (!options.cassandra) {
    throw new TypeError("createMarketWeb needs either cassandra or reader");
  }
  return CassandraMarketReader.start({
    ...options.cassandra,
    logger: options.logger,
  });
}
