/**
 * An offline stand-in for `wss://ws.finnhub.io` speaking its protocol exactly
 * (see shared/notes/finnhub.md): subscribe/unsubscribe per symbol, batched
 * `trade` messages, JSON `ping` keep-alives and Finnhub's error texts.
 *
 * @module
 */

import { type FinnhubTrade, MarketSimulator } from "./simulator.ts";
import { type FeedGap, SubscriptionGaps } from "./gaps.ts";
import { loadReplayFile, ReplayCursor } from "./replay.ts";

/** Minimal logger; the runtime's `Logger` fits. */
export interface FeedLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** A trade as sent, possibly deliberately invalid (`injectInvalid`) or replayed verbatim. */
export type SentTrade = FinnhubTrade | Record<string, unknown>;

/** Options of {@linkcode startFeedServer}. */
export interface FeedServerOptions {
  /** Default `127.0.0.1`. */
  hostname?: string;
  /** Default 8765; 0 picks a free port. */
  port?: number;
  /** The tradeable universe; subscribing to anything else is an "Invalid symbol" error. */
  symbols: readonly string[];
  /** Most symbols one connection may hold. Default 50 (Finnhub's free plan). */
  maxSymbols?: number;
  /** Trades per second across all subscribed symbols of all connections. Default 100. */
  ratePerSec?: number;
  /** PRNG seed: same seed and subscriptions, same trades. Default 1. */
  seed?: number;
  /** How often trades are sent, grouped in one message per connection. Default 50. */
  batchIntervalMs?: number;
  /** Default 60 000, like Finnhub. */
  pingIntervalMs?: number;
  /**
   * Replay this recording (one Finnhub JSON message per line) instead of
   * simulating. Trade lines are filtered by subscription; other lines go
   * verbatim to every subscribed connection. Lines are sent at the recorded
   * pace (`replaySpeed`), with trade times shifted to the clock
   * (`replayRetime`); when the file ends, trades stop and pings go on.
   */
  replayFile?: string;
  /** 1 = recorded pace (default); `Infinity` = one line per batch interval. */
  replaySpeed?: number;
  /** Shift replayed trade times so the recording looks live. Default true. */
  replayRetime?: boolean;
  /** Source of trade times. Default `Date`. Timers stay real. */
  clock?: { now(): number };
  /** Fraction in [0, 1] of simulated trades replaced by invalid ones. Default 0. */
  injectInvalid?: number;
  /** Stop sending trades after this many (pings go on). Default unbounded. */
  maxTrades?: number;
  /**
   * Send no trades until this many subscriptions (summed over clients) are
   * in place, so a replay or a test does not start while a client is still
   * subscribing symbol by symbol. Default 1.
   */
  startAfterSubscriptions?: number;
  /**
   * Called with every batch right after it was sent: only the trades that
   * reached at least one client subscribed to their symbol.
   */
  onTrades?: (trades: readonly SentTrade[]) => void;
  /**
   * Called with the trades sent to one connection (numbered from 1 in order
   * of connecting), right after they were sent: a test can tell where on
   * each connection trades went missing.
   */
  onSentTo?: (connection: number, trades: readonly SentTrade[]) => void;
  /** Default: silent. */
  logger?: FeedLogger;
}

/** Counters of a running feed server. */
export interface FeedStats {
  /** Open client connections. */
  connections: number;
  /** Subscriptions summed over open connections. */
  subscriptions: number;
  /** Trades sent (a trade sent to two clients counts once). */
  tradesSent: number;
  /** True once a replay file has been sent completely. */
  replayFinished: boolean;
  /**
   * Trades delivered to at least one client subscribed to their symbol, per
   * symbol (a trade delivered to two clients counts once). Tests compare
   * what was stored with these counts: they are what the feed really sent.
   */
  deliveredBySymbol: Record<string, number>;
  /** Sum of `deliveredBySymbol`. */
  delivered: number;
  /**
   * Trades sent while nobody was subscribed to their symbol, per symbol: a
   * replay streams on like a market whether or not anyone listens (the
   * simulator pauses instead, so it misses nothing).
   */
  missedBySymbol: Record<string, number>;
  /** Sum of `missedBySymbol`. */
  missed: number;
  /** Stretches with no subscriber to a symbol, from the start of trading on, in wall-clock ms. */
  gaps: FeedGap[];
}

