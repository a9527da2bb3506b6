/**
 * Which offset of a partition is safe to commit: the first record not yet
 * durably written, held lower by anything an open window still needs.
 *
 * @module
 */

interface Span {
  first: number;
  last: number;
  done: boolean;
}

/**
 * Tracks spans of consecutive records (one per write) in arrival order.
 *
 * @example
 * ```ts
 * import { OffsetTracker } from "./offset_tracker.ts";
 * const t = new OffsetTracker(0);
 * const id = t.received(0, 9);
 * t.written(id);
 * t.committable([]); // 10
 * ```
 */
export class OffsetTracker {
  private readonly spans: Span[] = [];
  private head = 0;
  private next: number;

  /** @param start The first offset this tracker will see (the committed offset). */
  constructor(start: number) {
    this.next = start;
  }

  /** Records that offsets `first..last` are in flight; returns a handle for {@linkcode written}. */
  received(first: number, last: number): Span {
    const span = { first, last, done: false };
    this.spans.push(span);
    this.next = last + 1;
    return span;
  }

  /** Marks a span durable. */
  written(span: Span): void {
    span.done = true;
    while (this.head < this.spans.length && this.spans[this.head].done) {
      this.head++;
    }
    if (this.head > 1024) {
      this.spans.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The first offset not yet durably written (or the next to arrive). */
  firstUnwritten(): number {
    return this.head < this.spans.length
      ? this.spans[this.head].first
      : this.next;
  }

  /** The offset after the last one received. */
  nextOffset(): number {
    return this.next;
  }

  /** Number of spans still being written. */
  inFlight(): number {
    let n = 0;
    for (let i = this.head; i < this.spans.length; i++) {
      if (!this.spans[i].done) n++;
    }
    return n;
  }

  /** The offset to commit: below every unwritten record and every `holds` offset. */
  committable(holds: Iterable<number>): number {
    let offset = this.firstUnwritten();
    for (const h of holds) if (h < offset) offset = h;
    return offset;
  }
}
