/**
 * The pipeline's actors: ingest, consumer, partition, window and writer,
 * and the offset tracker that decides what may be committed.
 *
 * @example
 * ```ts ignore
 * import { consumerProps, ingestProps, WriterPool, writersProps } from "./mod.ts";
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
} from "./ingest_actor.ts";
export { OffsetTracker } from "./offset_tracker.ts";
export {
  type PartitionDeps,
  type PartitionMsg,
  partitionProps,
  type PartitionRef,
} from "./partition_actor.ts";
export {
  type ClosedWindow,
  type WindowMsg,
  windowProps,
  type WindowReport,
  type WindowSettings,
} from "./window_actor.ts";
export {
  type WriterDeps,
  type WriterMsg,
  WriterPool,
  writerProps,
  type WriterRefs,
  type WritersMsg,
  writersProps,
} from "./writer_actor.ts";
