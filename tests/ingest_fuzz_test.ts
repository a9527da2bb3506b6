/**
 * Issue 9: 10,000 malformed frames from the feed server (seeded),
 * interleaved with valid trades, into the real app on the shared servers.
 * 0 crashes, 0 restarts; every valid trade the feed sent is stored exactly
 * once; every bad input is rejected with its reason, and each rejection is
 * either in the DLQ with that reason or counted as a dropped letter. Peak
 * RSS is reported. The token is given as the URL's user-info and must not
 * appear in any log line or metric.
 *
 * Sizes: 10,000 frames as the issue asks; the 5 MB frames are 5 of them
 * (10,000 of them would be 50 GB on the wire) and the 200,000-deep nestings
 * 20 of them, the rest of that kind shallower.
 *
 * @module
 */
import assert from "node:assert/strict";
import { mulberry32 } from "../actors/feed/prng.ts";
import {
  findSecrets,
  readTopic,
  reconcileWhen,
  scrapeMetric,
  startApp,
  startPipelineRun,
} from "./support/mod.ts";

const FRAMES = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Kind =
  | "deep"
  | "huge"
  | "binary"
  | "bad_utf8"
  | "nan"
  | "infinity"
  | "p1e300"
  | "string_price"
  | "string_time"
  | "future"
  | "y1970"
  | "conditions65"
  | "unknown_type"
  | "not_json";

/** The reject reason each kind of bad frame must get. */
const REASON: Record<Kind, string> = {
  deep: "invalid_price",
  huge: "too_large",
  binary: "binary_frame",
  bad_utf8: "binary_frame",
  nan: "invalid_json",
  infinity: "invalid_json",
  p1e300: "implausible_price",
  string_price: "invalid_price",
  string_time: "invalid_time",
  future: "future_time",
  y1970: "implausible_time",
  conditions65: "invalid_conditions",
  unknown_type: "unknown_type",
  not_json: "invalid_json",
};
const KINDS = Object.keys(REASON) as Kind[];

function nested(depth: number): string {
  return "[".repeat(depth) + "1" + "]".repeat(depth);
}

