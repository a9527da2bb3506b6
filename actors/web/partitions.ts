/**
 * The Cassandra partitions a time range touches: `trades_v2` is partitioned
 * by UTC day, `trade_aggregates` by UTC month. Always UTC, whatever the
 * server's or viewer's time zone.
 *
 * @module
 */

/** One UTC day, as `trades_v2` keys it. */
export interface UtcDay {
  year: number;
  month: number;
  day: number;
  /** First millisecond of the day. */
  start: number;
}

/** One UTC month, as `trade_aggregates` keys it. */
export interface UtcMonth {
  year: number;
  month: number;
  /** First millisecond of the month. */
  start: number;
}

const DAY_MS = 86_400_000;

/**
 * Every UTC day that `[from, to)` touches, oldest first (`to` exclusive, so
 * a range ending exactly at midnight does not read the next day).
 *
 * @example
 * ```ts
 * import { utcDaysOf } from "./partitions.ts";
 * const days = utcDaysOf(Date.UTC(2026, 0, 31, 12), Date.UTC(2026, 1, 2, 1));
 * console.assert(days.map((d) => `${d.month}/${d.day}`).join() === "1/31,2/1,2/2");
 * ```
 */
export function utcDaysOf(from: number, to: number): UtcDay[] {
  const out: UtcDay[] = [];
  if (!(to > from)) return out;
  const first = Math.floor(from / DAY_MS) * DAY_MS;
  for (let start = first; start < to; start += DAY_MS) {
    const d = new Date(start);
    out.push({
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      start,
    });
  }
  return out;
}

/**
 * Every UTC month that `[from, to)` touches, oldest first.
 *
 * @example
 * ```ts
 * import { utcMonthsOf } from "./partitions.ts";
 * const months = utcMonthsOf(Date.UTC(2025, 11, 30), Date.UTC(2026, 1, 1, 0, 0, 1));
 * console.assert(months.map((m) => `${m.year}-${m.month}`).join() === "2025-12,2026-1,2026-2");
 * ```
 */
export function utcMonthsOf(from: number, to: number): UtcMonth[] {
  const out: UtcMonth[] = [];
  if (!(to > from)) return out;
  const f = new Date(from);
  let year = f.getUTCFullYear();
  let month = f.getUTCMonth(); // 0-based while iterating
  for (;;) {
    const start = Date.UTC(year, month, 1);
    if (start >= to) break;
    out.push({ year, month: month + 1, start });
    month++;
    if (month === 12) {
      month = 0;
      year++;
    }
  }
  return out;
}
