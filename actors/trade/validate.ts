/**
 * Validates one raw Finnhub trade object (`{s, p, t, v, c}`) with zod and
 * enriches it into a {@linkcode Trade}, or says precisely why it was rejected.
 *
 * @module
 */

import { z } from "zod";
import {
  isConditions,
  isPrice,
  isSymbol,
  isTimestamp,
  isVolume,
} from "./fields.ts";
import type { DeadLetter, RejectReason, Trade } from "./types.ts";

/** Options of {@linkcode validateTrade}. */
export interface ValidateContext {
  /** When Tickline received the frame (UNIX ms); becomes `ingestedAt`. */
  receivedAt: number;
  /** Accept `v = 0` (some forex/crypto venues send price updates so). Default false. */
  allowZeroVolume?: boolean;
  /** How far `t` may lie ahead of `receivedAt` before it is `future_time`. Default {@linkcode DEFAULT_MAX_FUTURE_SKEW_MS}. */
  maxFutureSkewMs?: number;
  /** Earliest plausible `t`. Default 2000-01-01T00:00:00Z. */
  minTimestampMs?: number;
}

/** Outcome of {@linkcode validateTrade}. */
export type ValidationResult =
  | { ok: true; trade: Trade }
  | { ok: false; reason: RejectReason; detail: string };

/** Default earliest plausible trade time: 2000-01-01T00:00:00Z. */
export const DEFAULT_MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
/**
 * Default tolerance for a trade time ahead of when we received it: 10 s.
 * Trades arrive after they happen, and exchange and host clocks are NTP-synced
 * to milliseconds, so a trade from the future is a clock or data fault. The
 * windows close by event time: one trade far ahead would push a symbol's
 * watermark past every honest trade and make them all late. 10 s tolerates a
 * host clock off by seconds while bounding how far one bad trade can reach
 * (set `MAX_FUTURE_SKEW_MS`).
 */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 10_000;

/**
 * Highest plausible price: 1e9 in any currency. The dearest listed share
 * (BRK.A) trades below 1e6 and the dearest crypto pair below 1e6 USD; a price
 * of 1e9 or more is corruption (or units mixed up). The bound, with
 * {@linkcode MAX_VOLUME}, keeps price x volume and every sum of it finite, so
 * VWAP is always finite. There is no lower bound beyond `> 0`: micro-priced
 * tokens trade at 1e-8 and less.
 */
export const MAX_PRICE = 1e9;
/**
 * Highest plausible volume of one trade: 1e15 units. Meme tokens trade in
 * lots of 1e10 and more; 1e15 leaves room while keeping price x volume under
 * 1e24, so even 1e9 trades in a minute sum to a finite notional.
 */
export const MAX_VOLUME = 1e15;

/**
 * Finnhub symbols: tickers (`AAPL`, `BRK.B`, `^GSPC`), venue-prefixed pairs
 * (`BINANCE:BTCUSDT`, `OANDA:EUR_USD`) and a few venues with spaces
 * (`IC MARKETS:1`). Anything outside this set is far more likely corruption
 * than a real instrument, and it becomes a Kafka key and a Cassandra key.
 */
