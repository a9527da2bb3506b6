/**
 * The pipeline's settings, read from environment variables and validated
 * with zod at start-up. Defaults run against `deno task infra:up`.
 *
 * @module
 */
import { z } from "zod";
import { redactUrl, SecretScrubber } from "./secrets.ts";

/** Where trades come from. */
export type FeedSource =
  | { kind: "finnhub"; url: string; token: string }
  | { kind: "url"; url: string }
  | { kind: "simulated"; port: number; rate: number; seed: number };

/** Validated configuration of one Tickline instance. */
export interface Config {
  feed: FeedSource;
  symbols: string[];
  allowZeroVolume: boolean;
  feedWatchdogMs: number;
  kafkaBrokers: string[];
  kafkaClientId: string;
  kafkaGroupId: string;
  /** A member silent this long loses its partitions to the others. */
  kafkaSessionTimeoutMs: number;
  /** `all`: ingest every symbol (one instance); `leases`: only symbols whose ingest lease this instance holds. */
  ingestOwnership: "all" | "leases";
  ingestLeaseTopic: string;
  /** Partitions of the lease topic: the units ingest ownership moves in. */
  ingestShards: number;
  ingestSessionTimeoutMs: number;
  /** Where the ingest journals feed frames (survives a SIGKILL); `off`: no journal. */
  ingestJournalDir: string;
  tradesTopic: string;
  dlqTopic: string;
  cassandraContactPoints: string[];
  cassandraLocalDc: string;
  cassandraKeyspace: string;
  writerCount: number;
  writerBatchRows: number;
  writerConcurrency: number;
  windowLatenessMs: number;
  windowGraceMs: number;
  /** How far ahead of the wall clock one trade may move event time. */
  windowMaxAheadMs: number;
  provisionalIntervalMs: number;
  commitIntervalMs: number;
  metricsHost: string;
  metricsPort: number;
  /** `METRICS_PORT` was not set: if `metricsPort` is taken (a second instance on the host), a free port is used. */
  metricsPortFallback: boolean;
  logLevel: "debug" | "info" | "warn" | "error";
  /** Trades per second the feed is expected to deliver at peak; sizes the ingest buffer. */
  ingestRatePerSec: number;
  /** Bytes of encoded trades the ingest holds while Kafka is slow or down; beyond it the oldest are dropped. */
  ingestBufferBytes: number;
  /** A feed frame larger than this is not parsed: it goes to the DLQ as `too_large`. */
  feedMaxFrameBytes: number;
  /** How far a trade's time may lie ahead of when it was received (`future_time` beyond). */
  maxFutureSkewMs: number;
  /** Bytes of one Kafka produce request; records are split under it. */
  kafkaMaxRequestBytes: number;
  /** A produce call still pending after this long is counted as a time-out and makes /readyz fail. */
  kafkaProduceTimeoutMs: number;
  /** Bytes of dead letters queued for the DLQ; beyond it new letters are dropped and counted. */
  dlqBufferBytes: number;
  /** Characters of the raw input kept in a dead letter. */
  dlqMaxRawChars: number;
}

/** Bytes one trade takes in the ingest buffer on average (its encoded Kafka record), for sizing. */
export const AVERAGE_TRADE_BYTES = 200;
/** Seconds of trades at the configured rate the default ingest buffer holds through a Kafka outage. */
export const DEFAULT_INGEST_BUFFER_SECONDS = 90;

/** Thrown when an environment variable holds a value Tickline cannot use. */
export class ConfigError extends Error {
  /**
   * @param variable The environment variable at fault.
   * @param problem What is wrong with its value (never the value of a secret).
   * @param example A value that would work.
   */
  constructor(
    readonly variable: string,
    readonly problem: string,
    readonly example: string,
  ) {
    super(`${variable}: ${problem} (example: ${variable}=${example})`);
    this.name = "ConfigError";
  }
}

/**
 * Symbols ingested when `FINNHUB_SYMBOLS` is not set; the Grafana market
 * dashboard offers the same list.
 */
export const DEFAULT_SYMBOL_LIST: readonly string[] = [
  "AAPL",
  "MSFT",
  "TSLA",
  "AMZN",
  "BINANCE:BTCUSDT",
  "BINANCE:ETHUSDT",
];
const DEFAULT_SYMBOLS = DEFAULT_SYMBOL_LIST.join(",");
const FINNHUB_URL = "wss://ws.finnhub.io";

