/**
 * Which trades of a feed frame the ingest produces: one home for the rule,
 * because the ingest actor applies it as frames arrive and the journal's
 * recovery applies it again to frames a killed process had read. Given the
 * same frame, time of arrival, rules and ownership, both get the same
 * records, byte for byte, so recovery can tell which of them Kafka already
 * has.
 *
 * @module
 */
import {
  type EncodedRecord,
  tradeRecord,
} from "../kafka/kafka_trade_producer.ts";
import type { RejectReason } from "../trade/types.ts";
import { validateTrade } from "../trade/validate.ts";

/** The validation settings the ingest applies. */
export interface TradeRules {
  allowZeroVolume: boolean;
  maxFutureSkewMs: number;
  /** A record larger than a produce request is rejected as `too_large`. */
  maxRequestBytes: number;
}

/** What the ingest owns: symbols, and until when. */
export interface Ownership {
  readonly owned: ReadonlySet<string>;
  /** Symbols given up: frames of theirs still in flight were sent to us. */
  readonly released: ReadonlySet<string>;
  /** A frame that arrived after this (UNIX ms) may have reached another owner too. */
  readonly leaseUntil: number;
}

/** Where {@linkcode acceptTrades} puts each trade of a frame. */
export interface TradeSink {
  accept(record: EncodedRecord, symbol: string): void;
  reject(raw: unknown, reason: RejectReason, detail: string): void;
  /** A valid trade of a symbol this instance does not own now. */
  notOwned(): void;
}

/**
 * True for a trade of an owned symbol, or of one given up, however late it
 * is read: the feed sends a connection's frames in order and stops a
 * symbol once it reads the unsubscribe, so any frame of it that still
 * arrives was sent before that; the next owner subscribes only the lease
 * actor's handover grace after the rebalance began, so the feed reads our
 * unsubscribe first. A time bound on our side would lose trades whenever
 * this process is slow to read its socket, and protect nothing.
 *
 * @example
 * ```ts
 * import { mayIngest } from "./ingest_decision.ts";
 * const own = { owned: new Set(["A"]), released: new Set<string>(), leaseUntil: 10 };
 * console.assert(mayIngest(own, "A", 5) && !mayIngest(own, "A", 11) && !mayIngest(own, "B", 5));
 * ```
 */
export function mayIngest(own: Ownership, symbol: string, at: number): boolean {
  if (at > own.leaseUntil) return false;
  return own.owned.has(symbol) || own.released.has(symbol);
}

/**
 * Validates and encodes the trades of one frame that arrived at `at`, in
 * order, and hands each to `sink`: accepted, rejected with its reason, or
 * not owned.
 *
 * @example
 * ```ts
 * import { acceptTrades } from "./ingest_decision.ts";
 * const records: string[] = [];
 * acceptTrades([{ s: "A", p: 1, v: 2, t: 1700000000000 }, { s: "A" }], 1700000000001,
 *   { allowZeroVolume: false, maxFutureSkewMs: 10_000, maxRequestBytes: 1e6 },
 *   { owned: new Set(["A"]), released: new Set(), leaseUntil: Infinity },
 *   { accept: (r) => records.push(r.key), reject: () => records.push("rejected"), notOwned: () => {} });
 * console.assert(records.join() === "A,rejected");
 * ```
 */
export function acceptTrades(
  raws: readonly unknown[],
  at: number,
  rules: TradeRules,
  own: Ownership,
  sink: TradeSink,
): void {
  for (const raw of raws) {
    const result = validateTrade(raw, {
      receivedAt: at,
      allowZeroVolume: rules.allowZeroVolume,
      maxFutureSkewMs: rules.maxFutureSkewMs,
    });
    if (!result.ok) {
      sink.reject(raw, result.reason, result.detail);
      continue;
    }
    const record = tradeRecord(result.trade);
    if (record.bytes > rules.maxRequestBytes) {
      sink.reject(
        raw,
        "too_large",
        `trade record of ${record.bytes} bytes exceeds KAFKA_MAX_REQUEST_BYTES (${rules.maxRequestBytes})`,
      );
      continue;
    }
    if (!mayIngest(own, result.trade.symbol, at)) {
      // Another instance holds this symbol's lease (or may, by now).
      sink.notOwned();
      continue;
    }
    sink.accept(record, result.trade.symbol);
  }
}
