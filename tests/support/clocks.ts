/**
 * Event-time clocks for the offline feed in integration tests.
 *
 * @module
 */

/**
 * Event time 10x faster than real time, starting 30 minutes back (so 3
 * minutes of test): it must stay in the past for the whole test, since the ingest rejects trades from the future, and then every
 * window closes by watermark or as soon as its symbol falls quiet.
 *
 * @example
 * ```ts ignore
 * const feed = await startFeedServer({ port: 0, symbols, clock: fastPastClock() });
 * ```
 */
export function fastPastClock(): { now(): number } {
  const start = Date.now();
  const base = start - 30 * 60_000;
  return { now: () => base + (Date.now() - start) * 10 };
}
