/**
 * Server-sent events for the market page: every `pollMs` the stream reads
 * Cassandra for trades after its cursor and the candles of the last two
 * minutes (computed from the raw trades exactly as the pipeline computes
 * them), and sends one `tick`. The event id is the cursor, so a browser's
 * EventSource that reconnects sends it back as `Last-Event-ID` and resumes
 * where it stopped. It polls the store rather than hooking into the
 * pipeline's actors, so it works on any instance, whichever one consumes
 * the symbol.
 *
 * @module
 */
import type { HealthSnapshot } from "./health.ts";
import {
  candlesFromTrades,
  compareTrades,
  type MarketReader,
  MarketStoreUnavailableError,
  type PageCandle,
  type PageTrade,
  type TradeKey,
} from "./market_reader.ts";

/** Settings of {@linkcode liveStream}. */
export interface LiveStreamOptions {
  reader: MarketReader;
  health: () => Promise<HealthSnapshot>;
  now: () => number;
  /** Poll period; at most 1000 so the page updates at least once a second. Default 500. */
  pollMs?: number;
  /**
   * The server ends a stream after this long; the browser reconnects with
   * `Last-Event-ID` (proxies and load balancers cut long streams anyway, and
   * this exercises the resume path every time). Default 5 minutes.
   */
  maxStreamMs?: number;
  /** Reconnect delay the browser is told to use. Default 500 ms. */
  retryMs?: number;
  /** Stops the stream (app shutdown). */
  signal: AbortSignal;
}

/** Trades sent in one event at most (the newest ones win). */
export const MAX_TRADES_PER_EVENT = 500;
/** Raw trades read to compute the two live candles. */
export const LIVE_TRADE_ROWS = 20_000;
/** A cursor older than this is not resumed: the page reloads its range instead. */
export const MAX_RESUME_MS = 3_600_000;

const MINUTE = 60_000;
const CURSOR = /^(\d{1,16})_(-?\d{1,6})_(-?\d{1,19})$/;

/** Encodes a trade's key as an SSE event id. */
export function encodeCursor(key: TradeKey): string {
  return `${key.time}_${key.partition}_${key.offset}`;
}

/**
 * Decodes an event id; undefined for anything malformed (a bad header is
 * treated as a fresh start, never as an error).
 *
 * @example
 * ```ts
 * import { decodeCursor, encodeCursor } from "./live_stream.ts";
 * const key = { time: 1767225600000, partition: 2, offset: 41 };
 * console.assert(decodeCursor(encodeCursor(key))?.offset === 41);
 * console.assert(decodeCursor("1; DROP TABLE x") === undefined);
 * ```
 */
export function decodeCursor(id: string | null): TradeKey | undefined {
  const m = id ? CURSOR.exec(id) : null;
  if (!m) return undefined;
  const key = {
    time: Number(m[1]),
    partition: Number(m[2]),
    offset: Number(m[3]),
  };
  return Number.isSafeInteger(key.offset) ? key : undefined;
}

/** One tick's body. */
export interface Tick {
  symbol: string;
  now: number;
  /** New trades after the cursor, oldest first: [time, price, volume]. */
  trades: [number, number, number][];
  /** Candles that changed, oldest first: [time, open, high, low, close, volume, final 0/1]. */
  candles: [number, number, number, number, number, number, number][];
  health: HealthSnapshot;
}

const encoder = new TextEncoder();

/**
 * The SSE body for one page and symbol.
 *
 * @example
 * ```ts ignore
 * const body = liveStream("AAPL", req.headers.get("last-event-id"), { reader, health, now, signal });
 * return new Response(body, { headers: { "content-type": "text/event-stream" } });
 * ```
 */
