/**
 * The market dashboard: live price, 1-minute candles, volume and the day's
 * stats of one symbol, read straight from Cassandra.
 *
 * Every query names the full partition key. Year/month/day come from the
 * dashboard time range via Grafana's `${__from:date:..}` / `${__to:date:..}`;
 * the range queries use `IN (from, to)` on each key column so a range
 * crossing midnight (or a month end) reads both partitions, and the
 * `ts`/`window_start` bounds keep the result exact. Grafana formats custom
 * dates in the viewer's browser time zone while partitions are UTC days:
 * viewers should use a UTC browser (or Grafana profile) time zone.
 *
 * @module
 */

import * as candlestick from "@grafana/grafana-foundation-sdk/candlestick";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import {
  CASSANDRA_DATASOURCE,
  CassandraQueryBuilder,
} from "./cassandra_query.ts";
import { listLegend } from "./panels.ts";

/** uid of the market dashboard (Slack links and provisioning use it). */
export const MARKET_DASHBOARD_UID = "tickline-market";

/** Symbols offered by the `symbol` variable; free text is allowed too. */
export const MARKET_SYMBOLS = [
  "AAPL",
  "MSFT",
  "AMZN",
  "NVDA",
  "BINANCE:BTCUSDT",
  "BINANCE:ETHUSDT",
];

/** Refresh choices; "1s" needs Grafana's `min_refresh_interval = 1s`. */
export const REFRESH_INTERVALS = ["1s", "5s", "10s", "30s", "1m", "5m"];

const SYMBOL = "symbol = '$symbol'";
/** Partitions of trades_v2 touched by the time range (at most 2 days). */
const TRADE_DAYS = `${SYMBOL}` +
  " AND trade_year IN (${__from:date:YYYY}, ${__to:date:YYYY})" +
  " AND trade_month IN (${__from:date:M}, ${__to:date:M})" +
  " AND trade_day IN (${__from:date:D}, ${__to:date:D})";
/** The trades_v2 partition of the range's end day ("today" when live). */
const TRADE_TODAY = `${SYMBOL}` +
  " AND trade_year = ${__to:date:YYYY}" +
  " AND trade_month = ${__to:date:M}" +
  " AND trade_day = ${__to:date:D}";
/** Partitions of trade_aggregates touched by the time range. */
const CANDLE_MONTHS = `${SYMBOL}` +
  " AND trade_year IN (${__from:date:YYYY}, ${__to:date:YYYY})" +
  " AND trade_month IN (${__from:date:M}, ${__to:date:M})";

/** CQL of every market panel, by panel title. */
export const MARKET_CQL = {
  price: "SELECT symbol, ts, price FROM market.trades_v2 WHERE " +
    TRADE_DAYS +
    " AND ts >= $__timeFrom AND ts <= $__timeTo LIMIT 50000",
  candles:
    "SELECT symbol, window_start, open, high, low, close, volume FROM market.trade_aggregates WHERE " +
    CANDLE_MONTHS +
    " AND window_start >= $__timeFrom AND window_start <= $__timeTo",
  volume:
    "SELECT symbol, window_start, volume FROM market.trade_aggregates WHERE " +
    CANDLE_MONTHS +
    " AND window_start >= $__timeFrom AND window_start <= $__timeTo",
  // ts DESC clustering: the first row of today's partition is the latest.
  latestPrice: "SELECT symbol, ts, price FROM market.trades_v2 WHERE " +
    TRADE_TODAY + " LIMIT 1",
  dayVolume:
    "SELECT symbol, max(ts) AS ts, sum(volume) AS day_volume FROM market.trades_v2 WHERE " +
    TRADE_TODAY,
} as const;

function cassandra(cql: string, alias: string): CassandraQueryBuilder {
  return new CassandraQueryBuilder(cql).refId("A").alias(alias);
}

/**
 * Builds the market dashboard.
 *
 * @example
 * ```ts
 * import { marketDashboard } from "./market.ts";
 * const json = JSON.stringify(marketDashboard(), null, 2);
 * ```
 */
export function marketDashboard(): dashboard.Dashboard {
  const symbolVar = new dashboard.CustomVariableBuilder("symbol")
    .label("Symbol")
    .values(MARKET_SYMBOLS.join(","))
    .current({ selected: true, text: "AAPL", value: "AAPL" })
    .options(
      MARKET_SYMBOLS.map((s) => ({
        selected: s === "AAPL",
        text: s,
        value: s,
      })),
    )
    .allowCustomValue(true);

  const latestPrice = new stat.PanelBuilder()
    .title("Latest price")
    .datasource({ ...CASSANDRA_DATASOURCE })
    .withTarget(cassandra(MARKET_CQL.latestPrice, "price"))
    .reduceOptions(
      new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(
        false,
      ),
    )
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.None)
    .decimals(2)
    .height(4)
    .span(6);

  const dayVolume = new stat.PanelBuilder()
    .title("Volume today (UTC day)")
    .datasource({ ...CASSANDRA_DATASOURCE })
    .withTarget(cassandra(MARKET_CQL.dayVolume, "volume"))
    .reduceOptions(
      new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(
        false,
      ),
    )
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.None)
    .unit("short")
    .height(4)
    .span(6);

  const price = new timeseries.PanelBuilder()
    .title("Price (every trade)")
    .datasource({ ...CASSANDRA_DATASOURCE })
    .withTarget(cassandra(MARKET_CQL.price, "$symbol"))
    .legend(listLegend())
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(true)
    .height(9)
    .span(24);

  const candles = new candlestick.PanelBuilder()
    .title("1-minute candles")
    .datasource({ ...CASSANDRA_DATASOURCE })
    .withTarget(cassandra(MARKET_CQL.candles, "$symbol"))
    .mode(candlestick.VizDisplayMode.Candles)
    .candleStyle(candlestick.CandleStyle.Candles)
    .colorStrategy(candlestick.ColorStrategy.OpenClose)
    .fields(
      new candlestick.CandlestickFieldMapBuilder()
        .open("open")
        .high("high")
        .low("low")
        .close("close")
        .volume("volume"),
    )
    .legend(listLegend())
    .height(10)
    .span(24);

  const volume = new timeseries.PanelBuilder()
    .title("Volume per minute")
    .datasource({ ...CASSANDRA_DATASOURCE })
    .withTarget(cassandra(MARKET_CQL.volume, "volume"))
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .legend(listLegend())
    .height(7)
    .span(24);

  return new dashboard.DashboardBuilder("Tickline — Market")
    .uid(MARKET_DASHBOARD_UID)
    .tags(["tickline", "market"])
    .description("Live trades and exact 1-minute OHLCV candles from Cassandra.")
    .timezone("utc")
    .time({ from: "now-15m", to: "now" })
    .refresh("1s")
    .timepicker(
      new dashboard.TimePickerBuilder().refreshIntervals(REFRESH_INTERVALS),
    )
    .withVariable(symbolVar)
    .withPanel(latestPrice)
    .withPanel(dayVolume)
    .withPanel(price)
    .withPanel(candles)
    .withPanel(volume)
    .build();
}