export const SYMBOL_PATTERN = /^[A-Za-z0-9^][A-Za-z0-9 ^:._\-\/=&+#!]*$/;
/** Longest accepted symbol. */
export const MAX_SYMBOL_LENGTH = 64;
/** Most condition codes accepted on one trade. */
export const MAX_CONDITIONS = 64;
/**
 * A condition code: up to 16 printable ASCII characters (Finnhub sends short
 * numeric codes). A pattern rather than a length limit, because zod and
 * `String.length` count non-ASCII characters differently.
 */
export const CONDITION_PATTERN = /^[\x20-\x7e]{0,16}$/;

/** Zod schemas of the trade fields; exported so the Kafka codec applies the same rules. */
export const tradeFieldSchemas = {
  symbol: z.string().min(1).max(MAX_SYMBOL_LENGTH).regex(SYMBOL_PATTERN)
    .refine((s) => !s.endsWith(" ")),
  // zod 4's number() already refuses NaN and +-Infinity.
  price: z.number().positive().max(MAX_PRICE),
  timestamp: z.number().int(),
  volume: z.number().positive().max(MAX_VOLUME),
  volumeOrZero: z.number().nonnegative().max(MAX_VOLUME),
  conditions: z.array(z.string().regex(CONDITION_PATTERN)).max(MAX_CONDITIONS),
} as const;

type Failure = { ok: false; reason: RejectReason; detail: string };

/**
 * Validates and enriches one raw trade. Never throws.
 *
 * Absent fields give `missing_*`; present but wrong type / NaN / Infinity give
 * `invalid_*`; `<= 0` gives `non_positive_*`. `c` absent or `null` means no
 * condition codes (serialisers often write `null` for an empty list).
 *
 * @example
 * ```ts
 * import { validateTrade } from "./validate.ts";
 * const r = validateTrade({ s: "AAPL", p: 150.25, t: 1672348887196, v: 10 }, { receivedAt: 1672348887300 });
 * console.assert(r.ok && r.trade.conditions.length === 0);
 * const bad = validateTrade({ s: "AAPL", p: -1, t: 1672348887196, v: 10 }, { receivedAt: 1672348887300 });
 * console.assert(!bad.ok && bad.reason === "non_positive_price");
 * ```
 */
export function validateTrade(
  raw: unknown,
  ctx: ValidateContext,
): ValidationResult {
  return acceptFast(raw, ctx) ?? validateBySchema(raw, ctx);
}

/**
 * {@linkcode validateTrade} by the zod schemas alone, which say what is
 * wrong. Exported for the agreement test only.
 */
export function validateBySchema(
  raw: unknown,
  ctx: ValidateContext,
): ValidationResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail(
      "not_an_object",
      `trade must be a JSON object, got ${kindOf(raw)}`,
    );
  }
  const o = raw as Record<string, unknown>;
  const s = o.s;
  if (s === undefined) return fail("missing_symbol", "s (symbol) is missing");
  if (!tradeFieldSchemas.symbol.safeParse(s).success) {
    return fail(
      "invalid_symbol",
      `s must be a non-empty symbol of at most ${MAX_SYMBOL_LENGTH} letters, digits or ` +
        `" ^:._-/=&+#!" starting with a letter, digit or ^, got ${show(s)}`,
    );
  }

  const p = o.p;
  if (p === undefined) return fail("missing_price", "p (price) is missing");
  const price = tradeFieldSchemas.price.safeParse(p);
  if (!price.success) {
    return isTooSmall(price.error)
      ? fail("non_positive_price", `p must be > 0, got ${show(p)}`)
      : isTooBig(price.error)
      ? fail("implausible_price", `p must be <= ${MAX_PRICE}, got ${show(p)}`)
      : fail("invalid_price", `p must be a finite number, got ${show(p)}`);
  }

  const t = o.t;
  if (t === undefined) return fail("missing_time", "t (time) is missing");
  if (!tradeFieldSchemas.timestamp.safeParse(t).success) {
    return fail(
      "invalid_time",
      `t must be an integer of epoch milliseconds, got ${show(t)}`,
    );
  }
  const plausible = checkPlausibleTime(t as number, ctx);
  if (plausible) return plausible;

  const v = o.v;
  if (v === undefined) return fail("missing_volume", "v (volume) is missing");
  const allowZero = ctx.allowZeroVolume ?? false;
  const volume =
    (allowZero ? tradeFieldSchemas.volumeOrZero : tradeFieldSchemas.volume)
      .safeParse(v);
  if (!volume.success) {
    return isTooSmall(volume.error)
      ? fail(
        "non_positive_volume",
        `v must be ${allowZero ? ">=" : ">"} 0, got ${show(v)}`,
      )
      : isTooBig(volume.error)
      ? fail(
        "implausible_volume",
        `v must be <= ${MAX_VOLUME}, got ${show(v)}`,
      )
      : fail("invalid_volume", `v must be a finite number, got ${show(v)}`);
  }

  const c = o.c;
  let conditions: string[] = [];
  if (c !== undefined && c !== null) {
    if (!tradeFieldSchemas.conditions.safeParse(c).success) {
      return fail(
        "invalid_conditions",
        `c must be an array of at most ${MAX_CONDITIONS} strings of at most ` +
          `16 printable ASCII characters, got ${show(c)}`,
      );
    }
    // Copy so later mutation of the raw frame cannot change the trade.
    conditions = (c as string[]).slice();
  }

  return {
    ok: true,
    trade: {
      symbol: s as string,
      price: p as number,
      // -0 would survive validation with allowZeroVolume but not a JSON round trip.
      volume: (v as number) === 0 ? 0 : v as number,
      timestamp: t as number,
      conditions,
      ingestedAt: ctx.receivedAt,
    },
  };
}