const list = z.string().transform((s) =>
  s.split(",").map((x) => x.trim()).filter((x) => x.length > 0)
).pipe(z.array(z.string()).min(1, "must name at least one entry"));
const int = (min: number, max: number) =>
  z.coerce.number().int("must be a whole number").min(min, `must be >= ${min}`)
    .max(max, `must be <= ${max}`);
const bool = z.enum(["true", "false", "1", "0"], {
  error: "must be true or false",
}).transform((s) => s === "true" || s === "1");
const wsUrl = z.string().regex(
  /^wss?:\/\/[^\s]+$/,
  "must be a ws:// or wss:// URL",
);

/** One variable: its schema, its default, an example, and whether it is a secret. */
interface Spec {
  schema: z.ZodType;
  fallback?: string;
  example: string;
  secret?: boolean;
}

const SPECS = {
  FINNHUB_TOKEN: {
    schema: z.string().min(1),
    example: "<your token>",
    secret: true,
  },
  FINNHUB_URL: { schema: wsUrl, example: "ws://127.0.0.1:8765" },
  FINNHUB_SYMBOLS: {
    schema: list,
    fallback: DEFAULT_SYMBOLS,
    example: "AAPL,BINANCE:BTCUSDT",
  },
  FEED_PORT: { schema: int(0, 65535), fallback: "8765", example: "8765" },
  FEED_RATE: { schema: int(1, 1_000_000), fallback: "100", example: "100" },
  FEED_SEED: { schema: int(0, 2 ** 31), fallback: "42", example: "42" },
  ALLOW_ZERO_VOLUME: { schema: bool, fallback: "false", example: "true" },
  FEED_WATCHDOG_MS: {
    schema: int(1000, 3_600_000),
    fallback: "90000",
    example: "90000",
  },
  KAFKA_BROKERS: {
    schema: list,
    fallback: "127.0.0.1:9092",
    example: "127.0.0.1:9092",
  },
  KAFKA_SESSION_TIMEOUT_MS: {
    schema: int(6_000, 300_000),
    fallback: "30000",
    example: "30000",
  },
  INGEST_OWNERSHIP: {
    schema: z.enum(["all", "leases"], { error: "must be all or leases" }),
    fallback: "leases",
    example: "leases",
  },
  INGEST_LEASE_TOPIC: {
    schema: z.string().min(1),
    fallback: "trades.ingest-leases",
    example: "trades.ingest-leases",
  },
  INGEST_SHARDS: { schema: int(1, 1024), fallback: "16", example: "16" },
  INGEST_SESSION_TIMEOUT_MS: {
    // The lease group's Kafka session is 2 s less, and Kafka's minimum is 6 s.
    schema: int(8_000, 300_000),
    fallback: "10000",
    example: "10000",
  },
  INGEST_JOURNAL_DIR: {
    // Relative to the working directory; instances on one host share it.
    // `off` runs without one (a SIGKILL then loses what Kafka had not taken).
    schema: z.string().min(1),
    fallback: ".tickline/journal",
    example: ".tickline/journal",
  },
  KAFKA_CLIENT_ID: {
    schema: z.string().min(1),
    fallback: "tickline",
    example: "tickline",
  },
  KAFKA_GROUP_ID: {
    schema: z.string().min(1),
    fallback: "tickline",
    example: "tickline",
  },
  TRADES_TOPIC: {
    schema: z.string().min(1),
    fallback: "trades",
    example: "trades",
  },
  DLQ_TOPIC: {
    schema: z.string().min(1),
    fallback: "trades.dlq",
    example: "trades.dlq",
  },
  CASSANDRA_CONTACT_POINTS: {
    schema: list,
    fallback: "127.0.0.1:9042",
    example: "127.0.0.1:9042",
  },
  CASSANDRA_LOCAL_DC: {
    schema: z.string().min(1),
    fallback: "datacenter1",
    example: "datacenter1",
  },
  CASSANDRA_KEYSPACE: {
    schema: z.string().regex(
      /^[a-z][a-z0-9_]*$/,
      "must be a lower-case CQL identifier",
    ),
    fallback: "market",
    example: "market",
  },
  WRITER_COUNT: { schema: int(1, 64), fallback: "4", example: "4" },
  WRITER_BATCH_ROWS: { schema: int(1, 1000), fallback: "50", example: "50" },
  WRITER_CONCURRENCY: { schema: int(1, 512), fallback: "32", example: "32" },
  WINDOW_LATENESS_MS: {
    schema: int(0, 600_000),
    fallback: "5000",
    example: "5000",
  },
  WINDOW_GRACE_MS: {
    schema: int(0, 600_000),
    fallback: "2000",
    example: "2000",
  },
  WINDOW_MAX_AHEAD_MS: {
    schema: int(0, 86_400_000),
    fallback: "10000",
    example: "10000",
  },
  PROVISIONAL_INTERVAL_MS: {
    schema: int(100, 600_000),
    fallback: "2000",
    example: "2000",
  },
  COMMIT_INTERVAL_MS: {
    schema: int(10, 600_000),
    fallback: "200",
    example: "200",
  },
  METRICS_HOST: {
    schema: z.string().min(1),
    fallback: "127.0.0.1",
    example: "0.0.0.0",
  },
  METRICS_PORT: { schema: int(0, 65535), fallback: "9464", example: "9464" },
  INGEST_RATE_PER_SEC: {
    schema: int(1, 10_000_000),
    fallback: "2000",
    example: "2000",
  },
  INGEST_BUFFER_BYTES: {
    schema: int(1024, 2 ** 40),
    example: "64000000",
  },
  FEED_MAX_FRAME_BYTES: {
    schema: int(1024, 256 * 1024 * 1024),
    fallback: String(1024 * 1024),
    example: "1048576",
  },
  MAX_FUTURE_SKEW_MS: {
    schema: int(0, 86_400_000),
    fallback: "10000",
    example: "10000",
  },
  KAFKA_MAX_REQUEST_BYTES: {
    schema: int(16 * 1024, 100 * 1024 * 1024),
    fallback: "900000",
    example: "900000",
  },
  KAFKA_PRODUCE_TIMEOUT_MS: {
    schema: int(100, 600_000),
    fallback: "10000",
    example: "10000",
  },
  DLQ_BUFFER_BYTES: {
    schema: int(1024, 2 ** 34),
    fallback: String(16 * 1024 * 1024),
    example: "16777216",
  },
  DLQ_MAX_RAW_CHARS: {
    schema: int(64, 1024 * 1024),
    fallback: "4096",
    example: "4096",
  },
  LOG_LEVEL: {
    schema: z.enum(["debug", "info", "warn", "error"], {
      error: "must be debug, info, warn or error",
    }),
    fallback: "info",
    example: "info",
  },
} satisfies Record<string, Spec>;

