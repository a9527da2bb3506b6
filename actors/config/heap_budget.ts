/**
 * The app runs with a small V8 heap (`deno task app` sets
 * `--max-old-space-size`), so its memory stays bounded under any flood. The
 * bounded queues must fit in it: this checks that they do before anything
 * starts, instead of a heap-out-of-memory crash under load.
 *
 * @module
 */

/**
 * JS heap bytes per byte of an encoded record held in a queue of objects
 * (the record object, its strings, and the garbage a full queue churns
 * through): with 128 MiB of old space a flood filled a 36 MB queue of them
 * and V8 ran out of heap, so the factor is set from that, with room. The
 * dead-letter queue holds objects; the ingest buffer is packed outside the
 * heap (`actors/pipeline/packed_queue.ts`) and costs it nothing.
 */
export const HEAP_BYTES_PER_QUEUED_BYTE = 2.5;
/**
 * Heap the rest of the app needs beside its queues, from their bounds: about
 * 30 MiB at rest (code, drivers, metrics), up to 16 MiB of frames waiting to
 * be read, one decoded fetch (4 MiB of records, about 15 MiB of objects) and
 * the trades admitted and not yet written (32,768 shared by the partitions,
 * each with one fetched batch more: about 24 MiB with 16). Before the trades in
 * flight were bounded, a flood after the benchmark's saturation step kept
 * 122 MiB live.
 */
export const WORKING_SET_BYTES = 88 * 2 ** 20;

/** Thrown when the configured queues would not fit in the V8 heap. */
export class HeapBudgetError extends Error {
  override name = "HeapBudgetError";
  constructor(readonly neededBytes: number, readonly limitBytes: number) {
    const mib = (b: number) => Math.ceil(b / 2 ** 20);
    super(
      `DLQ_BUFFER_BYTES and the app's working set need about ${
        mib(neededBytes)
      } MiB of heap, but V8's heap limit is ${mib(limitBytes)} MiB; ` +
        `lower DLQ_BUFFER_BYTES, or give V8 more ` +
        `with DENO_V8_FLAGS=--max-old-space-size=${
          mib(neededBytes) + 32
        } (RSS grows with it)`,
    );
  }
}

/**
 * Throws {@linkcode HeapBudgetError} when the queues plus the working set
 * exceed `heapLimitBytes` (`v8.getHeapStatistics().heap_size_limit`).
 *
 * @example
 * ```ts
 * import { checkHeapBudget } from "./heap_budget.ts";
 * checkHeapBudget({ dlqBufferBytes: 16 * 2 ** 20 }, 280 * 2 ** 20);
 * ```
 */
export function checkHeapBudget(
  queues: { dlqBufferBytes: number },
  heapLimitBytes: number,
): void {
  const needed = queues.dlqBufferBytes * HEAP_BYTES_PER_QUEUED_BYTE +
    WORKING_SET_BYTES;
  if (needed > heapLimitBytes) {
    throw new HeapBudgetError(needed, heapLimitBytes);
  }
}
