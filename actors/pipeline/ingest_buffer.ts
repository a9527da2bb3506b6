/**
 * A byte-bounded FIFO of records waiting for Kafka, held as objects: the
 * ingest's dead letters wait here. (Its trades wait in the packed
 * `PackedRecordQueue`, which is held to this one as its oracle.) One chunk at a
 * time is "in flight": it stays counted against the bound, is handed out
 * again until acknowledged (so a retry resends the same records in the same
 * order), and is never dropped. When a push goes over the bound, the oldest
 * records not in flight are dropped and returned, so every drop is counted
 * exactly by the caller.
 *
 * @module
 */

/** Anything with a size in bytes. */
export interface Sized {
  bytes: number;
}

/**
 * A FIFO bounded in bytes that drops its oldest waiting items when full.
 *
 * @example
 * ```ts
 * import { ByteQueue } from "./ingest_buffer.ts";
 * const q = new ByteQueue<{ bytes: number; id: number }>(100);
 * q.push({ bytes: 60, id: 1 });
 * const dropped = q.push({ bytes: 60, id: 2 });
 * console.assert(dropped.length === 1 && dropped[0].id === 1);
 * const chunk = q.take(1000);
 * console.assert(chunk.length === 1 && chunk[0].id === 2);
 * q.ack();
 * console.assert(q.length === 0 && q.bytes === 0);
 * ```
 */
export class ByteQueue<R extends Sized> {
  #items: R[] = [];
  #head = 0;
  #bytes = 0;
  #inflight: R[] | undefined;
  #inflightBytes = 0;

  /** @param capacityBytes The bound; at least one item is always kept. */
  constructor(readonly capacityBytes: number) {}

  /** Items waiting or in flight. */
  get length(): number {
    return this.#items.length - this.#head + (this.#inflight?.length ?? 0);
  }

  /** Bytes waiting or in flight. */
  get bytes(): number {
    return this.#bytes + this.#inflightBytes;
  }

  /** True while a chunk is handed out and not yet acknowledged. */
  get inFlight(): boolean {
    return this.#inflight !== undefined;
  }

  /**
   * Appends `item`; returns the oldest waiting items dropped to get back under
   * the bound (possibly `item` itself, when the chunk in flight fills it).
   */
  push(item: R): R[] {
    this.#items.push(item);
    this.#bytes += item.bytes;
    let dropped: R[] | undefined;
    while (this.bytes > this.capacityBytes && this.#head < this.#items.length) {
      const old = this.#items[this.#head];
      this.#items[this.#head] = undefined as unknown as R;
      this.#head++;
      this.#bytes -= old.bytes;
      (dropped ??= []).push(old);
    }
    this.#compact();
    return dropped ?? [];
  }

  /**
   * The chunk to send: the one in flight if any (a retry), else the oldest
   * waiting items up to `maxBytes` (at least one). Empty when nothing waits.
   */
  take(maxBytes: number): readonly R[] {
    if (this.#inflight) return this.#inflight;
    const chunk: R[] = [];
    let size = 0;
    while (this.#head < this.#items.length) {
      const next = this.#items[this.#head];
      if (chunk.length > 0 && size + next.bytes > maxBytes) break;
      chunk.push(next);
      size += next.bytes;
      this.#items[this.#head] = undefined as unknown as R;
      this.#head++;
    }
    this.#compact();
    if (chunk.length === 0) return chunk;
    this.#bytes -= size;
    this.#inflight = chunk;
    this.#inflightBytes = size;
    return chunk;
  }

  /** The chunk in flight was acknowledged: forget it. */
  ack(): readonly R[] {
    const done = this.#inflight ?? [];
    this.#inflight = undefined;
    this.#inflightBytes = 0;
    return done;
  }

  /** Removes and returns everything (in flight first), oldest first. */
  drain(): R[] {
    const all = [...(this.#inflight ?? []), ...this.#items.slice(this.#head)];
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    this.ack();
    return all;
  }

  #compact(): void {
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
