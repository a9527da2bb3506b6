/**
 * The ingest journal: feed frames written to a local file as they arrive,
 * so trades a SIGKILLed process had read are recovered by the next start.
 *
 * @example
 * ```ts ignore
 * import { FrameJournal } from "./mod.ts";
 * const journal = FrameJournal.open({ dir: ".tickline/journal", topic: "trades", now: () => Date.now() });
 * ```
 *
 * @module
 */
export {
  DEFAULT_PART_BYTES,
  FrameJournal,
  JournalDirError,
  type JournalOptions,
  type JournalOwnership,
  type JournalTail,
} from "./frame_journal.ts";
export {
  decodeJournal,
  type IngestState,
  JournalEncoder,
  JournalFormatError,
  type JournalRecord,
} from "./journal_records.ts";
