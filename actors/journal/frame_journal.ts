/**
 * The ingest journal: every feed frame is appended to a local file the
 * moment the socket hands it over, before the ingest parses it, and the
 * ingest marks frames settled once Kafka has acknowledged their trades. A
 * process killed with SIGKILL leaves the page cache behind, so the next
 * process to open the journal finds the frames it had read but not settled
 * (a "tail") and produces the trades Kafka lacks (`tail_recovery.ts`): the
 * feed cannot replay them, so nothing else could.
 *
 * Layout: `<dir>/slot-<n>/` is one process's, held by an advisory lock on
 * `slot-<n>/lock` that the kernel drops when the process dies. A process
 * takes the first free slot, so instances on one host share a directory, and
 * adopts the files of every other free slot: a tail left by an instance
 * that did not come back is recovered by the next one that starts. Files
 * are `<session>.<part>.journal`; a session is one run of the ingest actor,
 * split into parts of about `partBytes` that are deleted once settled.
 *
 * The journal survives a process kill, not a power loss: it does not fsync.
 *
 * @module
 */
import { type IngestState, JournalEncoder } from "./journal_records.ts";

/** What the ingest owns, as it tells the journal (the topic is the journal's). */
export type JournalOwnership = Omit<IngestState, "topic">;

/** Default size of one journal part before the next begins. */
export const DEFAULT_PART_BYTES = 64 * 1024 * 1024;

/** The files of one session that ended with frames not settled. */
export interface JournalTail {
  session: string;
  /** Paths, in order. */
  files: string[];
  /**
   * When this process ended the session (a restarted ingest actor), so a
   * send its predecessor left pending may still land; absent for a tail a
   * process left behind when it died.
   */
  endedAt?: number;
}

/** Settings of {@linkcode FrameJournal.open}. */
export interface JournalOptions {
  /** The journal directory; created if missing. */
  dir: string;
  /** The trades topic the ingest produces to: recovery produces there. */
  topic: string;
  now: () => number;
  /** Start a new part once the current one holds this many bytes. */
  partBytes?: number;
  /** A write failed: the journal stops (the ingest goes on without it). */
  onError?: (error: Error) => void;
}

/** Thrown when the journal directory cannot be used. */
export class JournalDirError extends Error {
  override name = "JournalDirError";
  constructor(dir: string, cause: unknown) {
    super(
      `cannot use the ingest journal directory ${dir}: ${
        (cause as Error).message ?? cause
      }. Make it writable, set INGEST_JOURNAL_DIR to a writable directory, or ` +
        `set INGEST_JOURNAL_DIR=off to run without a journal (a SIGKILL ` +
        `then loses the trades not yet in Kafka).`,
      { cause },
    );
  }
}

const SUFFIX = ".journal";

/**
 * One process's journal slot.
 *
 * @example
 * ```ts ignore
 * const journal = FrameJournal.open({ dir: ".tickline/journal", topic: "trades", now: () => Date.now() });
 * journal.begin({ owned: ["AAPL"], released: [], leaseUntil: Infinity });
 * const seq = journal.appendFrame('{"type":"trade","data":[]}', Date.now());
 * journal.settled(seq);
 * journal.close();
 * ```
 */
export class FrameJournal {
  readonly slotDir: string;
  readonly #lock: Deno.FsFile;
  readonly #opts: Required<Omit<JournalOptions, "onError">> & JournalOptions;
  readonly #encoder = new JournalEncoder();
  #session?: string;
  #file?: Deno.FsFile;
  #part = 0;
  #partBytes = 0;
  /** Parts of this session already closed, with their last frame. */
  #closed: { path: string; lastSeq: number }[] = [];
  #seq = 0;
  /** The last frame of the current session (0: none yet). */
  #lastSeq = 0;
  #settledSeq = 0;
  #state?: { afterSeq: number; state: IngestState };
  #broken = false;
  /** Sessions of this process that ended unsettled, and when. */
  readonly #ended = new Map<string, number>();

  private constructor(
    slotDir: string,
    lock: Deno.FsFile,
    opts: JournalOptions,
  ) {
    this.slotDir = slotDir;
    this.#lock = lock;
    this.#opts = { partBytes: DEFAULT_PART_BYTES, ...opts };
  }

  /**
   * Takes the first free slot of `dir` and moves the files of every other
   * free slot into it, so that all tails to recover are {@linkcode tails}.
   *
   * @throws {JournalDirError} when the directory cannot be created or locked.
   */
  static open(opts: JournalOptions): FrameJournal {
    try {
      Deno.mkdirSync(opts.dir, { recursive: true });
      const slots = [...Deno.readDirSync(opts.dir)]
        .filter((e) => e.isDirectory && /^slot-\d+$/.test(e.name))
        .map((e) => Number(e.name.slice(5)))
        .sort((a, b) => a - b);
      let mine: { dir: string; lock: Deno.FsFile } | undefined;
      for (let n = 0; !mine; n++) {
        const lock = lockSlot(`${opts.dir}/slot-${n}`);
        if (lock) mine = { dir: `${opts.dir}/slot-${n}`, lock };
      }
      for (const n of slots) {
        const dir = `${opts.dir}/slot-${n}`;
        if (dir === mine.dir) continue;
        const lock = lockSlot(dir);
        if (!lock) continue; // a live instance's
        for (const f of journalFiles(dir)) {
          Deno.renameSync(`${dir}/${f}`, `${mine.dir}/${f}`);
        }
        lock.close();
      }
      return new FrameJournal(mine.dir, mine.lock, opts);
    } catch (e) {
      if (e instanceof JournalDirError) throw e;
      throw new JournalDirError(opts.dir, e);
    }
  }