/** A running feed server. */
export interface FeedServer extends AsyncDisposable {
  /** `ws://HOST:PORT`; Finnhub clients append `?token=...`, which is accepted and ignored. */
  readonly url: string;
  readonly port: number;
  /** Closes every connection and stops the server; resolves when all is released. */
  close(): Promise<void>;
  /** Closes every client connection at once (code 4000), as Finnhub does from time to time. */
  dropConnections(): void;
  /** While silent nothing is sent, not even pings; connections stay open. */
  setSilent(silent: boolean): void;
  /**
   * Sends one raw frame (text or binary) to every client with at least one
   * subscription, as a faulty feed would; returns how many clients got it.
   * For fuzz tests: it is not counted as delivered trades.
   */
  sendRaw(frame: string | Uint8Array): number;
  /** Changes the simulated rate from the next tick on (bursts in tests). */
  setRate(ratePerSec: number): void;
  stats(): FeedStats;
}

/** Thrown for feed options that cannot work. */
export class FeedOptionsError extends Error {
  override name = "FeedOptionsError";
  constructor(problem: string) {
    super(`invalid feed server options: ${problem}`);
  }
}

interface Client {
  id: number;
  socket: WebSocket;
  symbols: Set<string>;
  closed: Promise<void>;
}

const PING = JSON.stringify({ type: "ping" });
const TOO_MANY = JSON.stringify({
  type: "error",
  msg: "Subscribing to too many symbols",
});
/**
 * What the feed answers a plain HTTP request (status 426), so another process
 * can tell a running Tickline feed from anything else on the port.
 */
export const FEED_BANNER = "Tickline simulated Finnhub feed";

/** Close code of {@linkcode FeedServer.dropConnections}: application-defined range. */
export const DROP_CLOSE_CODE = 4000;
const CLOSE_WAIT_MS = 2_000;

/**
 * Starts the feed server.
 *
 * @throws {FeedOptionsError} for unusable options.
 * @throws {FeedReplayError} when `replayFile` cannot be read.
 * @example
 * ```ts ignore
 * import { startFeedServer } from "./server.ts";
 * await using feed = await startFeedServer({ port: 0, symbols: ["AAPL"], seed: 7 });
 * const ws = new WebSocket(`${feed.url}?token=unused`);
 * ws.onopen = () => ws.send(JSON.stringify({ type: "subscribe", symbol: "AAPL" }));
 * ```
 */
