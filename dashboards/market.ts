/**
 * The market dashboard: live price, 1-minute candles, volume and the day's
 * stats of one symbol, read straight from Cassandra.
 *
 * Every panel reads the 1-minute candles (trade_aggregates, one partition
 * per UTC month), never the raw trades, and every query names the full
 * partition key for every UTC month of the range whatever the viewer's time
 * zone (see CANDLE_MONTHS); the `window_start` bounds, in UNIX ms, keep the
 * rows exact. "Today" is the UTC day.
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
import { DEFAULT_SYMBOL_LIST } from "../actors/config/mod.ts";

/** uid of the market dashboard (Slack links and provisioning use it). */
export const MARKET_DASHBOARD_UID = "tickline-market";

/** Symbols offered by the `symbol` variable: the app's default list; free text is allowed too. */
export const MARKET_SYMBOLS: readonly string[] = DEFAULT_SYMBOL_LIST;

/** Refresh choices; "1s" needs Grafana's `min_refresh_interval = 1s`. */
export const REFRESH_INTERVALS = ["1s", "5s", "10s", "30s", "1m", "5m"];

const SYMBOL = "symbol = '$symbol'";
/**
 * Every trade_aggregates partition (UTC month) of any range that starts and
 * ends within a year of each other's calendar years, for a viewer in any
 * time zone. Grafana formats `${__to:date:YYYY}` in the viewer's zone, and a
 * wall-clock date is at most a day off the UTC date (offsets are within
 * ±14 h), so the UTC year of each end is the local one or a neighbour. All
 * twelve months of those years are listed rather than derived: Cassandra
 * cannot infer types in deeper literal arithmetic, and listing them keeps a
 * 90-day range (the candles' TTL) whole. Up to 4 × 12 partitions, most of
 * which do not exist (a bloom-filter miss); the `window_start` bounds keep
 * rows exact.
 */
const CANDLE_MONTHS = `${SYMBOL}` +
  " AND trade_year IN (${__from:date:YYYY} - 1, ${__from:date:YYYY}, ${__to:date:YYYY}, ${__to:date:YYYY} + 1)" +
  " AND trade_month IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)";
/** First millisecond of the UTC day of the range's end: plain seconds need no time zone. */
// Typed literals: untyped ones make Cassandra guess smallint and fail.
const UTC_DAY_START = "(bigint)${__to:date:seconds} * 1000" +
  " - (int)${__to:date:seconds} % (int)86400 * (int)1000";
const IN_RANGE =
  " AND window_start >= $__timeFrom AND window_start <= $__timeTo";
const UTC_TODAY =
  ` AND window_start >= ${UTC_DAY_START} AND window_start <= $__timeTo`;

/** CQL of every market panel, by panel title. */
export const MARKET_CQL = {
  // One close per minute: the old every-trade query read up to 50,000 raw
  // rows on every 1 s refresh.
  price:
    "SELECT symbol, window_start, close FROM market.trade_aggregates WHERE " +
    CANDLE_MONTHS + IN_RANGE,
  candles:
    "SELECT symbol, window_start, open, high, low, close, volume FROM market.trade_aggregates WHERE " +
    CANDLE_MONTHS + IN_RANGE,
  volume:
    "SELECT symbol, window_start, volume FROM market.trade_aggregates WHERE " +
    CANDLE_MONTHS + IN_RANGE,
  // The close of the newest candle of the UTC day (the pipeline upserts the
  // open minute every couple of seconds). Only one partition has rows in the
  // UTC day, and window_start DESC makes its first row the newest.
  latestPrice:
    "SELECT symbol, window_start, close FROM market.trade_aggregates WHERE " +
    CANDLE_MONTHS + UTC_TODAY + " LIMIT 1",
  // At most 1,440 candle rows instead of every raw trade of the day.
  dayVolume:
    "SELECT symbol, max(window_start) AS ts, sum(volume) AS day_volume FROM market.trade_aggregates WHERE " +
    CANDLE_MONTHS + UTC_TODAY,
} as const;

function cassandra(cql: string, alias?: string): CassandraQueryBuilder {
  const q = new CassandraQueryBuilder(cql).refId("A");
  return alias === undefined ? q : q.alias(alias);
}

/** Display names of the candle fields, one per field. */
export const CANDLE_FIELD_NAMES = {
  open: "Open",
  high: "High",
  low: "Low",
  close: "Close",
  volume: "Volume",
} as const;

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
    .title("Price (1-minute close)")
    .datasource({ ...CASSANDRA_DATASOURCE })
    .withTarget(cassandra(MARKET_CQL.price, "$symbol close"))
    .legend(listLegend())
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(true)
    .height(9)
    .span(24);

  const candles = new candlestick.PanelBuilder()
    .title("1-minute candles")
    .datasource({ ...CASSANDRA_DATASOURCE })
    // No alias: it would rename all five fields and break the field map.
    .withTarget(cassandra(MARKET_CQL.candles))
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
  for (const [field, name] of Object.entries(CANDLE_FIELD_NAMES)) {
    candles.overrideByName(field, [{ id: "displayName", value: name }]);
  }

  const volume = new timeseries.PanelBuilder()
    .title("Volume per minute")
    .datasource({ ...CASSANDRA_DATASOURCE })
    .withTarget(cassandra(MARKET_CQL.volume, "$symbol volume"))
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