Deno.test({
  name:
    "ingest e2e: 10,000 seeded malformed frames -> no crash or restart, valid trades stored once, every reject in the DLQ or counted",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = await startPipelineRun({
      symbols: (id) => [`FZ${id}A`, `FZ${id}B`],
      feed: { ratePerSec: 1000, seed: 61, startAfterSubscriptions: 2 },
    });
    const { env, feed, ledger, cassandra, kafka, symbols } = run;
    const symbol = symbols[0];
    const token = `fuzztok${run.id}`;
    const app = await startApp({
      ...env,
      LOG_LEVEL: "info",
      FINNHUB_URL: feed.url.replace("ws://", `ws://tickline:${token}@`),
      FEED_MAX_FRAME_BYTES: String(1024 * 1024),
    });
    const seed = Number(Deno.env.get("FUZZ_SEED") ?? 61);
    const random = mulberry32(seed);
    const expected = new Map<string, number>();
    let peakRss = 0;
    const rssPeak = async () => {
      const status = await Deno.readTextFile(`/proc/${app.pid}/status`);
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    };
    let extraValid = 0;
    try {
      let huge = 0;
      let deep = 0;
      for (let i = 0; i < FRAMES; i++) {
        let kind = KINDS[Math.floor(random() * KINDS.length)];
        if (kind === "huge" && huge >= 5) kind = "not_json";
        const now = Date.now();
        const trade = (fields: string) =>
          `{"type":"trade","data":[{"s":"${symbol}",${fields}}]}`;
        let frame: string | Uint8Array;
        switch (kind) {
          case "deep":
            frame = trade(
              `"p":${
                nested(deep++ < 20 ? 200_000 : 1 + Math.floor(random() * 500))
              },"t":${now},"v":1`,
            );
            break;
          case "huge":
            huge++;
            frame = trade(
              `"p":1,"t":${now},"v":1,"x":"${"x".repeat(5 * 1024 * 1024)}"`,
            );
            break;
          case "binary":
            frame = new Uint8Array(
              Array.from({ length: 64 }, () => Math.floor(random() * 256)),
            );
            break;
          case "bad_utf8":
            frame = new Uint8Array([
              0x7b,
              0x22,
              0xff,
              0xfe,
              0xc3,
              0x28,
              0x22,
              0x7d,
            ]);
            break;
          case "nan":
            frame = trade(`"p":NaN,"t":${now},"v":1`);
            break;
          case "infinity":
            frame = trade(`"p":Infinity,"t":${now},"v":1`);
            break;
          case "p1e300":
            frame = trade(`"p":1e300,"t":${now},"v":1`);
            break;
          case "string_price":
            frame = trade(`"p":"101.5","t":${now},"v":1`);
            break;
          case "string_time":
            frame = trade(`"p":1,"t":"${now}","v":1`);
            break;
          case "future":
            frame = trade(`"p":1,"t":${now + 365 * 86_400_000},"v":1`);
            break;
          case "y1970":
            frame = trade(`"p":1,"t":${Math.floor(random() * 1e9)},"v":1`);
            break;
          case "conditions65":
            frame = trade(
              `"p":1,"t":${now},"v":1,"c":${
                JSON.stringify(Array(65).fill("1"))
              }`,
            );
            break;
          case "unknown_type":
            frame = `{"type":"news${Math.floor(random() * 10)}","data":[]}`;
            break;
          case "not_json":
            frame = `{"type":"trade","data":[{"s":"${symbol}"`;
            break;
        }
        assert.equal(feed.sendRaw(frame), 1, "one subscribed client");
        expected.set(REASON[kind], (expected.get(REASON[kind]) ?? 0) + 1);
        // Valid 64-condition trades ride along: large, but valid.
        if (i % 500 === 0) {
          const valid = {
            s: symbol,
            p: 100 + i / 1000,
            t: now,
            v: 1,
            c: Array.from({ length: 64 }, (_, k) => String(k)),
          };
          feed.sendRaw(JSON.stringify({ type: "trade", data: [valid] }));
          ledger.record([valid]);
          extraValid++;
        }
        if (i % 100 === 99) {
          await sleep(10);
          peakRss = Math.max(peakRss, await rssPeak());
        }
      }
      await sleep(1000);
      feed.setRate(0);
      await sleep(300);
      const r = await reconcileWhen(
        cassandra,
        symbols,
        ledger,
        (r) => r.missing.length === 0 && r.stored >= r.sent,
        90_000,
      );
      // Every reject counted by its reason, exactly as sent.
      let rejected = 0;
      for (const [reason, n] of expected) {
        assert.equal(
          await scrapeMetric(
            app.metricsPort,
            "tickline_trades_rejected_total",
            `reason="${reason}"`,
          ),
          n,
          reason,
        );
        rejected += n;
      }
      const dlqDropped = await scrapeMetric(
        app.metricsPort,
        "tickline_dlq_dropped_total",
      );
      let letters: { reason: string; raw: string }[] = [];
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        letters = (await readTopic(kafka, env.DLQ_TOPIC)).map((l) =>
          JSON.parse(l.value)
        );
        if (letters.length + dlqDropped >= rejected) break;
        await sleep(1000);
      }
      const byReason = new Map<string, number>();
      for (const l of letters) {
        byReason.set(l.reason, (byReason.get(l.reason) ?? 0) + 1);
      }
      for (const [reason, n] of byReason) {
        assert.ok(n <= (expected.get(reason) ?? 0), `${reason}: ${n} letters`);
      }
      peakRss = Math.max(peakRss, await rssPeak());
      const restarts = await scrapeMetric(
        app.metricsPort,
        "tickline_actor_restarts_total",
      );
      const failures = await scrapeMetric(
        app.metricsPort,
        "tickline_actor_failures_total",
      );
      const longest = Math.max(...letters.map((l) => String(l.raw).length));
      console.log(
        `fuzz (seed ${seed}): ${FRAMES} bad frames, ${rejected} rejected, ${letters.length} in the DLQ, ` +
          `${dlqDropped} letters dropped; valid sent ${r.sent} (${extraValid} with 64 conditions), stored ${r.stored}, ` +
          `missing ${r.missing.length}, duplicated ${r.duplicated}; restarts ${restarts}, failures ${failures}; ` +
          `longest raw in a letter ${longest} chars; peak RSS ${
            (peakRss / 2 ** 20).toFixed(0)
          } MiB\n` +
          `  by reason: ${
            [...expected].map(([k, v]) => `${k}=${v}`).join(" ")
          }`,
      );
      assert.equal(rejected, FRAMES);
      assert.equal(letters.length + dlqDropped, rejected);
      assert.equal(r.missing.length, 0);
      assert.equal(r.duplicated, 0);
      assert.equal(r.unexpected, 0);
      assert.equal(restarts, 0);
      assert.equal(failures, 0);
      const metrics = await (await fetch(
        `http://127.0.0.1:${app.metricsPort}/metrics`,
      )).text();
      assert.deepEqual(
        findSecrets([app.output(), metrics, JSON.stringify(letters)], [token]),
        [],
      );
      assert.equal(await app.stop(), 0);
    } finally {
      await app.kill();
      await run.close();
    }
  },
});
