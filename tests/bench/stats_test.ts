import assert from "node:assert/strict";
import { diffHistogram, parseHistogram } from "../support/prom_text.ts";
import { bucketQuantile, quantile, spread } from "./stats.ts";

Deno.test("quantile is nearest-rank and NaN when empty", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(quantile(xs, 0.5), 51);
  assert.equal(quantile(xs, 0.99), 100);
  assert.equal(quantile(xs, 1), 100);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

Deno.test("bucketQuantile interpolates as histogram_quantile does", () => {
  const b = [[0.01, 10], [0.05, 90], [0.1, 100], [Infinity, 100]] as const;
  assert.equal(bucketQuantile(b, 0.5), 0.01 + 0.04 * (40 / 80));
  assert.equal(bucketQuantile(b, 0.95), 0.05 + 0.05 * (5 / 10));
  // Past the last finite bound only that bound is known.
  assert.equal(bucketQuantile([[0.1, 5], [Infinity, 10]], 0.99), 0.1);
  assert.ok(Number.isNaN(bucketQuantile([[0.1, 0], [Infinity, 0]], 0.5)));
});

Deno.test("spread leaves NaN out and takes the middle two's mean", () => {
  assert.deepEqual(spread([4, 1, NaN, 3, 2]), {
    min: 1,
    median: 2.5,
    max: 4,
    n: 4,
  });
  assert.deepEqual(spread([7]), { min: 7, median: 7, max: 7, n: 1 });
  assert.equal(spread([NaN]).n, 0);
});

Deno.test("a scraped histogram's diff is what was observed in between", () => {
  const text = (a: number, b: number) =>
    [
      "# HELP tickline_e2e_latency_seconds x",
      `tickline_e2e_latency_seconds_bucket{le="0.05"} ${a}`,
      `tickline_e2e_latency_seconds_bucket{le="+Inf"} ${b}`,
      `tickline_e2e_latency_seconds_sum 1`,
      `tickline_e2e_latency_seconds_count ${b}`,
      `tickline_other_bucket{le="+Inf"} 99`,
    ].join("\n");
  const name = "tickline_e2e_latency_seconds";
  const d = diffHistogram(
    parseHistogram(text(3, 4), name),
    parseHistogram(text(10, 14), name),
  );
  assert.deepEqual(d, { buckets: [[0.05, 7], [Infinity, 10]], count: 10 });
});
