/**
 * The lease actor: holds this instance's ingest leases (see
 * `actors/kafka/ingest_leases.ts`) and tells the ingest actor which symbols
 * it owns and until when. Lease events come back as messages; joining is
 * retried with back-off while Kafka is down, never a crash loop.
 *
 * @module
 */
import { Backoff } from "../../runtime/mod.ts";
import type {
  ActorContext,
  ActorProps,
  ActorRef,
} from "../../runtime/types.ts";
import type { LeaseListener } from "../kafka/ingest_leases.ts";
import type { IngestMsg } from "./ingest_actor.ts";
import { ownedSymbols } from "./symbol_shards.ts";

/** What the lease actor needs of the leases. */
export interface Leases {
  start(listener: LeaseListener): Promise<void>;
  stop(): Promise<void>;
}

/** Messages of the lease actor. */
export type LeaseMsg =
  | { type: "released" }
  | { type: "assigned"; shards: number[] }
  | { type: "apply"; shards: number[]; generation: number }
  | { type: "renewed"; at: number }
  | { type: "join" }
  | { type: "start-failed"; generation: number; error: unknown };

/** What the lease actor needs. */
export interface LeaseDeps {
  leases: Leases;
  ingest: ActorRef<IngestMsg>;
  symbols: readonly string[];
  shards: number;
  /** The coordinator gives a silent member's shards away after this long. */
  sessionTimeoutMs: number;
}

/** Kept off the session time-out: the coordinator's clock started before our heartbeat's answer. */
const SAFETY_MS = 1_000;
/**
 * Wait between being assigned shards and subscribing their symbols: the
 * previous owner gave them up when the rebalance began, but its unsubscribe
 * may still be on its way to the feed, and it still takes every frame the
 * feed sent before reading it. The feed reads that unsubscribe first unless
 * it lags by more than this.
 */
export const HANDOVER_GRACE_MS = 250;

/**
 * Builds the props of the lease actor.
 *
 * @example
 * ```ts ignore
 * await system.spawn("leases", leaseProps({ leases, ingest, symbols, shards: 16, sessionTimeoutMs: 10_000 }));
 * ```
 */
export function leaseProps(deps: LeaseDeps): ActorProps<LeaseMsg> {
  return {
    kind: "leases",
    factory: (ctx) => leaseActor(deps, ctx),
  };
}

function leaseActor(deps: LeaseDeps, ctx: ActorContext<LeaseMsg>) {
  const backoff = new Backoff({
    minMs: 250,
    maxMs: 10_000,
    resetAfterMs: 60_000,
  });
  let generation = 0;
  // Bumped by every lease event, so a pending apply of an older assignment is dropped.
  let assignment = 0;
  const tell = (msg: LeaseMsg) => ctx.self.tell(msg).catch(() => {});
  const listener: LeaseListener = {
    released: () => tell({ type: "released" }),
    assigned: (shards) => tell({ type: "assigned", shards }),
    renewed: (at) => tell({ type: "renewed", at }),
  };
  const join = () => {
    const gen = ++generation;
    deps.leases.start(listener).catch((error) =>
      tell({ type: "start-failed", generation: gen, error })
    );
  };
  const own = (symbols: string[]) =>
    deps.ingest.tell({ type: "own", symbols }).catch(() => {});
  return {
    preStart() {
      join();
    },
    async receive(msg: LeaseMsg): Promise<void> {
      switch (msg.type) {
        case "released":
          assignment++;
          return await own([]);
        case "assigned":
          ctx.timers.startSingle("apply", {
            type: "apply",
            shards: msg.shards,
            generation: ++assignment,
          }, HANDOVER_GRACE_MS);
          return;
        case "apply": {
          if (msg.generation !== assignment) return;
          const symbols = ownedSymbols(deps.symbols, deps.shards, msg.shards);
          ctx.log.info("ingest shards assigned", {
            shards: msg.shards.length,
            symbols: symbols.length,
          });
          return await own(symbols);
        }
        case "renewed":
          await deps.ingest.tell({
            type: "lease",
            until: msg.at + deps.sessionTimeoutMs - SAFETY_MS,
          });
          return;
        case "join":
          return join();
        case "start-failed": {
          if (msg.generation !== generation) return;
          const delayMs = backoff.next(ctx.clock.now());
          ctx.log.warn("cannot join the ingest lease group; retrying", {
            error: String(msg.error),
            delayMs,
          });
          await deps.leases.stop().catch(() => {});
          ctx.timers.startSingle("join", { type: "join" }, delayMs);
          return;
        }
      }
    },
    async postStop() {
      await own([]);
      await deps.leases.stop();
    },
  };
}
