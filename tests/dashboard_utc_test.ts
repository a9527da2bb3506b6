/**
 * The market dashboard's CQL, expanded the way Grafana and the Cassandra
 * plugin expand it for viewers in New York (UTC-5), Tokyo (UTC+9) and UTC,
 * run on the real Cassandra: every UTC day of a 3-day range across a month
 * end and across a year end comes back, and "volume today" and "latest
 * price" read the UTC day.
 *
 * @module
 */
import assert from "node:assert/strict";
import { expandCassandraMacros, MARKET_CQL } from "../dashboards/mod.ts";
import {
  deleteMarketData,
  insertCandles,
  makeCandles,
} from "./support/market_seed.ts";
import { runId, testCassandra } from "./support/servers.ts";

const DAY = 86_400_000;
const VIEWERS = [
  { name: "New York", utcOffsetMinutes: -300 },
  { name: "Tokyo", utcOffsetMinutes: 540 },
  { name: "UTC", utcOffsetMinutes: 0 },
  { name: "Baker Island (UTC-12)", utcOffsetMinutes: -720 },
  { name: "Kiribati (UTC+14)", utcOffsetMinutes: 840 },
];

Deno.test({
  name:
    "dashboard CQL: every UTC day of a 3-day range, for viewers in any time zone, on the real Cassandra",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const symbol = `GQ${runId()}`;
    const client = await testCassandra();
    const seedFrom = Date.UTC(2025, 10, 1);
    const seedTo = Date.UTC(2026, 1, 4);
    // A candle every 30 minutes from Nov 1 to Feb 4.
    const candles = makeCandles(
      seedFrom,
      (seedTo - seedFrom) / 1_800_000,
      1_800_000,
      5,
    );
    const run = async (cql: string) => (await client.execute(cql)).rows;
    try {
      await insertCandles(client, symbol, candles);

      const ranges = [
        {
          name: "month end",
          from: Date.UTC(2026, 0, 31),
          to: Date.UTC(2026, 1, 3) - 1,
        },
        {
          name: "year end",
          from: Date.UTC(2025, 11, 31),
          to: Date.UTC(2026, 0, 3) - 1,
        },
        {
          // The candles' TTL: four months across a year end.
          name: "90 days",
          from: Date.UTC(2025, 10, 5),
          to: Date.UTC(2026, 1, 3) - 1,
        },
      ];
      for (const viewer of VIEWERS) {
        for (const range of ranges) {
          const ctx = {
            from: new Date(range.from),
            to: new Date(range.to),
            vars: { symbol },
            utcOffsetMinutes: viewer.utcOffsetMinutes,
            strict: true,
          };
          const want = candles.filter((c) =>
            c.time >= range.from && c.time <= range.to
          );
          for (const panel of ["candles", "price", "volume"] as const) {
            const rows = await run(
              expandCassandraMacros(MARKET_CQL[panel], ctx),
            );
            const got = rows.map((r) =>
              (r.get("window_start") as Date).getTime()
            ).sort((a, b) => a - b);
            assert.deepEqual(
              got,
              want.map((c) => c.time),
              `${panel}, ${range.name}, viewer in ${viewer.name}`,
            );
            for (let d = 0; d < 3; d++) {
              const day = range.from + d * DAY;
              assert.ok(
                got.some((t) => t >= day && t < day + DAY),
                `day ${d} of ${range.name} for ${viewer.name}`,
              );
            }
          }
          const candleRows = await run(
            expandCassandraMacros(MARKET_CQL.candles, ctx),
          );
          // Several partitions come back in token order: sort by time.
          candleRows.sort((a, b) =>
            (a.get("window_start") as Date).getTime() -
            (b.get("window_start") as Date).getTime()
          );
          assert.deepEqual(
            candleRows.map((
              r,
            ) => [
              r.get("open"),
              r.get("high"),
              r.get("low"),
              r.get("close"),
              r.get("volume"),
            ]),
            want.map((c) => [c.open, c.high, c.low, c.close, c.volume]),
          );
        }

        // "Volume today" and "Latest price" read the UTC day of the range's end,
        // also when the viewer's wall clock is on another date.
        for (
          const to of [Date.UTC(2026, 1, 1, 2), Date.UTC(2026, 0, 31, 23, 30)]
        ) {
          const ctx = {
            from: new Date(to - 6 * 3_600_000),
            to: new Date(to),
            vars: { symbol },
            utcOffsetMinutes: viewer.utcOffsetMinutes,
            strict: true,
          };
          const dayStart = to - (to % DAY);
          const wantVolume = candles.filter((c) =>
            c.time >= dayStart && c.time <= to
          )
            .reduce((s, c) => s + c.volume, 0);
          const [vol] = await run(
            expandCassandraMacros(MARKET_CQL.dayVolume, ctx),
          );
          assert.ok(
            Math.abs((vol.get("day_volume") as number) - wantVolume) < 1e-6,
            `volume today at ${
              new Date(to).toISOString()
            } for ${viewer.name}: ${vol.get("day_volume")} != ${wantVolume}`,
          );
          const [latest] = await run(
            expandCassandraMacros(MARKET_CQL.latestPrice, ctx),
          );
          const wantLatest = candles.filter((c) =>
            c.time >= dayStart && c.time <= to
          ).at(-1)!;
          assert.equal(
            latest.get("close"),
            wantLatest.close,
            `latest price for ${viewer.name}`,
          );
        }
      }
    } finally {
      await deleteMarketData(client, [symbol], seedFrom, seedTo);
      await client.shutdown();
    }
  },
});