export async function startFeedServer(
  options: FeedServerOptions,
): Promise<FeedServer> {
  const {
    hostname = "127.0.0.1",
    port = 8765,
    maxSymbols = 50,
    seed = 1,
    batchIntervalMs = 50,
    pingIntervalMs = 60_000,
    clock = Date,
    maxTrades = Infinity,
    onTrades,
    onSentTo,
    logger,
  } = options;
  let ratePerSec = options.ratePerSec ?? 100;
  /** Connections accepted so far: each gets the next number. */
  let connections = 0;
  checkOptions(options, {
    maxSymbols,
    ratePerSec,
    batchIntervalMs,
    pingIntervalMs,
    maxTrades,
  });
  const universe = new Set(options.symbols);
  const replay = options.replayFile === undefined
    ? undefined
    : new ReplayCursor(
      await loadReplayFile(options.replayFile),
      { speed: options.replaySpeed, retime: options.replayRetime },
    );
  const simulator = new MarketSimulator({
    seed,
    injectInvalid: options.injectInvalid,
  });

  const clients = new Set<Client>();
  let silent = false;
  let tradesSent = 0;
  let delivered = 0;
  let started = false;
  const deliveredBySymbol: Record<string, number> = {};
  const missedBySymbol: Record<string, number> = {};
  let missed = 0;
  const gaps = new SubscriptionGaps(options.symbols);
  let carry = 0;
  let lastTickAt = clock.now();

  function send(client: Client, text: string): void {
    if (client.socket.readyState === WebSocket.OPEN) client.socket.send(text);
  }

  function onClientMessage(client: Client, data: unknown): void {
    if (typeof data !== "string") return;
    let msg: { type?: unknown; symbol?: unknown };
    try {
      msg = JSON.parse(data);
    } catch {
      return; // Finnhub ignores what it cannot parse.
    }
    if (
      msg === null || typeof msg !== "object" || typeof msg.symbol !== "string"
    ) return;
    const symbol = msg.symbol;
    if (msg.type === "subscribe") {
      if (!universe.has(symbol)) {
        if (!silent) {
          send(
            client,
            JSON.stringify({ type: "error", msg: `Invalid symbol ${symbol}` }),
          );
        }
      } else if (!client.symbols.has(symbol)) {
        if (client.symbols.size >= maxSymbols) {
          if (!silent) send(client, TOO_MANY);
        } else {
          client.symbols.add(symbol);
        }
      }
    } else if (msg.type === "unsubscribe") {
      client.symbols.delete(symbol);
    }
    watchGaps();
  }

  function watchGaps(): void {
    // Wall-clock time, whatever clock the trades are stamped by: a gap is
    // judged against the instances' own measurements.
    if (started) gaps.observe(new Set(subscribedSymbols()), Date.now());
  }

  function dispatch(trades: readonly SentTrade[]): void {
    if (trades.length === 0) return;
    const reached = new Set<SentTrade>();
    for (const client of clients) {
      // Only clients whose subscription is in place get anything, and only
      // trades of their symbols: no backlog is kept for late subscribers.
      if (client.symbols.size === 0) continue;
      if (client.socket.readyState !== WebSocket.OPEN) continue;
      // Malformed replayed entries without a string symbol go to every subscriber.
      const data = trades.filter((t) =>
        typeof t.s !== "string" || client.symbols.has(t.s)
      );
      if (data.length > 0) {
        send(client, JSON.stringify({ type: "trade", data }));
        onSentTo?.(client.id, data);
        for (const t of data) reached.add(t);
      }
    }
    tradesSent += trades.length;
    const out = trades.filter((t) => reached.has(t));
    for (const t of out) {
      const key = typeof t.s === "string" ? t.s : "";
      deliveredBySymbol[key] = (deliveredBySymbol[key] ?? 0) + 1;
    }
    delivered += out.length;
    if (out.length < trades.length) {
      for (const t of trades) {
        if (reached.has(t) || typeof t.s !== "string") continue;
        gaps.miss(t.s);
        missedBySymbol[t.s] = (missedBySymbol[t.s] ?? 0) + 1;
        missed++;
      }
    }
    if (out.length > 0) onTrades?.(out);
  }

  function openCount(): number {
    let n = 0;
    for (const c of clients) if (c.socket.readyState === WebSocket.OPEN) n++;
    return n;
  }

  function subscribedSymbols(): string[] {
    const all = new Set<string>();
    for (const c of clients) for (const s of c.symbols) all.add(s);
    return [...all].sort();
  }

  function tick(): void {
    if (silent) return;
    const now = clock.now();
    const symbols = subscribedSymbols();
    const remaining = maxTrades - tradesSent;
    if (!started) {
      let subs = 0;
      for (const c of clients) subs += c.symbols.size;
      started = subs >= (options.startAfterSubscriptions ?? 1);
      watchGaps();
    }
    // A replay is a market that goes on; the simulator waits for listeners.
    const paused = symbols.length === 0 && !replay;
    if (!started || paused || remaining <= 0) {
      // Nobody listening: the market pauses rather than piling up a backlog.
      lastTickAt = now;
      return;
    }
    if (replay) {
      replayTick(now, remaining);
      return;
    }
    // A fixed share per tick (not elapsed time) keeps batches deterministic.
    carry += ratePerSec * batchIntervalMs / 1000;
    const count = Math.min(Math.floor(carry), remaining);
    carry -= Math.floor(carry);
    dispatch(simulator.nextBatch(symbols, count, lastTickAt, now));
    lastTickAt = now;
  }

  function replayTick(now: number, remaining: number): void {
    for (const line of replay!.due(now)) {
      if (line.trades === undefined) {
        for (const c of clients) if (c.symbols.size > 0) send(c, line.text);
        continue;
      }
      const trades = line.trades.slice(0, remaining);
      remaining -= trades.length;
      dispatch(trades);
      if (remaining <= 0) return;
    }
  }

  const batchTimer = setInterval(tick, batchIntervalMs);
  const pingTimer = setInterval(() => {
    if (silent) return;
    for (const c of clients) send(c, PING);
  }, pingIntervalMs);

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname, port, onListen() {} }, (req) => {
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response(
          `${FEED_BANNER}: connect with a WebSocket\n`,
          {
            status: 426,
            headers: { upgrade: "websocket" },
          },
        );
      }
      // The URL carries ?token=...: accepted, never read, never logged.
      const { socket, response } = Deno.upgradeWebSocket(req);
      let resolveClosed!: () => void;
      const client: Client = {
        id: ++connections,
        socket,
        symbols: new Set(),
        closed: new Promise((r) => resolveClosed = r),
      };
      // Tracked from the upgrade on, so close() also waits for half-open sockets.
      clients.add(client);
      socket.onopen = () =>
        logger?.info("feed client connected", { connections: openCount() });
      socket.onmessage = (e) => onClientMessage(client, e.data);
      socket.onclose = () => {
        clients.delete(client);
        watchGaps();
        resolveClosed();
        logger?.info("feed client disconnected", { connections: openCount() });
      };
      socket.onerror = () => {}; // a close event always follows
      return response;
    });
  } catch (err) {
    clearInterval(batchTimer);
    clearInterval(pingTimer);
    throw err;
  }
  const actualPort = server.addr.port;
  logger?.info("feed listening", {
    hostname,
    port: actualPort,
    replay: replay !== undefined,
  });

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    clearInterval(batchTimer);
    clearInterval(pingTimer);
    const pending = [...clients].map((c) => c.closed);
    for (const c of clients) {
      closeSocket(c.socket, 1001, "feed server shutting down");
    }
    await waitAll(pending, CLOSE_WAIT_MS);
    await server.shutdown();
    await server.finished;
  }

  return {
    url: `ws://${hostname}:${actualPort}`,
    port: actualPort,
    close: () => closing ??= close(),
    [Symbol.asyncDispose]: () => closing ??= close(),
    dropConnections() {
      logger?.warn("feed dropping all connections", {
        connections: openCount(),
      });
      for (const c of clients) {
        closeSocket(c.socket, DROP_CLOSE_CODE, "dropped by feed server");
      }
    },
    setSilent(value: boolean) {
      silent = value;
    },
    setRate(value: number) {
      if (!(value >= 0) || !Number.isFinite(value)) {
        throw new FeedOptionsError(`ratePerSec must be >= 0, got ${value}`);
      }
      ratePerSec = value;
    },
    sendRaw(frame: string | Uint8Array) {
      let n = 0;
      for (const c of clients) {
        if (c.symbols.size === 0) continue;
        if (c.socket.readyState !== WebSocket.OPEN) continue;
        c.socket.send(frame);
        n++;
      }
      return n;
    },
    stats() {
      let subscriptions = 0;
      // Open connections only: a socket being closed holds nothing any more.
      for (const c of clients) {
        if (c.socket.readyState === WebSocket.OPEN) {
          subscriptions += c.symbols.size;
        }
      }
      return {
        connections: openCount(),
        subscriptions,
        tradesSent,
        replayFinished: replay?.done ?? false,
        deliveredBySymbol: { ...deliveredBySymbol },
        delivered,
        missedBySymbol: { ...missedBySymbol },
        missed,
        gaps: gaps.list(),
      };
    },
  };
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (
    socket.readyState === WebSocket.OPEN ||
    socket.readyState === WebSocket.CONNECTING
  ) {
    try {
      socket.close(code, reason);
    } catch {
      // Already closing: nothing to do.
    }
  }
}

