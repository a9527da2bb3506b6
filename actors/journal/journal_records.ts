/**
 * The byte format of the ingest journal: a file is a sequence of records,
 * each written with one `write` so a SIGKILL leaves at most the last one
 * torn, which {@linkcode decodeJournal} ignores.
 *
 * - `frame`: a feed frame as the socket gave it, with the journal's
 *   sequence number and the time it arrived (the trades' `ingestedAt`).
 * - `settled`: every frame up to `seq` is settled: its trades were
 *   acknowledged by Kafka, or rejected, dropped or not ours.
 * - `state`: from the frame after `afterSeq` on, the ingest owned these
 *   symbols until `leaseUntil`, producing to `topic`.
 *
 * Little-endian; numbers are float64 (exact for sequence numbers and UNIX
 * ms, and `leaseUntil` may be `Infinity`).
 *
 * @module
 */

const FRAME = 1;
const SETTLED = 2;
const STATE = 3;
const FRAME_HEADER = 1 + 8 + 8 + 4;
const SETTLED_BYTES = 1 + 8;
const STATE_HEADER = 1 + 8 + 8 + 4;

/** What the ingest owned, as the journal records it. */
export interface IngestState {
  /** The trades topic the ingest produced to. */
  topic: string;
  owned: string[];
  /** Symbols given up whose frames still in flight remain ours. */
  released: string[];
  /** Frames that arrived after this (UNIX ms) were not ours. */
  leaseUntil: number;
}

/** One decoded journal record. */
export type JournalRecord =
  | { kind: "frame"; seq: number; at: number; text: string }
  | { kind: "settled"; seq: number }
  | { kind: "state"; afterSeq: number; state: IngestState };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes records into one reusable buffer: the ingest writes a frame per
 * socket message, so no allocation per record.
 *
 * @example
 * ```ts
 * import { decodeJournal, JournalEncoder } from "./journal_records.ts";
 * const bytes = new JournalEncoder().frame(1, 1700000000000, '{"type":"ping"}').slice();
 * console.assert(decodeJournal(bytes).records[0].kind === "frame");
 * ```
 */
export class JournalEncoder {
  #buf = new Uint8Array(64 * 1024);
  #view = new DataView(this.#buf.buffer);

  /** A `frame` record; the view is valid until the next call. */
  frame(seq: number, at: number, text: string): Uint8Array {
    // Feed frames are ASCII: a byte per character. Room for the worst case
    // (3 bytes per UTF-16 unit) only when that fell short, so a flood of
    // megabyte frames does not keep three times their size.
    this.#room(FRAME_HEADER + text.length);
    let { read, written } = encoder.encodeInto(
      text,
      this.#buf.subarray(FRAME_HEADER),
    );
    if (read < text.length) {
      this.#room(FRAME_HEADER + text.length * 3);
      ({ read, written } = encoder.encodeInto(
        text,
        this.#buf.subarray(FRAME_HEADER),
      ));
    }
    this.#view.setUint8(0, FRAME);
    this.#view.setFloat64(1, seq, true);
    this.#view.setFloat64(9, at, true);
    this.#view.setUint32(17, written, true);
    return this.#buf.subarray(0, FRAME_HEADER + written);
  }

  /** A `settled` record; the view is valid until the next call. */
  settled(seq: number): Uint8Array {
    this.#view.setUint8(0, SETTLED);
    this.#view.setFloat64(1, seq, true);
    return this.#buf.subarray(0, SETTLED_BYTES);
  }

  /** A `state` record; the view is valid until the next call. */
  state(afterSeq: number, state: IngestState): Uint8Array {
    const json = encoder.encode(JSON.stringify({
      topic: state.topic,
      owned: state.owned,
      released: state.released,
    }));
    this.#room(STATE_HEADER + json.length);
    this.#view.setUint8(0, STATE);
    this.#view.setFloat64(1, afterSeq, true);
    this.#view.setFloat64(9, state.leaseUntil, true);
    this.#view.setUint32(17, json.length, true);
    this.#buf.set(json, STATE_HEADER);
    return this.#buf.subarray(0, STATE_HEADER + json.length);
  }

  #room(bytes: number): void {
    if (bytes <= this.#buf.length) return;
    this.#buf = new Uint8Array(Math.max(bytes, this.#buf.length * 2));
    this.#view = new DataView(this.#buf.buffer);
  }
}

/** Thrown for bytes that are not a journal (a record of unknown kind). */
export class JournalFormatError extends Error {
  override name = "JournalFormatError";
  constructor(offset: number, kind: number) {
    super(
      `not an ingest journal: a record of unknown kind ${kind} at byte ${offset}. ` +
        `Move the file out of the journal directory (INGEST_JOURNAL_DIR); ` +
        `its trades are not recovered.`,
    );
  }
}

/**
 * Decodes a journal file. A record cut short at the end (the write a SIGKILL
 * interrupted) is left out and its bytes counted in `tornBytes`.
 *
 * @throws {JournalFormatError} on a record of unknown kind.
 * @example
 * ```ts
 * import { decodeJournal, JournalEncoder } from "./journal_records.ts";
 * const whole = new JournalEncoder().settled(7).slice();
 * const { records, tornBytes } = decodeJournal(whole.subarray(0, 4));
 * console.assert(records.length === 0 && tornBytes === 4);
 * ```
 */
export function decodeJournal(
  bytes: Uint8Array,
): { records: JournalRecord[]; tornBytes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: JournalRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    const kind = view.getUint8(at);
    if (kind === SETTLED) {
      if (at + SETTLED_BYTES > bytes.length) break;
      records.push({ kind: "settled", seq: view.getFloat64(at + 1, true) });
      at += SETTLED_BYTES;
      continue;
    }
    if (kind !== FRAME && kind !== STATE) {
      throw new JournalFormatError(at, kind);
    }
    if (at + FRAME_HEADER > bytes.length) break;
    const length = view.getUint32(at + 17, true);
    const end = at + FRAME_HEADER + length;
    if (end > bytes.length) break;
    const first = view.getFloat64(at + 1, true);
    const second = view.getFloat64(at + 9, true);
    const text = decoder.decode(bytes.subarray(at + FRAME_HEADER, end));
    if (kind === FRAME) {
      records.push({ kind: "frame", seq: first, at: second, text });
    } else {
      const { topic, owned, released } = JSON.parse(text);
      records.push({
        kind: "state",
        afterSeq: first,
        state: { topic, owned, released, leaseUntil: second },
      });
    }
    at = end;
  }
  return { records, tornBytes: bytes.length - at };
}