/**
 * The common case without zod: a trade every field predicate accepts (see
 * `fields.ts`, which equal the schemas) at a plausible time. Anything else
 * takes the schema route, which says what is wrong.
 */
function acceptFast(
  raw: unknown,
  ctx: ValidateContext,
): ValidationResult | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return undefined;
  }
  const { s, p, t, v, c } = raw as Record<string, unknown>;
  if (
    !isSymbol(s) || !isPrice(p) || !isTimestamp(t) ||
    !isVolume(v, ctx.allowZeroVolume ?? false) ||
    (c !== undefined && c !== null && !isConditions(c))
  ) return undefined;
  const min = ctx.minTimestampMs ?? DEFAULT_MIN_TIMESTAMP_MS;
  const max = ctx.receivedAt +
    (ctx.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS);
  if (!(t >= min && t <= max)) return undefined;
  return {
    ok: true,
    trade: {
      symbol: s,
      price: p,
      volume: v === 0 ? 0 : v,
      timestamp: t,
      conditions: c === undefined || c === null ? [] : (c as string[]).slice(),
      ingestedAt: ctx.receivedAt,
    },
  };
}

/**
 * Builds the dead-letter record of a rejected input.
 *
 * @example
 * ```ts
 * import { toDeadLetter } from "./validate.ts";
 * const dl = toDeadLetter({ p: 1 }, "missing_symbol", "s (symbol) is missing", 1700000000000);
 * console.assert(dl.reason === "missing_symbol");
 * ```
 */
export function toDeadLetter(
  raw: unknown,
  reason: RejectReason,
  detail: string,
  receivedAt: number,
): DeadLetter {
  return { raw, reason, detail, receivedAt };
}

function checkPlausibleTime(
  t: number,
  ctx: ValidateContext,
): Failure | undefined {
  const min = ctx.minTimestampMs ?? DEFAULT_MIN_TIMESTAMP_MS;
  const skew = ctx.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  const max = ctx.receivedAt + skew;
  if (t >= min && t <= max) return undefined;
  // Microseconds (t / 1000 plausible) are a unit mistake, not a clock ahead.
  if (t > max && !(t / 1000 >= min && t / 1000 <= max)) {
    return fail(
      "future_time",
      `t must be at most ${skew} ms ahead of its receipt at ${
        isoOrNumber(ctx.receivedAt)
      }, got ${isoOrNumber(t)} (${t - ctx.receivedAt} ms ahead)`,
    );
  }
  // The classic mistake is seconds instead of milliseconds: say so.
  const hint = t * 1000 >= min && t * 1000 <= max
    ? " (looks like seconds, not milliseconds)"
    : t / 1000 >= min && t / 1000 <= max
    ? " (looks like microseconds, not milliseconds)"
    : "";
  return fail(
    "implausible_time",
    `t must be epoch ms in [${isoOrNumber(min)}, ${
      isoOrNumber(max)
    }], got ${t}${hint}`,
  );
}

function isTooSmall(error: z.ZodError): boolean {
  return error.issues.some((i) => i.code === "too_small");
}

function isTooBig(error: z.ZodError): boolean {
  return error.issues.some((i) => i.code === "too_big");
}

function fail(reason: RejectReason, detail: string): Failure {
  return { ok: false, reason, detail };
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}

const MAX_SHOWN_CHARS = 80;

/** Renders a bad value for a detail message: short, and explicit about NaN, strings and types. */
function show(v: unknown): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Object.prototype.toString.call(v);
  }
  if (text.length > MAX_SHOWN_CHARS) {
    text = `${text.slice(0, MAX_SHOWN_CHARS)}...`;
  }
  return typeof v === "string" ? `string ${text}` : text;
}

function isoOrNumber(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
