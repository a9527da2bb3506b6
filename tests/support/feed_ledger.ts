/**
 * What the feed SENT against what Cassandra stored: the ingest tests judge
 * the pipeline by the trades the feed server delivered to subscribed
 * clients (its `onTrades`), never by what reached Kafka.
 *
 * @module
 */
import assert from "node:assert/strict";
import type cassandra from "cassandra-driver";
import type { SentTrade } from "../../actors/feed/mod.ts";
import { storedTrades, type TradeRow } from "./servers.ts";

/**
 * Collects every trade the feed delivered; pass `record` as `onTrades` and
 * `recordConnection` as `onSentTo`.
 */
export class SentLedger {
  readonly trades: SentTrade[] = [];
  /** The feed connection each delivered trade was sent on. */
  readonly connectionOf = new Map<SentTrade, number>();
  /** When each delivered trade was sent (UNIX ms). */
  readonly sentAt = new Map<SentTrade, number>();
  readonly record = (batch: readonly SentTrade[]): void => {
    for (const t of batch) this.trades.push(t);
  };
  readonly recordConnection = (
    connection: number,
    batch: readonly SentTrade[],
  ): void => {
    const at = Date.now();
    for (const t of batch) {
      this.connectionOf.set(t, connection);
      this.sentAt.set(t, at);
    }
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

/** Where on one feed connection delivered trades went missing. */
export interface ConnectionLoss {
  connection: number;
  /** Trades sent on it. */
  sent: number;
  missing: number;
  /** The missing ones are the last sent on it: those its reader had not read when it died. */
  isTail: boolean;
  /** When the last trade stored and the first missing one were sent on it (UNIX ms). */
  lastKeptAt: number;
  firstLostAt: number;
}

/**
 * The losses of `r` by the feed connection they were sent on. A process
 * killed with SIGKILL loses only what it had not read from its socket (the
 * journal holds the rest), and that is the end of what its connection was
 * sent: any other missing trade is a bug.
 */
export function lossesByConnection(
  ledger: SentLedger,
  missing: readonly number[],
): ConnectionLoss[] {
  const lost = new Set(missing);
  const byConnection = new Map<
    number,
    { sent: number; flags: boolean[]; times: number[] }
  >();
  for (let i = 0; i < ledger.trades.length; i++) {
    const t = ledger.trades[i];
    const c = ledger.connectionOf.get(t) ?? 0;
    const entry = byConnection.get(c) ?? { sent: 0, flags: [], times: [] };
    entry.sent++;
    entry.flags.push(lost.has(i));
    entry.times.push(ledger.sentAt.get(t) ?? NaN);
    byConnection.set(c, entry);
  }
  const out: ConnectionLoss[] = [];
  for (const [connection, { sent, flags, times }] of byConnection) {
    const first = flags.indexOf(true);
    if (first < 0) continue;
    out.push({
      connection,
      sent,
      missing: flags.filter(Boolean).length,
      isTail: flags.slice(first).every(Boolean),
      lastKeptAt: first > 0 ? times[first - 1] : -Infinity,
      firstLostAt: times[first],
    });
  }
  return out;
}

/**
 * One line on `losses`, for a test's report. With the times of the kills,
 * each loss says when its first trade was sent against the nearest kill:
 * after it, the feed was writing to a dead process that its own side of the
 * socket had not yet seen close; before it, the trade was in flight.
 */
export function describeLosses(
  losses: readonly ConnectionLoss[],
  killedAt: readonly number[] = [],
): string {
  return losses.map((l) => {
    const nearest = killedAt.reduce(
      (best, k) =>
        Math.abs(l.firstLostAt - k) < Math.abs(l.firstLostAt - best) ? k : best,
      Infinity,
    );
    const delta = l.firstLostAt - nearest;
    const when = nearest === Infinity
      ? ""
      : delta >= 0
      ? `, sent ${delta} ms after the nearest kill`
      : `, sent ${-delta} ms before the nearest kill`;
    return `#${l.connection} ${l.missing} of ${l.sent}${
      l.isTail ? " (its last" : " (NOT its last: read and lost"
    }${when})`;
  }).join(", ") || "none";
}

/**
 * Fails unless `losses` are what `kills` SIGKILLs may cost: losses on at
 * most that many connections, each the end of its stream. What a killed
 * instance had read is in its journal; only what it had not read is lost.
 */
export function assertLossesOnlyAtKills(
  losses: readonly ConnectionLoss[],
  kills: number,
): void {
  assert.ok(
    losses.length <= kills,
    `losses on ${losses.length} connections, more than the ${kills} killed`,
  );
  for (const l of losses) {
    assert.ok(
      l.isTail,
      `connection ${l.connection} lost trades before others it delivered: ` +
        `trades its instance had read were lost`,
    );
  }
}
