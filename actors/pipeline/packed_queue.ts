/**
 * The ingest's buffer of trade records waiting for Kafka, packed: each
 * record's value is copied as UTF-8 into large byte slabs and described by a
 * few integers, so a full buffer is a handful of `ArrayBuffer`s outside the
 * V8 heap instead of hundreds of thousands of objects and strings in it.
 * Under a flood the buffer sits full while the oldest records are dropped;
 * held as objects they were promoted to the old generation and then thrown
 * away, which made V8 grow its heap to about 2.5 times the buffer.
 *
 * Same contract as {@linkcode ByteQueue}: one chunk at a time is in flight,
 * counted against the bound and handed out again until acknowledged (a retry
 * resends the same bytes in the same order); when a push goes over the
 * bound, the oldest waiting records are dropped and counted. A slab is
 * written again only once no waiting record lies in it and the chunk in
 * flight that may point into it is acknowledged, so a retry resends intact
 * bytes; slabs are reused rather than freed, which spares the allocator the
 * churn of megabyte blocks that glibc would keep as heap.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { EncodedRecord } from "../kafka/kafka_trade_producer.ts";

/** Bytes of one slab; a larger record gets a slab of its own. */
export const SLAB_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

/** Columns of the waiting records, as a ring of typed arrays. */
class Ring {
  mask: number;
  head = 0;
  count = 0;
  offset: Int32Array;
  length: Int32Array;
  size: Int32Array;
  key: Int32Array;
  slab: Int32Array;

  constructor(capacity: number) {
    this.mask = capacity - 1;
    this.offset = new Int32Array(capacity);
    this.length = new Int32Array(capacity);
    this.size = new Int32Array(capacity);
    this.key = new Int32Array(capacity);
    this.slab = new Int32Array(capacity);
  }

  /** Index of the record `i` places after the head. */
  at(i: number): number {
    return (this.head + i) & this.mask;
  }

  grown(): Ring {
    const next = new Ring((this.mask + 1) * 2);
    for (let i = 0; i < this.count; i++) {
      const from = this.at(i);
      next.offset[i] = this.offset[from];
      next.length[i] = this.length[from];
      next.size[i] = this.size[from];
      next.key[i] = this.key[from];
      next.slab[i] = this.slab[from];
    }
    next.count = this.count;
    return next;
  }
}

/**
 * A FIFO of keyed records bounded in bytes (each record's `bytes`, as
 * {@linkcode tradeRecord} counts them) that drops its oldest waiting records
 * when full. Headers are not kept: trade records have none.
 *
 * @example
 * ```ts
 * import { PackedRecordQueue } from "./packed_queue.ts";
 * const q = new PackedRecordQueue(100);
 * q.push({ key: "A", value: "x".repeat(40), bytes: 60 });
 * const dropped = q.push({ key: "B", value: "y".repeat(40), bytes: 60 });
 * console.assert(dropped === 1);
 * const chunk = q.take(1000);
 * console.assert(chunk.length === 1 && chunk[0].key === "B");
 * console.assert(q.ack() === 1 && q.length === 0 && q.bytes === 0);
 * ```
 */
export class PackedRecordQueue {
  #ring = new Ring(1024);
  /** Slabs still holding waiting records, `#slabs[0]` numbered `#firstSlab`. */
  #slabs: Buffer[] = [];
  #firstSlab = 0;
  /** Slabs let go of since the chunk in flight was taken: reusable after its ack. */
  #retired: Buffer[] = [];
  #spare: Buffer[] = [];
  #used = 0;
  #keys: string[] = [];
  #keyIds = new Map<string, number>();
  #bytes = 0;
  #inflight: EncodedRecord[] | undefined;
  #inflightBytes = 0;

  /** @param capacityBytes The bound; at least one record is always kept. */
  constructor(readonly capacityBytes: number) {}

