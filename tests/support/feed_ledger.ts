/**
 * What the feed SENT against what Cassandra stored: the ingest tests judge
 * the pipeline by the trades the feed server delivered to subscribed
 * clients (its `onTrades`), never by what reached Kafka.
 *
 * @module
 */
import type cassandra from "cassandra-driver";
import type { SentTrade } from "../../actors/feed/mod.ts";
import { storedTrades, type TradeRow } from "./servers.ts";

/** Collects every trade the feed delivered; pass `record` as `onTrades`. */
export class SentLedger {
  readonly trades: SentTrade[] = [];
  readonly record = (batch: readonly SentTrade[]): void => {
    for (const t of batch) this.trades.push(t);
  };
  get length(): number {
    return this.trades.length;
  }
  /** Symbols, min and max time of the delivered trades. */
  span(): { from: number; to: number } {
    let from = Infinity;
    let to = -Infinity;
    for (const t of this.trades) {
      const ts = t.t as number;
      if (ts < from) from = ts;
      if (ts > to) to = ts;
    }
    return { from, to };
  }
}

/** The outcome of matching delivered trades with stored rows. */
export interface Reconciliation {
  sent: number;
  stored: number;
  /** Delivered trades not stored, in delivery order (index into the ledger). */
  missing: number[];
  /** Stored rows beyond the number of times a trade was delivered. */
  duplicated: number;
  /** Stored rows that match no delivered trade. */
  unexpected: number;
}

const keyOf = (s: unknown, t: unknown, p: unknown, v: unknown) =>
  `${s}|${t}|${p}|${v}`;

/**
 * Matches delivered trades with stored rows as multisets of
 * (symbol, time, price, volume).
 */
export function reconcile(
  sent: readonly SentTrade[],
  rows: readonly TradeRow[],
): Reconciliation {
  const stored = new Map<string, number>();
  for (const r of rows) {
    const k = keyOf(r.symbol, r.ts, r.price, r.volume);
    stored.set(k, (stored.get(k) ?? 0) + 1);
  }
  const missing: number[] = [];
  for (let i = 0; i < sent.length; i++) {
    const t = sent[i];
    const k = keyOf(t.s, t.t, t.p, t.v);
    const n = stored.get(k) ?? 0;
    if (n > 0) stored.set(k, n - 1);
    else missing.push(i);
  }
  let leftover = 0;
  for (const n of stored.values()) leftover += n;
  const sentKeys = new Set(sent.map((t) => keyOf(t.s, t.t, t.p, t.v)));
  let unexpected = 0;
  for (const r of rows) {
    if (!sentKeys.has(keyOf(r.symbol, r.ts, r.price, r.volume))) unexpected++;
  }
  return {
    sent: sent.length,
    stored: rows.length,
    missing,
    duplicated: leftover - unexpected,
    unexpected,
  };
}

/**
 * Polls Cassandra until `want(reconciliation)` holds or `timeoutMs` passes;
 * returns the last reconciliation either way.
 */
export async function reconcileWhen(
  client: cassandra.Client,
  symbols: string[],
  ledger: SentLedger,
  want: (r: Reconciliation) => boolean,
  timeoutMs: number,
): Promise<Reconciliation> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const { from, to } = ledger.span();
    const rows = await storedTrades(client, symbols, from, to);
    const r = reconcile(ledger.trades, rows);
    if (want(r) || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Fails with the first few lines that carry any of `secrets`. */
export function findSecrets(
  texts: readonly string[],
  secrets: readonly string[],
): string[] {
  const hits: string[] = [];
  for (const text of texts) {
    for (const line of text.split("\n")) {
      if (secrets.some((s) => s && line.includes(s))) hits.push(line);
    }
  }
  return hits.slice(0, 5);
}
