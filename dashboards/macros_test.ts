import assert from "node:assert/strict";
import {
  expandCassandraMacros,
  formatGrafanaDate,
  UnknownVariableError,
  UnsupportedDateFormatError,
} from "./macros.ts";

const from = new Date(Date.UTC(2025, 0, 31, 23, 50, 0, 123)); // Jan 31 23:50
const to = new Date(Date.UTC(2025, 1, 1, 0, 5, 7, 456)); // Feb 1 00:05

Deno.test("time macros become UNIX milliseconds", () => {
  assert.equal(
    expandCassandraMacros("ts >= $__timeFrom AND ts <= $__timeTo", {
      from,
      to,
      vars: {},
    }),
    `ts >= ${from.getTime()} AND ts <= ${to.getTime()}`,
  );
});

Deno.test("__from/__to date formats follow Grafana", () => {
  const ctx = { from, to, vars: {} };
  assert.equal(
    expandCassandraMacros(
      "${__from:date:YYYY} ${__from:date:M} ${__from:date:D} | ${__to:date:YYYY} ${__to:date:M} ${__to:date:D}",
      ctx,
    ),
    "2025 1 31 | 2025 2 1",
  );
  assert.equal(
    expandCassandraMacros("${__to:date:YYYY-MM-DD HH:mm:ss}", ctx),
    "2025-02-01 00:05:07",
  );
  assert.equal(expandCassandraMacros("${__to}", ctx), String(to.getTime()));
  assert.equal(expandCassandraMacros("$__to", ctx), String(to.getTime()));
  assert.equal(
    expandCassandraMacros("${__to:date}", ctx),
    "2025-02-01T00:05:07.456Z",
  );
  assert.equal(
    expandCassandraMacros("${__to:date:iso}", ctx),
    "2025-02-01T00:05:07.456Z",
  );
  assert.equal(
    expandCassandraMacros("${__from:date:seconds}", ctx),
    String(Math.round(from.getTime() / 1000)),
  );
});

Deno.test("custom date formats use the browser offset, iso stays UTC", () => {
  // A browser at UTC-5 still sees Jan 31 at 19:05 UTC-5.
  const ctx = { from, to, vars: {}, utcOffsetMinutes: -300 };
  assert.equal(
    expandCassandraMacros("${__to:date:M}/${__to:date:D}", ctx),
    "1/31",
  );
  assert.equal(
    expandCassandraMacros("${__to:date:iso}", ctx),
    "2025-02-01T00:05:07.456Z",
  );
});

Deno.test("template variables expand in all Grafana syntaxes", () => {
  const ctx = { from, to, vars: { symbol: "BINANCE:BTCUSDT" } };
  assert.equal(
    expandCassandraMacros("'$symbol' '${symbol}' '[[symbol]]'", ctx),
    "'BINANCE:BTCUSDT' 'BINANCE:BTCUSDT' 'BINANCE:BTCUSDT'",
  );
});

Deno.test("unknown variables stay (like Grafana) unless strict", () => {
  const ctx = { from, to, vars: {} };
  assert.equal(expandCassandraMacros("'$nope'", ctx), "'$nope'");
  assert.throws(
    () => expandCassandraMacros("'$nope'", { ...ctx, strict: true }),
    UnknownVariableError,
  );
});

Deno.test("a full dashboard query expands to runnable CQL", () => {
  const cql = expandCassandraMacros(
    "SELECT symbol, ts, price FROM market.trades_v2 WHERE symbol = '$symbol' AND trade_year IN (${__from:date:YYYY}, ${__to:date:YYYY}) AND trade_month IN (${__from:date:M}, ${__to:date:M}) AND trade_day IN (${__from:date:D}, ${__to:date:D}) AND ts >= $__timeFrom AND ts <= $__timeTo",
    { from, to, vars: { symbol: "AAPL" }, strict: true },
  );
  assert.equal(
    cql,
    "SELECT symbol, ts, price FROM market.trades_v2 WHERE symbol = 'AAPL' AND trade_year IN (2025, 2025) AND trade_month IN (1, 2) AND trade_day IN (31, 1) AND ts >= 1738367400123 AND ts <= 1738368307456",
  );
  assert.doesNotMatch(cql, /\$/);
});

Deno.test("formatGrafanaDate pads and rejects unknown tokens", () => {
  const ms = Date.UTC(2025, 2, 4, 5, 6, 7);
  assert.equal(formatGrafanaDate(ms, "YY/MM/DD H:m:s"), "25/03/04 5:6:7");
  assert.throws(
    () => formatGrafanaDate(ms, "dddd"),
    UnsupportedDateFormatError,
  );
});