type Name = keyof typeof SPECS;

/**
 * Reads and validates the configuration. Throws {@linkcode ConfigError}
 * naming the first bad variable; a secret's value is never echoed.
 *
 * @example
 * ```ts
 * import { loadConfig } from "./config.ts";
 * const config = loadConfig({ KAFKA_BROKERS: "127.0.0.1:9092" });
 * console.log(config.kafkaBrokers); // ["127.0.0.1:9092"]
 * ```
 */
export function loadConfig(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Config {
  // Values are echoed in errors to help, but never a secret in any of its forms.
  const scrubber = SecretScrubber.fromEnv(env);
  const read = <N extends Name>(
    name: N,
  ): z.output<(typeof SPECS)[N]["schema"]> | undefined => {
    const spec: Spec = SPECS[name];
    const raw = env[name] === undefined || env[name] === ""
      ? spec.fallback
      : env[name];
    if (raw === undefined) return undefined;
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      const problem = parsed.error.issues[0]?.message ?? "is not valid";
      const shown = spec.secret
        ? "the value"
        : JSON.stringify(scrubber.scrub(redactUrl(raw)));
      throw new ConfigError(name, `${shown} ${problem}`, spec.example);
    }
    return parsed.data as z.output<(typeof SPECS)[N]["schema"]>;
  };
  const must = <N extends Name>(name: N) => read(name)!;

  const token = read("FINNHUB_TOKEN") as string | undefined;
  const ingestRatePerSec = Math.max(
    must("INGEST_RATE_PER_SEC") as number,
    token === undefined && env.FINNHUB_URL === undefined
      ? must("FEED_RATE") as number
      : 0,
  );
  const url = read("FINNHUB_URL") as string | undefined;
  const feed: FeedSource = token !== undefined
    ? { kind: "finnhub", url: url ?? FINNHUB_URL, token }
    : url !== undefined
    ? { kind: "url", url }
    : {
      kind: "simulated",
      port: must("FEED_PORT") as number,
      rate: must("FEED_RATE") as number,
      seed: must("FEED_SEED") as number,
    };
  return {
    feed,
    symbols: must("FINNHUB_SYMBOLS") as string[],
    allowZeroVolume: must("ALLOW_ZERO_VOLUME") as boolean,
    feedWatchdogMs: must("FEED_WATCHDOG_MS") as number,
    kafkaBrokers: must("KAFKA_BROKERS") as string[],
    kafkaClientId: must("KAFKA_CLIENT_ID") as string,
    kafkaGroupId: must("KAFKA_GROUP_ID") as string,
    kafkaSessionTimeoutMs: must("KAFKA_SESSION_TIMEOUT_MS") as number,
    ingestOwnership: must("INGEST_OWNERSHIP") as Config["ingestOwnership"],
    ingestLeaseTopic: must("INGEST_LEASE_TOPIC") as string,
    ingestShards: must("INGEST_SHARDS") as number,
    ingestSessionTimeoutMs: must("INGEST_SESSION_TIMEOUT_MS") as number,
    ingestJournalDir: must("INGEST_JOURNAL_DIR") as string,
    tradesTopic: must("TRADES_TOPIC") as string,
    dlqTopic: must("DLQ_TOPIC") as string,
    cassandraContactPoints: must("CASSANDRA_CONTACT_POINTS") as string[],
    cassandraLocalDc: must("CASSANDRA_LOCAL_DC") as string,
    cassandraKeyspace: must("CASSANDRA_KEYSPACE") as string,
    writerCount: must("WRITER_COUNT") as number,
    writerBatchRows: must("WRITER_BATCH_ROWS") as number,
    writerConcurrency: must("WRITER_CONCURRENCY") as number,
    windowLatenessMs: must("WINDOW_LATENESS_MS") as number,
    windowGraceMs: must("WINDOW_GRACE_MS") as number,
    windowMaxAheadMs: must("WINDOW_MAX_AHEAD_MS") as number,
    provisionalIntervalMs: must("PROVISIONAL_INTERVAL_MS") as number,
    commitIntervalMs: must("COMMIT_INTERVAL_MS") as number,
    metricsHost: must("METRICS_HOST") as string,
    metricsPort: must("METRICS_PORT") as number,
    metricsPortFallback: env.METRICS_PORT === undefined ||
      env.METRICS_PORT === "",
    logLevel: must("LOG_LEVEL") as Config["logLevel"],
    ingestRatePerSec,
    ingestBufferBytes: read("INGEST_BUFFER_BYTES") as number | undefined ??
      ingestRatePerSec * DEFAULT_INGEST_BUFFER_SECONDS * AVERAGE_TRADE_BYTES,
    feedMaxFrameBytes: must("FEED_MAX_FRAME_BYTES") as number,
    maxFutureSkewMs: must("MAX_FUTURE_SKEW_MS") as number,
    kafkaMaxRequestBytes: must("KAFKA_MAX_REQUEST_BYTES") as number,
    kafkaProduceTimeoutMs: must("KAFKA_PRODUCE_TIMEOUT_MS") as number,
    dlqBufferBytes: must("DLQ_BUFFER_BYTES") as number,
    dlqMaxRawChars: must("DLQ_MAX_RAW_CHARS") as number,
  };
}

