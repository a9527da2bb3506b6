/**
 * The one owner of "what may this partition commit": which records are
 * durably written, what each window actor still needs (open windows and
 * finals not yet written, plus trades sent to it and not yet acknowledged),
 * and which late trades still wait for their minute to be rebuilt. Pure
 * logic: the partition actor feeds it the messages it receives.
 *
 * @module
 */

/** Handle of a span of records being written; see {@linkcode CommitGate.received}. */
export type SpanId = number;

interface Span {
  first: number;
  done: boolean;
}

interface WindowHolds {
  /** What the window reported it still needs, as of `ackedSeq`. */
  reported: number | undefined;
  ackedSeq: number;
  /** Trades sent and not yet acknowledged: seq -> smallest offset sent. */
  unacked: Map<number, number>;
}

/** A minute to rebuild from the store because a trade came too late for its window. */
export interface Rebuild {
  symbol: string;
  windowStart: number;
}

interface RebuildJob extends Rebuild {
  /** Smallest late offset: the commit stays below it until rebuilt. */
  hold: number;
  /** Largest late offset: the rebuild may read the store once it is durable. */
  needDurable: number;
  running: boolean;
  /** A late trade joined while running: run once more afterwards. */
  again: boolean;
}

/**
 * Tracks one partition's commit point.
 *
 * @example
 * ```ts
 * import { CommitGate } from "./commit_gate.ts";
 * const gate = new CommitGate(0);
 * const span = gate.received(0, 9);
 * gate.sentToWindow("AAPL", 1, 0);
 * gate.written(span);
 * console.assert(gate.committable() === 0); // the window has not answered
 * gate.windowReport("AAPL", 1, undefined);
 * console.assert(gate.committable() === 10);
 * ```
 */
export class CommitGate {
  readonly #spans: Span[] = [];
  #head = 0;
  #next: number;
  #nextSpan = 0;
  readonly #byId = new Map<SpanId, Span>();
  readonly #windows = new Map<string, WindowHolds>();
  readonly #rebuilds = new Map<string, RebuildJob>();

  /** @param start The first offset to arrive (the committed offset). */
  constructor(start: number) {
    this.#next = start;
  }

  /** Records `first..last` arrived and are being written. */
  received(first: number, last: number): SpanId {
    const span = { first, done: false };
    this.#spans.push(span);
    this.#next = last + 1;
    const id = this.#nextSpan++;
    this.#byId.set(id, span);
    return id;
  }

  /** Marks a span durable; unknown ids are ignored. */
  written(id: SpanId): void {
    const span = this.#byId.get(id);
    if (!span) return;
    this.#byId.delete(id);
    span.done = true;
    while (this.#head < this.#spans.length && this.#spans[this.#head].done) {
      this.#head++;
    }
    if (this.#head > 1024 || this.#head === this.#spans.length) {
      this.#spans.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Spans still being written. */
  get writesInFlight(): number {
    return this.#byId.size;
  }

  /** The first offset not yet durably written (or the next to arrive). */
  firstUnwritten(): number {
    return this.#head < this.#spans.length
      ? this.#spans[this.#head].first
      : this.#next;
  }

  /** Trades from `minOffset` on went to `symbol`'s window as message `seq`. */
  sentToWindow(symbol: string, seq: number, minOffset: number): void {
    this.#holdsOf(symbol).unacked.set(seq, minOffset);
  }

  /**
   * The window of `symbol` handled every message up to `seq` and still needs
   * offsets from `hold` on (`undefined`: nothing).
   */
  windowReport(symbol: string, seq: number, hold: number | undefined): void {
    const w = this.#holdsOf(symbol);
    if (seq < w.ackedSeq) return; // overtaken by a newer report
    w.ackedSeq = seq;
    w.reported = hold;
    for (const s of w.unacked.keys()) if (s <= seq) w.unacked.delete(s);
  }

  /** Messages sent to `symbol`'s window and not yet acknowledged. */
  unacked(symbol: string): number {
    return this.#windows.get(symbol)?.unacked.size ?? 0;
  }

  /** True when `symbol`'s window needs nothing and owes no answer. */
  windowIdle(symbol: string): boolean {
    const w = this.#windows.get(symbol);
    return !w || (w.reported === undefined && w.unacked.size === 0);
  }

  /** Forgets an idle window (stopped to save memory); its next message starts at seq 1 again. */
  forgetWindow(symbol: string): void {
    this.#windows.delete(symbol);
  }

  /** A trade at `offset` came after its window of `windowStart` was final. */
  lateTrade(symbol: string, windowStart: number, offset: number): void {
    const key = `${symbol}\u0000${windowStart}`;
    const job = this.#rebuilds.get(key);
    if (!job) {
      this.#rebuilds.set(key, {
        symbol,
        windowStart,
        hold: offset,
        needDurable: offset,
        running: false,
        again: false,
      });
      return;
    }
    job.hold = Math.min(job.hold, offset);
    job.needDurable = Math.max(job.needDurable, offset);
    if (job.running) job.again = true;
  }

  /** Rebuilds whose late trades are durable; each is marked running. */
  takeReadyRebuilds(): Rebuild[] {
    const durable = this.firstUnwritten();
    const ready: Rebuild[] = [];
    for (const job of this.#rebuilds.values()) {
      if (job.running || job.needDurable >= durable) continue;
      job.running = true;
      ready.push({ symbol: job.symbol, windowStart: job.windowStart });
    }
    return ready;
  }

  /** A rebuild finished; it runs again if a late trade joined meanwhile. */
  rebuilt(symbol: string, windowStart: number): void {
    const key = `${symbol}\u0000${windowStart}`;
    const job = this.#rebuilds.get(key);
    if (!job) return;
    if (job.again) {
      job.running = false;
      job.again = false;
    } else {
      this.#rebuilds.delete(key);
    }
  }

  /** Rebuilds pending or running. */
  get rebuildsPending(): number {
    return this.#rebuilds.size;
  }

  /** The offset to commit: below every unwritten record and everything still needed. */
  committable(): number {
    let offset = this.firstUnwritten();
    for (const w of this.#windows.values()) {
      if (w.reported !== undefined && w.reported < offset) offset = w.reported;
      for (const min of w.unacked.values()) if (min < offset) offset = min;
    }
    for (const job of this.#rebuilds.values()) {
      if (job.hold < offset) offset = job.hold;
    }
    return offset;
  }

  #holdsOf(symbol: string): WindowHolds {
    let w = this.#windows.get(symbol);
    if (!w) {
      w = { reported: undefined, ackedSeq: 0, unacked: new Map() };
      this.#windows.set(symbol, w);
    }
    return w;
  }
}
