/**
 * Validation of the read API's query strings with zod. Every kind of bad
 * input has its own {@linkcode ApiErrorKind}, so a client (or a test) can
 * tell a typo from an unknown symbol from an over-long range.
 *
 * @module
 */
import { z } from "zod";

/** The longest range one request may cover: 31 days (the page's 30 d button plus slack). */
export const MAX_RANGE_MS = 31 * 86_400_000;
/** Most trades one `/api/trades` call returns. */
export const MAX_TRADE_LIMIT = 10_000;
/** Trades returned when `limit` is not given. */
export const DEFAULT_TRADE_LIMIT = 1_000;
/** Most candles one `/api/candles` call returns: a 31-day range of 1-minute candles fits. */
export const MAX_CANDLE_ROWS = 31 * 1440 + 1;
/** Earliest accepted time (2000-01-01): older values are almost surely seconds, not ms. */
export const MIN_TIME_MS = Date.UTC(2000, 0, 1);
/** Latest accepted time (2100-01-01). */
export const MAX_TIME_MS = Date.UTC(2100, 0, 1);

/** Why a request was refused; each maps to HTTP 400. */
export type ApiErrorKind =
  | "missing_parameter"
  | "unknown_parameter"
  | "repeated_parameter"
  | "not_a_number"
  | "time_out_of_range"
  | "unknown_symbol"
  | "from_not_before_to"
  | "range_too_long"
  | "limit_out_of_range";

/** A refused request: its kind, the parameter at fault and what to do. */
export class ApiParamError extends Error {
  /**
   * @param kind what is wrong
   * @param parameter the query parameter at fault
   * @param message what is wrong and what would work
   */
  constructor(
    readonly kind: ApiErrorKind,
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiParamError";
  }
}

/** A validated `/api/candles` request: `[from, to)` in UTC milliseconds. */
export interface CandlesQuery {
  symbol: string;
  from: number;
  to: number;
}

/** A validated `/api/trades` request: the newest `limit` trades in `[from, to)`. */
export interface TradesQuery extends CandlesQuery {
  limit: number;
}

const fail = (
  ctx: z.RefinementCtx,
  kind: ApiErrorKind,
  parameter: string,
  message: string,
) => ctx.addIssue({ code: "custom", message, params: { kind, parameter } });

const DIGITS = /^[0-9]{1,16}$/;

const time = (name: "from" | "to") =>
  z.string({ error: `${name} is required` }).transform((raw, ctx) => {
    if (!DIGITS.test(raw)) {
      fail(
        ctx,
        "not_a_number",
        name,
        `${name} must be whole UNIX milliseconds (UTC), e.g. ${name}=1767225600000`,
      );
      return z.NEVER;
    }
    const ms = Number(raw);
    if (ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
      fail(
        ctx,
        "time_out_of_range",
        name,
        `${name} must lie between ${new Date(MIN_TIME_MS).toISOString()} and ${
          new Date(MAX_TIME_MS).toISOString()
        } in UNIX milliseconds (seconds by mistake?)`,
      );
      return z.NEVER;
    }
    return ms;
  });

function symbolSchema(symbols: readonly string[]) {
  const known = new Set(symbols);
  return z.string({ error: "symbol is required" }).transform((raw, ctx) => {
    if (!known.has(raw)) {
      fail(
        ctx,
        "unknown_symbol",
        "symbol",
        `symbol is not one of the configured symbols (${symbols.join(", ")})`,
      );
      return z.NEVER;
    }
    return raw;
  });
}

const limitSchema = z.string().optional().transform((raw, ctx) => {
  if (raw === undefined) return DEFAULT_TRADE_LIMIT;
  if (!DIGITS.test(raw)) {
    fail(
      ctx,
      "not_a_number",
      "limit",
      `limit must be a whole number from 1 to ${MAX_TRADE_LIMIT}, e.g. limit=500`,
    );
    return z.NEVER;
  }
  const n = Number(raw);
  if (n < 1 || n > MAX_TRADE_LIMIT) {
    fail(
      ctx,
      "limit_out_of_range",
      "limit",
      `limit must be from 1 to ${MAX_TRADE_LIMIT}`,
    );
    return z.NEVER;
  }
  return n;
});

function rangeCheck(q: { from: number; to: number }, ctx: z.RefinementCtx) {
  if (q.from >= q.to) {
    fail(
      ctx,
      "from_not_before_to",
      "from",
      "from must be before to (the range is [from, to))",
    );
  } else if (q.to - q.from > MAX_RANGE_MS) {
    fail(
      ctx,
      "range_too_long",
      "to",
      `the range may cover at most ${
        MAX_RANGE_MS / 86_400_000
      } days; ask for several ranges`,
    );
  }
}

/** Parsers of the read API's query strings for one set of configured symbols. */
export interface ApiParsers {
  /** @throws {ApiParamError} */
  candles(params: URLSearchParams): CandlesQuery;
  /** @throws {ApiParamError} */
  trades(params: URLSearchParams): TradesQuery;
  /** @throws {ApiParamError} */
  stream(params: URLSearchParams): { symbol: string };
}

/**
 * Builds the query-string parsers; `symbols` is the configured list, the
 * only symbols the API will read.
 *
 * @example
 * ```ts
 * import { apiParsers } from "./api_params.ts";
 * const parse = apiParsers(["AAPL"]);
 * const q = parse.candles(new URLSearchParams("symbol=AAPL&from=1767225600000&to=1767229200000"));
 * console.assert(q.to - q.from === 3_600_000);
 * ```
 */
export function apiParsers(symbols: readonly string[]): ApiParsers {
  const symbol = symbolSchema(symbols);
  const candles = z.strictObject({
    symbol,
    from: time("from"),
    to: time("to"),
  }).superRefine(rangeCheck);
  const trades = z.strictObject({
    symbol,
    from: time("from"),
    to: time("to"),
    limit: limitSchema,
  }).superRefine(rangeCheck);
  const stream = z.strictObject({ symbol });
  return {
    candles: (params) => parseWith(candles, params),
    trades: (params) => parseWith(trades, params),
    stream: (params) => parseWith(stream, params),
  };
}

function parseWith<T>(schema: z.ZodType<T>, params: URLSearchParams): T {
  const record: Record<string, string> = {};
  for (const [key, value] of params) {
    if (Object.hasOwn(record, key)) {
      throw new ApiParamError(
        "repeated_parameter",
        clean(key),
        `${shown(key)} is given more than once; give it once`,
      );
    }
    record[key] = value;
  }
  const result = schema.safeParse(record);
  if (result.success) return result.data;
  throw toParamError(result.error.issues[0]);
}

function toParamError(issue: z.core.$ZodIssue): ApiParamError {
  if (issue.code === "custom") {
    const { kind, parameter } = issue.params as {
      kind: ApiErrorKind;
      parameter: string;
    };
    return new ApiParamError(kind, parameter, issue.message);
  }
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    return new ApiParamError(
      "unknown_parameter",
      clean(key),
      `unknown parameter ${
        shown(key)
      }; the API takes symbol, from, to (and limit for trades)`,
    );
  }
  const parameter = String(issue.path[0] ?? "");
  return new ApiParamError("missing_parameter", parameter, issue.message);
}

/** A parameter name safe to echo: word characters only, short. */
function clean(key: string): string {
  return key.replace(/[^\w.-]/g, "?").slice(0, 32);
}

function shown(key: string): string {
  return JSON.stringify(clean(key));
}
