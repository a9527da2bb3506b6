/**
 * The pipeline's actors: ingest, consumer, partition, window and writer,
 * and the commit gate that decides what may be committed.
 *
 * @example
 * ```ts ignore
 * import { consumerProps, ingestProps, spawnWriters } from "./mod.ts";
 * ```
 *
 * @module
 */
export {
  type ConsumerDeps,
  type ConsumerMsg,
  consumerProps,
  type ConsumerStatus,
} from "./consumer_actor.ts";
export {
  type IngestDeps,
  type IngestMsg,
  ingestProps,
  type IngestStatus,
  quiesceIngest,
} from "./ingest_actor.ts";
export {
  type LeaseDeps,
  type LeaseMsg,
  leaseProps,
  type Leases,
} from "./lease_actor.ts";
export { ownedSymbols, shardOf } from "./symbol_shards.ts";
export {
  acceptTrades,
  mayIngest,
  type Ownership,
  type TradeRules,
  type TradeSink,
} from "./ingest_decision.ts";
export {
  type RecoveryActorDeps,
  type RecoveryMsg,
  recoveryProps,
} from "./recovery_actor.ts";
export {
  planTail,
  recoverTail,
  type RecoveryDeps,
  type RecoveryOutcome,
  SCAN_AFTER_MS,
  SCAN_MARGIN_MS,
  type TailPlan,
} from "./tail_recovery.ts";
export { CommitGate, type Rebuild, type SpanId } from "./commit_gate.ts";
export {
  type BatchMsg,
  type PartitionDeps,
  type PartitionMsg,
  partitionProps,
  type PartitionRef,
} from "./partition_actor.ts";
export {
  type LateTrade,
  type WindowDeps,
  type WindowMsg,
  windowProps,
  type WindowReport,
  type WindowSettings,
} from "./window_actor.ts";
export {
  spawnWriters,
  type WriteDone,
  type WriterDeps,
  type WriteRequest,
  writerProps,
  WriterRouter,
} from "./writer_actor.ts";