export function liveStream(
  symbol: string,
  lastEventId: string | null,
  options: LiveStreamOptions,
): ReadableStream<Uint8Array> {
  const pollMs = Math.min(1000, options.pollMs ?? 500);
  const maxStreamMs = options.maxStreamMs ?? 300_000;
  const retryMs = options.retryMs ?? 500;
  const { reader, now } = options;
  const stop = new AbortController();
  let cancelled = false;
  const onAbort = () => stop.abort();
  options.signal.addEventListener("abort", onAbort);
  let cursor = decodeCursor(lastEventId);
  const resumed = cursor !== undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stop.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stop.signal.removeEventListener("abort", done);
        resolve();
      }
      stop.signal.addEventListener("abort", done);
    });

  /** Reads what changed since the cursor; advances it. */
  const poll = async (): Promise<
    { trades: PageTrade[]; candles: PageCandle[]; reload: boolean }
  > => {
    const t = now();
    const liveFrom = t - (t % MINUTE) - MINUTE;
    const liveTo = t + MINUTE;
    let reload = false;
    let candles: PageCandle[] = [];
    const recent = await reader.trades(
      symbol,
      liveFrom,
      liveTo,
      LIVE_TRADE_ROWS,
    );
    let older: PageTrade[] = [];
    if (cursor && cursor.time < liveFrom) {
      if (t - cursor.time > MAX_RESUME_MS) {
        reload = true; // too far behind: the page reloads its range instead
      } else {
        older = await reader.trades(
          symbol,
          cursor.time,
          liveFrom,
          MAX_TRADES_PER_EVENT,
        );
        candles = await reader.candles(
          symbol,
          cursor.time - (cursor.time % MINUTE),
          liveFrom,
          120,
        );
      }
    }
    if (recent.length < LIVE_TRADE_ROWS) {
      candles.push(...candlesFromTrades(symbol, recent));
    } else {
      // Too many trades to fold on every poll: use the pipeline's provisional rows.
      candles.push(...await reader.candles(symbol, liveFrom, liveTo, 2));
    }
    // recent and older are newest first.
    const all = [...recent, ...older];
    let fresh: PageTrade[];
    if (cursor === undefined || reload) {
      fresh = all.slice(0, 50);
    } else {
      const c = cursor;
      fresh = all.filter((x) => compareTrades(x, c) > 0).slice(
        0,
        MAX_TRADES_PER_EVENT,
      );
    }
    if (fresh.length > 0) cursor = fresh[0];
    else if (cursor === undefined) {
      cursor = { time: t, partition: -1, offset: -1 };
    }
    return { trades: fresh.reverse(), candles, reload };
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (!stop.signal.aborted) controller.enqueue(encoder.encode(text));
      };
      send(`retry: ${retryMs}\n: ${resumed ? "resumed" : "started"}\n\n`);
      const endAt = now() + maxStreamMs;
      try {
        while (!stop.signal.aborted && now() < endAt) {
          const started = now();
          const health = await options.health();
          try {
            const { trades, candles, reload } = await poll();
            if (reload) send(`event: reload\ndata: {}\n\n`);
            const tick: Tick = {
              symbol,
              now: started,
              trades: trades.map((x) => [x.time, x.price, x.volume]),
              candles: candles.map((
                c,
              ) => [
                c.time,
                c.open,
                c.high,
                c.low,
                c.close,
                c.volume,
                c.final ? 1 : 0,
              ]),
              health,
            };
            send(
              `id: ${encodeCursor(cursor!)}\nevent: tick\ndata: ${
                JSON.stringify(tick)
              }\n\n`,
            );
          } catch (e) {
            if (!(e instanceof MarketStoreUnavailableError)) throw e;
            send(
              `event: unavailable\ndata: ${
                JSON.stringify({ error: e.message, health })
              }\n\n`,
            );
          }
          await sleep(Math.max(0, pollMs - (now() - started)));
        }
      } catch (e) {
        send(
          `event: failed\ndata: ${
            JSON.stringify({ error: e instanceof Error ? e.name : "error" })
          }\n\n`,
        );
      } finally {
        options.signal.removeEventListener("abort", onAbort);
        stop.abort();
        if (!cancelled) controller.close();
      }
    },
    cancel() {
      cancelled = true;
      stop.abort();
      options.signal.removeEventListener("abort", onAbort);
    },
  });
}