/**
 * The feed's URL with the token appended, for the WebSocket client only;
 * never log the result.
 *
 * @example
 * ```ts
 * import { feedUrl } from "./config.ts";
 * feedUrl({ kind: "url", url: "ws://127.0.0.1:8765" }); // "ws://127.0.0.1:8765"
 * ```
 */
export function feedUrl(feed: FeedSource): string {
  switch (feed.kind) {
    case "finnhub": {
      const u = new URL(feed.url);
      u.searchParams.set("token", feed.token);
      return u.toString();
    }
    case "url":
      return feed.url;
    case "simulated":
      return `ws://127.0.0.1:${feed.port}`;
  }
}

/**
 * A description of the feed that is safe to log (no token).
 *
 * @example
 * ```ts
 * import { describeFeed } from "./config.ts";
 * describeFeed({ kind: "finnhub", url: "wss://ws.finnhub.io", token: "x" }); // "finnhub wss://ws.finnhub.io"
 * ```
 */
export function describeFeed(feed: FeedSource): string {
  switch (feed.kind) {
    case "finnhub":
      return `finnhub ${redactUrl(feed.url)}`;
    case "url":
      return `url ${redactUrl(feed.url)}`;
    case "simulated":
      return `simulated feed on 127.0.0.1:${feed.port} at ${feed.rate} trades/s`;
  }
}
