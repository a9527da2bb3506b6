/**
 * Expands dashboard CQL the way Grafana and the Cassandra datasource plugin
 * do, so tests can run every dashboard query against a real Cassandra.
 *
 * Order matches Grafana: the frontend interpolates template and global
 * variables (`$symbol`, `${__to:date:YYYY}`), then the plugin's backend
 * replaces `$__timeFrom` / `$__timeTo` with UNIX milliseconds.
 *
 * @module
 */

/** Raised for a date format token this emulation does not implement. */
export class UnsupportedDateFormatError extends Error {
  /** @param format the format after `:date:` */
  constructor(format: string) {
    super(`unsupported Grafana date format: ${format}`);
    this.name = "UnsupportedDateFormatError";
  }
}

/** Raised in strict mode when a `$variable` has no value. */
export class UnknownVariableError extends Error {
  /** @param name the variable */
  constructor(name: string) {
    super(`no value for dashboard variable $${name}`);
    this.name = "UnknownVariableError";
  }
}

/** Inputs of {@linkcode expandCassandraMacros}. */
export interface MacroContext {
  /** Start of the dashboard time range. */
  from: Date;
  /** End of the dashboard time range. */
  to: Date;
  /** Template variable values, e.g. `{ symbol: "AAPL" }`. */
  vars: Record<string, string>;
  /**
   * Offset of the viewer's browser from UTC in minutes (e.g. -300 for
   * UTC-5). Grafana formats custom `${__to:date:FMT}` in BROWSER time; the
   * default 0 is a browser in UTC, which matches the UTC partitions.
   */
  utcOffsetMinutes?: number;
  /** Throw {@linkcode UnknownVariableError} instead of leaving `$x` as is (Grafana leaves it). */
  strict?: boolean;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** moment.js tokens used by date formats; longest first so `YYYY` wins over `YY`. */
const TOKENS: [string, (d: Date) => string][] = [
  ["YYYY", (d) => pad(d.getUTCFullYear(), 4)],
  ["YY", (d) => pad(d.getUTCFullYear() % 100)],
  ["MM", (d) => pad(d.getUTCMonth() + 1)],
  ["M", (d) => String(d.getUTCMonth() + 1)],
  ["DD", (d) => pad(d.getUTCDate())],
  ["D", (d) => String(d.getUTCDate())],
  ["HH", (d) => pad(d.getUTCHours())],
  ["H", (d) => String(d.getUTCHours())],
  ["mm", (d) => pad(d.getUTCMinutes())],
  ["m", (d) => String(d.getUTCMinutes())],
  ["ss", (d) => pad(d.getUTCSeconds())],
  ["s", (d) => String(d.getUTCSeconds())],
];

/**
 * Formats `ms` like Grafana's `${__from:date:<format>}`.
 *
 * @example
 * ```ts
 * import { formatGrafanaDate } from "./macros.ts";
 * formatGrafanaDate(Date.UTC(2025, 0, 5), "YYYY-M-D"); // "2025-1-5"
 * ```
 */
export function formatGrafanaDate(
  ms: number,
  format: string | undefined,
  utcOffsetMinutes = 0,
): string {
  if (format === undefined || format === "iso") {
    return new Date(ms).toISOString(); // always UTC in Grafana
  }
  if (format === "seconds") return String(Math.round(ms / 1000));
  if (format === "ms") return String(ms);
  // Shift so the UTC getters read the browser's wall clock.
  const local = new Date(ms + utcOffsetMinutes * 60_000);
  let out = "";
  let rest = format;
  outer: while (rest.length > 0) {
    for (const [token, render] of TOKENS) {
      if (rest.startsWith(token)) {
        out += render(local);
        rest = rest.slice(token.length);
        continue outer;
      }
    }
    if (/[A-Za-z]/.test(rest[0])) throw new UnsupportedDateFormatError(format);
    out += rest[0];
    rest = rest.slice(1);
  }
  return out;
}

// Grafana's variable syntaxes: $name, ${name}, ${name:fmt}, [[name]].
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

/**
 * Expands a dashboard CQL query exactly as Grafana + the plugin would send it.
 *
 * @example
 * ```ts
 * import { expandCassandraMacros } from "./macros.ts";
 * const cql = expandCassandraMacros(
 *   "SELECT * FROM t WHERE symbol = '$symbol' AND trade_year = ${__to:date:YYYY} AND ts >= $__timeFrom",
 *   { from: new Date(0), to: new Date(Date.UTC(2025, 5, 1)), vars: { symbol: "AAPL" } },
 * );
 * ```
 */
export function expandCassandraMacros(cql: string, ctx: MacroContext): string {
  const from = ctx.from.getTime();
  const to = ctx.to.getTime();
  const builtIn: Record<string, number> = { __from: from, __to: to };
  const interpolated = cql.replace(
    VARIABLE,
    (match, plain, bracket, _bracketFmt, braced, bracedFmt) => {
      const name: string = plain ?? bracket ?? braced;
      if (name in builtIn) {
        const ms = builtIn[name];
        if (bracedFmt === undefined) return String(ms);
        const [kind, ...args] = (bracedFmt as string).split(":");
        if (kind !== "date") return String(ms);
        return formatGrafanaDate(
          ms,
          args.length ? args.join(":") : undefined,
          ctx.utcOffsetMinutes ?? 0,
        );
      }
      if (Object.hasOwn(ctx.vars, name)) return ctx.vars[name];
      // Plugin macros like $__timeFrom are not Grafana variables.
      if (name.startsWith("__")) return match;
      if (ctx.strict) throw new UnknownVariableError(name);
      return match;
    },
  );
  // The plugin's backend step; $__timeFrom is not a prefix of $__timeTo.
  return interpolated
    .replaceAll("$__timeFrom", String(from))
    .replaceAll("$__timeTo", String(to));
}
