/**
 * Per-symbol window actors: event-time tumbling 1-minute windows around
 * {@linkcode SymbolWindows}. They answer their partition with what closed,
 * what came late and which offsets they still need, and passivate when idle.
 *
 * @module
 */
import type { Actor, ActorContext, ActorProps } from "../../runtime/types.ts";
import type { Candle, LoggedTrade } from "../trade/types.ts";
import { SymbolWindows } from "../window/mod.ts";

/** Requests from the partition actor. */
export type WindowMsg =
  | { type: "trades"; trades: LoggedTrade[]; now: number }
  | { type: "tick"; now: number; provisional: boolean };

/** A window that closed and now needs its final candle. */
export interface ClosedWindow {
  windowStart: number;
  windowEnd: number;
  /** Its candle from every trade this actor saw. */
  candle: Candle;
}

/** The answer to every window message. */
export interface WindowReport {
  late: LoggedTrade[];
  closed: ClosedWindow[];
  provisional: Candle[];
  /** Smallest offset an open window (or one just closed) still holds, if any. */
  hold: number | undefined;
}

/** Settings of a window actor. */
export interface WindowSettings {
  sizeMs: number;
  latenessMs: number;
  graceMs: number;
  /** Passivate after this long without trades once no window is open. */
  idleMs: number;
  /** Test seam: called before trades are applied; throwing crashes the actor. */
  beforeTrades?: (symbol: string, trades: LoggedTrade[]) => void;
}

/**
 * Builds the props of the window actor of `symbol`.
 *
 * @example
 * ```ts ignore
 * const ref = await ctx.spawn("window-AAPL", windowProps("AAPL", { sizeMs: 60_000, latenessMs: 5000, graceMs: 2000, idleMs: 120_000 }));
 * const report = await ref.ask({ type: "trades", trades, now: Date.now() }, { timeoutMs: 10_000 });
 * ```
 */
export function windowProps(
  symbol: string,
  settings: WindowSettings,
): ActorProps<WindowMsg> {
  return {
    kind: "window",
    restart: "transient",
    mailbox: { capacity: 256, overflow: "backpressure" },
    factory: (ctx) => new WindowActor(symbol, settings, ctx),
  };
}

class WindowActor implements Actor<WindowMsg> {
  private readonly windows: SymbolWindows;
  private lastTradeAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly symbol: string,
    private readonly settings: WindowSettings,
    private readonly ctx: ActorContext<WindowMsg>,
  ) {
    this.windows = new SymbolWindows({
      symbol,
      sizeMs: settings.sizeMs,
      allowedLatenessMs: settings.latenessMs,
      graceMs: settings.graceMs,
    });
  }

  receive(msg: WindowMsg): WindowReport {
    const late: LoggedTrade[] = [];
    if (msg.type === "trades") {
      this.settings.beforeTrades?.(this.symbol, msg.trades);
      this.lastTradeAt = msg.now;
      for (const t of msg.trades) {
        if (this.windows.add(t) === "late") late.push(t);
      }
    }
    // Hold what the windows need before closing them: a closed window's
    // trades stay uncommitted until its final candle is written.
    const holdBefore = this.windows.minOpenOffset();
    // Only a quiet symbol closes windows by wall clock; a replay of old trades
    // is closed by its own watermark instead.
    const quiet = msg.now - this.lastTradeAt >= this.settings.graceMs;
    const closedCandles = this.windows.closeDue(
      quiet ? msg.now : Number.NEGATIVE_INFINITY,
    );
    const closed = closedCandles.map((candle) => ({
      windowStart: candle.windowStart,
      windowEnd: candle.windowEnd,
      candle,
    }));
    const provisional = msg.type === "tick" && msg.provisional
      ? this.windows.provisional().filter((c) =>
        c.windowEnd + this.settings.latenessMs + this.settings.graceMs > msg.now
      )
      : [];
    const empty = this.windows.isEmpty();
    this.ctx.setIdleTimeout(empty ? this.settings.idleMs : 0);
    return {
      late,
      closed,
      provisional,
      hold: closed.length > 0 ? holdBefore : this.windows.minOpenOffset(),
    };
  }
}