  /** Sessions in this slot other than the current one: frames to recover. */
  tails(): JournalTail[] {
    const bySession = new Map<string, string[]>();
    for (const f of journalFiles(this.slotDir)) {
      const session = f.slice(0, f.indexOf("."));
      if (session === this.#session) continue;
      const files = bySession.get(session) ?? [];
      files.push(`${this.slotDir}/${f}`);
      bySession.set(session, files);
    }
    return [...bySession].sort(([a], [b]) => a < b ? -1 : 1).map((
      [session, files],
    ) => ({ session, files: files.sort(), endedAt: this.#ended.get(session) }));
  }

  /**
   * Begins a session (a run of the ingest actor) with what it owns. The
   * previous session of this process, if it has frames, becomes a tail: a
   * restarted actor did not settle them.
   */
  begin(own: JournalOwnership): void {
    this.#endSession();
    this.#closed = [];
    this.#part = 0;
    this.#lastSeq = 0;
    this.#settledSeq = this.#seq;
    this.#session = `${String(this.#opts.now()).padStart(15, "0")}-${
      crypto.randomUUID().slice(0, 8)
    }`;
    this.#state = {
      afterSeq: this.#seq,
      state: { topic: this.#opts.topic, ...own },
    };
    this.#openPart();
  }

  /** Appends a frame as received; returns its sequence number (0: not journaled). */
  appendFrame(text: string, at: number): number {
    if (!this.#file || this.#broken) return 0;
    const seq = ++this.#seq;
    if (this.#partBytes >= this.#opts.partBytes) this.#nextPart();
    if (!this.#write(this.#encoder.frame(seq, at, text))) return 0;
    this.#lastSeq = seq;
    return seq;
  }

  /** From the frame after `afterSeq` on, the ingest owns as `state` says. */
  state(afterSeq: number, own: JournalOwnership): void {
    const state = { topic: this.#opts.topic, ...own };
    this.#state = { afterSeq, state };
    if (this.#file && !this.#broken) {
      this.#write(this.#encoder.state(afterSeq, state));
    }
  }

  /** Every frame up to `seq` is settled; parts wholly settled are deleted. */
  settled(seq: number): void {
    if (seq <= this.#settledSeq || !this.#file || this.#broken) return;
    this.#settledSeq = seq;
    this.#write(this.#encoder.settled(seq));
    while (this.#closed.length > 0 && this.#closed[0].lastSeq <= seq) {
      const { path } = this.#closed.shift()!;
      try {
        Deno.removeSync(path);
      } catch (e) {
        this.#fail(e);
      }
    }
  }

  /** True when every frame of the current session is settled. */
  get allSettled(): boolean {
    return this.#lastSeq === 0 || this.#settledSeq >= this.#lastSeq;
  }

  /**
   * Ends the session: its files are deleted if every frame is settled, and
   * kept as a tail for the next start otherwise. Frees the slot.
   */
  close(): void {
    this.#endSession();
    this.#lock.close();
  }

  /**
   * Sets `tail`'s files aside (renamed to `*.unreadable`) when they cannot be
   * decoded: kept for a person to look at, never tried again.
   */
  quarantine(tail: JournalTail): string[] {
    const moved = tail.files.map((f) => `${f}.unreadable`);
    tail.files.forEach((f, i) => Deno.renameSync(f, moved[i]));
    this.#ended.delete(tail.session);
    return moved;
  }

  /** Deletes `tail`'s files: it is recovered. */
  remove(tail: JournalTail): void {
    for (const f of tail.files) Deno.removeSync(f);
    this.#ended.delete(tail.session);
  }

  #endSession(): void {
    this.#file?.close();
    this.#file = undefined;
    const session = this.#session;
    this.#session = undefined;
    if (!session) return;
    if (!this.allSettled) {
      this.#ended.set(session, this.#opts.now());
      return;
    }
    try {
      for (const f of journalFiles(this.slotDir)) {
        if (f.startsWith(`${session}.`)) {
          Deno.removeSync(`${this.slotDir}/${f}`);
        }
      }
    } catch (e) {
      this.#fail(e);
    }
  }

  #openPart(): void {
    const path = this.#partPath(this.#part);
    try {
      this.#file = Deno.openSync(path, { create: true, append: true });
    } catch (e) {
      return this.#fail(e);
    }
    this.#partBytes = 0;
    if (this.#state) {
      this.#write(this.#encoder.state(this.#state.afterSeq, this.#state.state));
    }
  }

  #nextPart(): void {
    this.#file?.close();
    // The part's frames end before the one being appended.
    this.#closed.push({
      path: this.#partPath(this.#part),
      lastSeq: this.#seq - 1,
    });
    this.#part++;
    this.#openPart();
  }

  #partPath(part: number): string {
    return `${this.slotDir}/${this.#session}.${
      String(part).padStart(6, "0")
    }${SUFFIX}`;
  }

  #write(bytes: Uint8Array): boolean {
    try {
      let done = 0;
      while (done < bytes.length) {
        done += this.#file!.writeSync(bytes.subarray(done));
      }
      this.#partBytes += bytes.length;
      return true;
    } catch (e) {
      this.#fail(e);
      return false;
    }
  }

  #fail(e: unknown): void {
    if (this.#broken) return;
    this.#broken = true;
    this.#opts.onError?.(e instanceof Error ? e : new Error(String(e)));
  }
}

function lockSlot(dir: string): Deno.FsFile | undefined {
  Deno.mkdirSync(dir, { recursive: true });
  const lock = Deno.openSync(`${dir}/lock`, { create: true, write: true });
  if (lock.tryLockSync(true)) return lock;
  lock.close();
  return undefined;
}

function journalFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(SUFFIX))
    .map((e) => e.name)
    .sort();
}
