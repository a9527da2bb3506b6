/**
 * Replay of a recorded feed: a file of Finnhub messages, one JSON text per
 * line, sent again at the recorded pace (or faster), with trade times shifted
 * so the recording looks live.
 *
 * @module
 */

/** Times before 2000-01-01 are not epoch milliseconds (seconds, junk): never pace or shift by them. */
const MIN_PLAUSIBLE_MS = Date.UTC(2000, 0, 1);
/** Only times this close to the recording's start are shifted, so deliberately bad ones stay bad. */
const RETIME_WINDOW_MS = 7 * 86_400_000;

/** One recorded line. `trades` is set for `{"type":"trade","data":[...]}` lines. */
export interface ReplayLine {
  /** The line as recorded; non-trade lines are sent exactly so. */
  text: string;
  trades?: Array<Record<string, unknown>>;
  /** Recorded time of the line: its first plausible epoch-ms `t`, else the previous line's. */
  recordedAt?: number;
}

/** Thrown when a replay file cannot be read. */
export class FeedReplayError extends Error {
  override name = "FeedReplayError";
  constructor(path: string, cause: unknown) {
    super(
      `cannot read replay file ${path}: ${
        cause instanceof Error ? cause.message : String(cause)
      }; ` +
        `check the path (FEED_REPLAY_FILE) and that --allow-read covers it`,
      { cause },
    );
  }
}

/**
 * Splits a recording into lines; blank lines are skipped, anything else kept
 * (a recording may hold junk on purpose, to test the parser downstream).
 *
 * @example
 * ```ts
 * import { parseReplay } from "./replay.ts";
 * const lines = parseReplay('{"type":"trade","data":[{"s":"AAPL","p":1,"t":1700000000000,"v":1}]}\n{"type":"ping"}\n');
 * console.assert(lines.length === 2 && lines[1].recordedAt === 1700000000000);
 * ```
 */
export function parseReplay(text: string): ReplayLine[] {
  const out: ReplayLine[] = [];
  let lastRecorded: number | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      out.push({ text: line, recordedAt: lastRecorded });
      continue;
    }
    const msg = parsed as { type?: unknown; data?: unknown } | null;
    if (
      msg !== null && typeof msg === "object" && msg.type === "trade" &&
      Array.isArray(msg.data)
    ) {
      const trades = msg.data.filter((d): d is Record<string, unknown> =>
        d !== null && typeof d === "object" && !Array.isArray(d)
      );
      const first = trades.find((d) => isPlausibleMs(d.t));
      if (first) lastRecorded = first.t as number;
      out.push({ text: line, trades, recordedAt: lastRecorded });
    } else {
      out.push({ text: line, recordedAt: lastRecorded });
    }
  }
  return out;
}

/**
 * Reads and parses a recording.
 *
 * @throws {FeedReplayError} when the file cannot be read.
 * @example
 * ```ts ignore
 * import { loadReplayFile } from "./replay.ts";
 * const lines = await loadReplayFile("capture.jsonl");
 * ```
 */
export async function loadReplayFile(path: string): Promise<ReplayLine[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new FeedReplayError(path, err);
  }
  return parseReplay(text);
}

/** Options of {@linkcode ReplayCursor}. */
export interface ReplayCursorOptions {
  /**
   * 1 = recorded pace (default), 2 = twice as fast, `Infinity` = one line per
   * call of {@linkcode ReplayCursor.due}.
   */
  speed?: number;
  /** Shift trade times so the first recorded trade happens "now". Default true. */
  retime?: boolean;
}

/**
 * Walks a recording against a clock.
 *
 * @example
 * ```ts
 * import { parseReplay, ReplayCursor } from "./replay.ts";
 * const cursor = new ReplayCursor(parseReplay('{"type":"trade","data":[{"s":"A","p":1,"t":1700000000000,"v":1}]}'));
 * const [line] = cursor.due(1_800_000_000_000);
 * console.assert(line.trades?.[0].t === 1_800_000_000_000 && cursor.done);
 * ```
 */
export class ReplayCursor {
  readonly #lines: readonly ReplayLine[];
  readonly #speed: number;
  readonly #retime: boolean;
  #next = 0;
  #startedAt: number | undefined;
  #firstRecorded: number | undefined;

  constructor(lines: readonly ReplayLine[], options: ReplayCursorOptions = {}) {
    this.#lines = lines;
    this.#speed = options.speed ?? 1;
    this.#retime = options.retime ?? true;
    this.#firstRecorded = lines.find((l) => l.recordedAt !== undefined)
      ?.recordedAt;
  }

  /** True once every line was handed out. */
  get done(): boolean {
    return this.#next >= this.#lines.length;
  }

  /** The lines due by `nowMs`, in file order, trade times shifted when retiming. */
  due(nowMs: number): ReplayLine[] {
    if (this.done) return [];
    this.#startedAt ??= nowMs;
    const out: ReplayLine[] = [];
    if (this.#speed === Infinity) {
      out.push(this.#lines[this.#next++]);
    } else {
      const replayedMs = (nowMs - this.#startedAt) * this.#speed;
      while (!this.done) {
        const line = this.#lines[this.#next];
        const at = line.recordedAt ?? this.#firstRecorded;
        if (
          at !== undefined && this.#firstRecorded !== undefined &&
          at - this.#firstRecorded > replayedMs
        ) {
          break;
        }
        out.push(line);
        this.#next++;
      }
    }
    return this.#retime ? out.map((l) => this.#shift(l)) : out;
  }

  #shift(line: ReplayLine): ReplayLine {
    if (
      !line.trades || this.#firstRecorded === undefined ||
      this.#startedAt === undefined
    ) {
      return line;
    }
    const first = this.#firstRecorded;
    const offset = this.#startedAt - first;
    return {
      ...line,
      trades: line.trades.map((d) =>
        isPlausibleMs(d.t) && Math.abs(d.t - first) <= RETIME_WINDOW_MS
          ? { ...d, t: d.t + offset }
          : d
      ),
    };
  }
}

function isPlausibleMs(t: unknown): t is number {
  return Number.isSafeInteger(t) && (t as number) >= MIN_PLAUSIBLE_MS;
}
