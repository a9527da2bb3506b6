/**
 * Logger factories. Each call builds a new logger: there is no shared
 * global one, so two systems in one process can log differently.
 *
 * @module
 */

import type { Logger } from "./types.ts";

/** Severity threshold of {@linkcode consoleLogger}. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options of {@linkcode consoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Wall-clock source of the timestamp on each line (UNIX ms). Default `Date.now`. */
  now?: () => number;
}

/**
 * A logger writing one line per entry to the console, at `level` and above:
 * `2026-01-02T03:04:05.678Z LEVEL message {"path":"/app/a",...}`. Each line
 * starts with an ISO-8601 UTC timestamp so logs of several processes can be
 * merged and read against metrics. Errors in fields are rendered as
 * `Name: message` so they survive JSON.
 *
 * @example
 * ```ts
 * import { consoleLogger } from "./mod.ts";
 * const log = consoleLogger("warn");
 * log.info("not printed");
 * log.warn("printed", { path: "/app/a" });
 * ```
 */
export function consoleLogger(
  level: LogLevel = "info",
  options: ConsoleLoggerOptions = {},
): Logger {
  const min = RANK[level];
  const now = options.now ?? Date.now;
  const write = (
    lvl: LogLevel,
    msg: string,
    fields?: Record<string, unknown>,
  ) => {
    if (RANK[lvl] < min) return;
    const head = `${isoTime(now())} ${lvl.toUpperCase()} ${msg}`;
    const line = fields ? `${head} ${renderFields(fields)}` : head;
    if (lvl === "error") console.error(line);
    else if (lvl === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

/**
 * A logger that discards everything (tests, benchmarks).
 *
 * @example
 * ```ts
 * import { ActorSystem, silentLogger } from "./mod.ts";
 * const system = new ActorSystem("quiet", { logger: silentLogger() });
 * await system.shutdown();
 * ```
 */
export function silentLogger(): Logger {
  const noop = () => {};
  return { debug: noop, info: noop, warn: noop, error: noop };
}

/**
 * Wraps `logger` so every entry carries `fields` (the runtime uses it to put
 * the actor `path` on every line).
 *
 * @example
 * ```ts
 * import { consoleLogger, withFields } from "./mod.ts";
 * const log = withFields(consoleLogger("info"), { path: "/app/a" });
 * log.info("hello");
 * ```
 */
export function withFields(
  logger: Logger,
  fields: Record<string, unknown>,
): Logger {
  const merge = (
    f?: Record<string, unknown>,
  ) => (f ? { ...fields, ...f } : fields);
  return {
    debug: (m, f) => logger.debug(m, merge(f)),
    info: (m, f) => logger.info(m, merge(f)),
    warn: (m, f) => logger.warn(m, merge(f)),
    error: (m, f) => logger.error(m, merge(f)),
  };
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

function renderFields(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_k, v) => {
      if (v instanceof Error) return `${v.name}: ${v.message}`;
      if (typeof v === "bigint") return v.toString();
      return v;
    });
  } catch {
    return String(fields);
  }
}