  /** Records waiting or in flight. */
  get length(): number {
    return this.#ring.count + (this.#inflight?.length ?? 0);
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
   * Appends `record` (its value copied as UTF-8); returns how many of the
   * oldest waiting records were dropped to get back under the bound
   * (possibly `record` itself, when the chunk in flight fills it).
   */
  push(record: EncodedRecord): number {
    let ring = this.#ring;
    if (ring.count > ring.mask) ring = this.#ring = ring.grown();
    const [slab, offset, length] = this.#copy(record.value);
    const i = ring.at(ring.count++);
    ring.offset[i] = offset;
    ring.length[i] = length;
    ring.size[i] = record.bytes;
    ring.key[i] = this.#keyId(record.key);
    ring.slab[i] = slab;
    this.#bytes += record.bytes;
    let dropped = 0;
    while (this.bytes > this.capacityBytes && ring.count > 0) {
      this.#bytes -= ring.size[ring.head];
      this.#shift();
      dropped++;
    }
    return dropped;
  }

  /**
   * The chunk to send: the one in flight if any (a retry), else the oldest
   * waiting records up to `maxBytes` (at least one), their values as views
   * of the slabs. Empty when nothing waits.
   */
  take(maxBytes: number): readonly EncodedRecord[] {
    if (this.#inflight) return this.#inflight;
    const ring = this.#ring;
    const chunk: EncodedRecord[] = [];
    let size = 0;
    while (ring.count > 0) {
      const i = ring.head;
      if (chunk.length > 0 && size + ring.size[i] > maxBytes) break;
      const slab = this.#slabs[ring.slab[i] - this.#firstSlab];
      chunk.push({
        key: this.#keys[ring.key[i]],
        value: slab.subarray(ring.offset[i], ring.offset[i] + ring.length[i]),
        bytes: ring.size[i],
      });
      size += ring.size[i];
      this.#shift();
    }
    if (chunk.length === 0) return chunk;
    this.#bytes -= size;
    this.#inflight = chunk;
    this.#inflightBytes = size;
    return chunk;
  }

  /** The chunk in flight was acknowledged: forget it; returns its length. */
  ack(): number {
    const done = this.#inflight?.length ?? 0;
    this.#inflight = undefined;
    this.#inflightBytes = 0;
    for (const slab of this.#retired.splice(0)) this.#recycle(slab);
    return done;
  }

  /** Forgets everything (in flight too); returns how many records that was. */
  drain(): number {
    const all = this.length;
    this.ack();
    while (this.#ring.count > 0) this.#shift();
    this.#bytes = 0;
    return all;
  }

  /** Moves the head on, letting go of slabs no waiting record uses. */
  #shift(): void {
    const ring = this.#ring;
    ring.head = (ring.head + 1) & ring.mask;
    ring.count--;
    const next = ring.count > 0
      ? ring.slab[ring.head]
      : this.#firstSlab + this.#slabs.length - 1;
    while (this.#firstSlab < next) {
      const slab = this.#slabs.shift()!;
      this.#firstSlab++;
      // The chunk in flight (or one taken by this very take) may point here.
      this.#retired.push(slab);
    }
  }

  #recycle(slab: Buffer): void {
    // Enough spares to refill a full queue; past that the GC takes them.
    const enough = Math.ceil(this.capacityBytes / SLAB_BYTES) + 1;
    if (slab.byteLength === SLAB_BYTES && this.#spare.length < enough) {
      this.#spare.push(slab);
    }
  }

  /** Copies `value` to the last slab (or a new one); returns where it lies. */
  #copy(value: string | Uint8Array): [number, number, number] {
    const worst = typeof value === "string"
      ? value.length * 3
      : value.byteLength;
    let last = this.#slabs.at(-1);
    if (!last || this.#used + worst > last.byteLength) {
      last = worst <= SLAB_BYTES && this.#spare.pop() ||
        Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, worst));
      this.#slabs.push(last);
      this.#used = 0;
    }
    const offset = this.#used;
    let length: number;
    if (typeof value === "string") {
      length = encoder.encodeInto(value, last.subarray(offset)).written;
    } else {
      last.set(value, offset);
      length = value.byteLength;
    }
    this.#used += length;
    return [this.#firstSlab + this.#slabs.length - 1, offset, length];
  }

  #keyId(key: string): number {
    let id = this.#keyIds.get(key);
    if (id === undefined) {
      id = this.#keys.push(key) - 1;
      this.#keyIds.set(key, id);
    }
    return id;
  }
}
