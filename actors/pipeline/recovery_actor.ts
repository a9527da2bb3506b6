/**
 * The recovery actor: finds the journal's tails (frames an ended ingest had
 * read but not settled) and produces the trades of each that Kafka lacks
 * ({@linkcode recoverTail}), one tail at a time, then deletes it. It looks
 * at start and every few seconds (a restarted ingest actor leaves a tail
 * too). Kafka being down is waited out with back-off; the tail stays on
 * disk until its recovery succeeds.
 *
 * @module
 */
import { Backoff } from "../../runtime/mod.ts";
import type { ActorContext, ActorProps } from "../../runtime/types.ts";
import {
  type FrameJournal,
  JournalFormatError,
  type JournalTail,
} from "../journal/mod.ts";
import type { PipelineMetrics } from "../metrics/mod.ts";
import type { RecoveryDeps, RecoveryOutcome } from "./tail_recovery.ts";
import { recoverTail } from "./tail_recovery.ts";

/** Messages of the recovery actor. */
export type RecoveryMsg =
  | { type: "check" }
  | { type: "recovered"; session: string; outcome: RecoveryOutcome }
  | {
    type: "failed";
    session: string;
    error: string;
    /** The tail cannot be decoded: trying again would not help. */
    unreadable: boolean;
  };

/** What the recovery actor needs. */
export interface RecoveryActorDeps extends RecoveryDeps {
  journal: FrameJournal;
  metrics: PipelineMetrics;
  /**
   * A tail this process ended (a restarted ingest actor) waits this long:
   * a produce its predecessor left pending may land meanwhile, and must be
   * seen in Kafka, not produced again. Longer than a produce's time-out.
   */
  holdMs: number;
  /** How often to look for tails. */
  checkIntervalMs: number;
}

/**
 * Builds the props of the recovery actor.
 *
 * @example
 * ```ts ignore
 * await system.spawn("recovery", recoveryProps({ journal, metrics, rules, scan, produce,
 *   holdMs: 15_000, checkIntervalMs: 5_000 }));
 * ```
 */
export function recoveryProps(
  deps: RecoveryActorDeps,
): ActorProps<RecoveryMsg> {
  return {
    kind: "recovery",
    factory: (ctx) => recoveryActor(deps, ctx),
  };
}

function recoveryActor(
  deps: RecoveryActorDeps,
  ctx: ActorContext<RecoveryMsg>,
) {
  const backoff = new Backoff({
    minMs: 500,
    maxMs: 15_000,
    resetAfterMs: 60_000,
  });
  /** The tail being recovered, if any. */
  let busy: JournalTail | undefined;
  let failures = 0;
  /** No try before this (UNIX ms) after a failure. */
  let retryAt = -Infinity;
  const tell = (msg: RecoveryMsg) => ctx.self.tell(msg).catch(() => {});

  const check = () => {
    const tails = deps.journal.tails();
    deps.metrics.journalTails.set(tails.length);
    const now = ctx.clock.now();
    if (busy || now < retryAt) return;
    const due = tails.find((t) =>
      t.endedAt === undefined || now - t.endedAt >= deps.holdMs
    );
    if (!due) return;
    busy = due;
    recoverTail(due, deps).then(
      (outcome) => tell({ type: "recovered", session: due.session, outcome }),
      (e) =>
        tell({
          type: "failed",
          session: due.session,
          error: e instanceof Error ? e.message : String(e),
          unreadable: e instanceof JournalFormatError,
        }),
    );
  };

  return {
    preStart() {
      check();
      ctx.timers.startPeriodic(
        "check",
        { type: "check" },
        deps.checkIntervalMs,
      );
    },
    receive(msg: RecoveryMsg): void {
      switch (msg.type) {
        case "check":
          return check();
        case "recovered": {
          if (busy?.session !== msg.session) return;
          const { outcome } = msg;
          deps.journal.remove(busy);
          busy = undefined;
          failures = 0;
          retryAt = -Infinity;
          deps.metrics.journalRecoveredTrades.inc(
            { outcome: "produced" },
            outcome.produced,
          );
          deps.metrics.journalRecoveredTrades.inc(
            { outcome: "in_kafka" },
            outcome.inKafka,
          );
          ctx.log.info("recovered an ingest journal tail", {
            session: msg.session,
            frames: outcome.frames,
            trades: outcome.trades,
            alreadyInKafka: outcome.inKafka,
            produced: outcome.produced,
          });
          return check();
        }
        case "failed": {
          if (busy?.session !== msg.session) return;
          if (msg.unreadable) {
            const files = deps.journal.quarantine(busy);
            busy = undefined;
            deps.metrics.journalErrors.inc();
            ctx.log.error(
              "an ingest journal tail cannot be read; set aside, its trades are not recovered",
              { session: msg.session, error: msg.error, files },
            );
            return check();
          }
          busy = undefined;
          failures++;
          const delayMs = backoff.next(ctx.clock.now());
          // One line per outage and then one per 20 tries.
          if (failures === 1 || failures % 20 === 0) {
            ctx.log.warn(
              "cannot recover an ingest journal tail yet; retrying",
              {
                session: msg.session,
                error: msg.error,
                failures,
                delayMs,
              },
            );
          }
          retryAt = ctx.clock.now() + delayMs;
          ctx.timers.startSingle("retry", { type: "check" }, delayMs);
          return;
        }
      }
    },
  };
}
