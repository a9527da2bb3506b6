/**
 * Reads figures out of the app's `/metrics` text: a metric's value summed
 * over label sets, one histogram's cumulative buckets, count and sum, and
 * the difference between two scrapes of it.
 *
 * @module
 */
/** A histogram as scraped: cumulative `[le, count]` buckets, the total count and sum. */
export interface ScrapedHistogram {
  buckets: [number, number][];
  count: number;
  sum: number;
}

/** The buckets and count of a histogram, what a latency quantile needs. */
export type BucketCounts = Pick<ScrapedHistogram, "buckets" | "count">;

/** Fetches the app's `/metrics` text. */
export async function scrapeText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  return await res.text();
}

/**
 * The value of metric `name` in Prometheus text `text`, summed over the
 * label sets whose text includes `labels` (all of them when empty).
 *
 * @example
 * ```ts
 * import { sumMetric } from "./prom_text.ts";
 * const text = 'm{type="a"} 2\nm{type="b"} 3\nm_total 9\n';
 * console.assert(sumMetric(text, "m") === 5 && sumMetric(text, "m", 'type="b"') === 3);
 * ```
 */
export function sumMetric(text: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (
      line.startsWith(name) &&
      (line[name.length] === " " || line[name.length] === "{")
    ) {
      if (labels && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

/**
 * The histogram `name` (unlabelled but for `le`) in Prometheus text `text`;
 * empty when absent.
 *
 * @example
 * ```ts
 * import { parseHistogram } from "./prom_text.ts";
 * const h = parseHistogram('x_bucket{le="0.1"} 2\nx_bucket{le="+Inf"} 3\nx_count 3\n', "x");
 * console.assert(h.count === 3 && h.buckets[1][0] === Infinity);
 * ```
 */
export function parseHistogram(text: string, name: string): ScrapedHistogram {
  const buckets: [number, number][] = [];
  let count = 0;
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}_bucket{`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      if (le === undefined) continue;
      buckets.push([
        le === "+Inf" ? Infinity : Number(le),
        Number(line.slice(line.lastIndexOf(" ") + 1)),
      ]);
    } else if (line.startsWith(`${name}_count`)) {
      count = Number(line.slice(line.lastIndexOf(" ") + 1));
    } else if (line.startsWith(`${name}_sum`)) {
      sum = Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  buckets.sort((a, b) => a[0] - b[0]);
  return { buckets, count, sum };
}

/**
 * What was observed between scrape `before` and scrape `after`.
 *
 * @example
 * ```ts
 * import { diffHistogram } from "./prom_text.ts";
 * const d = diffHistogram({ buckets: [[1, 2]], count: 2 }, { buckets: [[1, 5]], count: 5 });
 * console.assert(d.count === 3 && d.buckets[0][1] === 3);
 * ```
 */
export function diffHistogram(
  before: BucketCounts,
  after: BucketCounts,
): BucketCounts {
  return {
    buckets: after.buckets.map(([le, c], i) => [
      le,
      c - (before.buckets[i]?.[1] ?? 0),
    ]),
    count: after.count - before.count,
  };
}