async function waitAll(promises: Promise<void>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((r) => timer = setTimeout(r, ms));
  await Promise.race([Promise.all(promises), timeout]);
  clearTimeout(timer);
}

function checkOptions(
  options: FeedServerOptions,
  n: {
    maxSymbols: number;
    ratePerSec: number;
    batchIntervalMs: number;
    pingIntervalMs: number;
    maxTrades: number;
  },
): void {
  if (!Array.isArray(options.symbols) || options.symbols.length === 0) {
    throw new FeedOptionsError(
      "symbols must list at least one tradeable symbol",
    );
  }
  if (!(n.ratePerSec >= 0) || !Number.isFinite(n.ratePerSec)) {
    throw new FeedOptionsError(
      `ratePerSec must be a finite number >= 0, got ${n.ratePerSec}`,
    );
  }
  for (
    const key of ["batchIntervalMs", "pingIntervalMs", "maxSymbols"] as const
  ) {
    if (!(n[key] >= 1) || !Number.isFinite(n[key])) {
      throw new FeedOptionsError(
        `${key} must be a finite number >= 1, got ${n[key]}`,
      );
    }
  }
  if (!(n.maxTrades >= 0)) {
    throw new FeedOptionsError(`maxTrades must be >= 0, got ${n.maxTrades}`);
  }
  const inject = options.injectInvalid ?? 0;
  if (!(inject >= 0 && inject <= 1)) {
    throw new FeedOptionsError(
      `injectInvalid must be a fraction in [0, 1], got ${inject}`,
    );
  }
}
