/**
 * Runs the simulated Finnhub feed: `deno task feed [--hostname H] [--port N] [--symbols A,B]
 * [--rate N] [--seed N] [--replay FILE [--speed X] [--keep-times]]
 * [--inject-invalid F] [--max-trades N]`. `--speed 2` replays twice as fast
 * as recorded (`inf`: one line per batch); `--keep-times` sends the file's
 * own trade times instead of shifting them to now, so a replay can cross a
 * minute edge or a day or month boundary as recorded.
 * `--hostname` defaults to 127.0.0.1; a feed shared by containers (compose's
 * `feed` service) listens on 0.0.0.0 inside its network.
 * Each flag falls back to its environment variable (FEED_HOST, FEED_PORT, FEED_SYMBOLS,
 * FEED_RATE, FEED_SEED, FEED_REPLAY_FILE, FEED_REPLAY_SPEED,
 * FEED_KEEP_TIMES, FEED_INJECT_INVALID, FEED_MAX_TRADES).
 * Stops cleanly on SIGINT/SIGTERM.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type FeedLogger,
  type FeedServerOptions,
  startFeedServer,
} from "./server.ts";
import { DEFAULT_SYMBOL_LIST } from "../config/config.ts";

/** Symbols traded when FEED_SYMBOLS is not set: the ones the app ingests by default. */
export const DEFAULT_FEED_SYMBOLS: readonly string[] = DEFAULT_SYMBOL_LIST;

/** Thrown for a flag or variable the feed cannot use. */
export class FeedCliError extends Error {
  override name = "FeedCliError";
  constructor(problem: string) {
    super(`${problem}; see the usage at the top of actors/feed/cli.ts`);
  }
}

/** What the CLI starts the server with. */
export type FeedCliConfig =
  & Required<
    Pick<
      FeedServerOptions,
      "hostname" | "port" | "symbols" | "ratePerSec" | "seed"
    >
  >
  & Pick<
    FeedServerOptions,
    | "replayFile"
    | "replaySpeed"
    | "replayRetime"
    | "injectInvalid"
    | "maxTrades"
  >;

/**
 * Reads flags, then environment variables, then defaults. A missing seed is
 * drawn from `randomSeed` (and printed by the CLI, so a run can be repeated).
 *
 * @throws {FeedCliError} for unparsable values.
 * @example
 * ```ts
 * import { parseFeedCliConfig } from "./cli.ts";
 * const c = parseFeedCliConfig(["--rate", "5"], () => undefined, () => 1);
 * console.assert(c.ratePerSec === 5 && c.port === 8765);
 * ```
 */
export function parseFeedCliConfig(
  args: string[],
  env: (name: string) => string | undefined,
  randomSeed: () => number,
): FeedCliConfig {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args,
      options: {
        hostname: { type: "string" },
        port: { type: "string" },
        symbols: { type: "string" },
        rate: { type: "string" },
        seed: { type: "string" },
        replay: { type: "string" },
        speed: { type: "string" },
        "keep-times": { type: "boolean" },
        "inject-invalid": { type: "string" },
        "max-trades": { type: "string" },
      },
      strict: true,
    }).values as Record<string, string | undefined>;
    if ((values["keep-times"] as unknown) === true) values["keep-times"] = "1";
  } catch (err) {
    throw new FeedCliError(err instanceof Error ? err.message : String(err));
  }
  const pick = (flag: string, variable: string) =>
    values[flag] ?? env(variable);
  const num = (flag: string, variable: string, ok: (n: number) => boolean) => {
    const text = pick(flag, variable);
    if (text === undefined || text === "") return undefined;
    const n = Number(text);
    if (!ok(n)) {
      throw new FeedCliError(
        `--${flag} / ${variable} is not usable: ${JSON.stringify(text)}`,
      );
    }
    return n;
  };
  const isPort = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65_535;
  const symbolsText = pick("symbols", "FEED_SYMBOLS");
  const symbols = symbolsText === undefined || symbolsText.trim() === ""
    ? [...DEFAULT_FEED_SYMBOLS]
    : symbolsText.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const replayFile = pick("replay", "FEED_REPLAY_FILE");
  const speedText = pick("speed", "FEED_REPLAY_SPEED");
  let replaySpeed: number | undefined;
  if (speedText !== undefined && speedText !== "") {
    replaySpeed = /^inf(inity)?$/i.test(speedText)
      ? Infinity
      : Number(speedText);
    if (!(replaySpeed > 0)) {
      throw new FeedCliError(
        `--speed / FEED_REPLAY_SPEED must be a number > 0 or "inf": ${
          JSON.stringify(speedText)
        }`,
      );
    }
  }
  const keepTimes = pick("keep-times", "FEED_KEEP_TIMES");
  if ((replaySpeed !== undefined || keepTimes) && !replayFile) {
    throw new FeedCliError("--speed and --keep-times need --replay FILE");
  }
  const hostname = pick("hostname", "FEED_HOST")?.trim() || "127.0.0.1";
  if (/[\s/]/.test(hostname)) {
    throw new FeedCliError(
      `--hostname / FEED_HOST must be an address or host name, e.g. 0.0.0.0: ${
        JSON.stringify(hostname)
      }`,
    );
  }
  return {
    hostname,
    port: num("port", "FEED_PORT", isPort) ?? 8765,
    symbols,
    ratePerSec: num("rate", "FEED_RATE", (n) => Number.isFinite(n) && n >= 0) ??
      100,
    seed: num("seed", "FEED_SEED", Number.isSafeInteger) ?? randomSeed(),
    ...(replayFile ? { replayFile } : {}),
    ...(replaySpeed !== undefined ? { replaySpeed } : {}),
    ...(keepTimes && keepTimes !== "0" && keepTimes !== "false"
      ? { replayRetime: false }
      : {}),
    ...optional(
      "injectInvalid",
      num("inject-invalid", "FEED_INJECT_INVALID", (n) => n >= 0 && n <= 1),
    ),
    ...optional(
      "maxTrades",
      num(
        "max-trades",
        "FEED_MAX_TRADES",
        (n) => Number.isInteger(n) && n >= 0,
      ),
    ),
  };
}

function optional<K extends string>(
  key: K,
  value: number | undefined,
): Partial<Record<K, number>> {
  return value === undefined ? {} : { [key]: value } as Record<K, number>;
}

function consoleLogger(): FeedLogger {
  const line = (level: string, msg: string, fields?: Record<string, unknown>) =>
    console.error(
      JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }),
    );
  return {
    info: (msg, fields) => line("info", msg, fields),
    warn: (msg, fields) => line("warn", msg, fields),
  };
}

async function main(): Promise<void> {
  let config: FeedCliConfig;
  try {
    config = parseFeedCliConfig(
      Deno.args,
      (name) => Deno.env.get(name),
      () => crypto.getRandomValues(new Uint32Array(1))[0],
    );
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(2);
  }
  const feed = await startFeedServer({ ...config, logger: consoleLogger() });
  console.error(
    `feed on ${feed.url} symbols=${
      config.symbols.join(",")
    } rate=${config.ratePerSec}/s ` +
      `seed=${config.seed}${
        config.replayFile
          ? ` replay=${config.replayFile} speed=${config.replaySpeed ?? 1}` +
            (config.replayRetime === false ? " keep-times" : "")
          : ""
      }`,
  );
  const stop = () => {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    // Once closed, no timer or listener is left, so the process ends by itself.
    feed.close().then(() => console.error("feed stopped"));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) await main();
