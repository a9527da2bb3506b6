/**
 * One scrubber for secrets, used at every boundary where text leaves the
 * process: log lines, error messages, config errors and dead-letter records.
 * A Finnhub token may come in three forms (`FINNHUB_TOKEN`, a `token` query
 * parameter of `FINNHUB_URL`, or the URL's user-info); all of them are
 * collected once and replaced wherever they appear.
 *
 * @module
 */
import type { Logger } from "../../runtime/types.ts";

/** What a secret is replaced with. */
export const REDACTED = "***";

/** Query parameters whose values are secrets, whatever the URL. */
const SECRET_PARAMS = ["token", "access_token", "apikey", "api_key", "key"];

/** Secrets shorter than this are not scrubbed as bare text: "a" would garble every line. */
const MIN_SECRET_CHARS = 4;

/**
 * Replaces known secrets in text. Build one from the environment at start-up
 * with {@linkcode SecretScrubber.fromEnv} and pass it to whatever logs.
 *
 * @example
 * ```ts
 * import { SecretScrubber } from "./secrets.ts";
 * const s = SecretScrubber.fromEnv({ FINNHUB_URL: "wss://ws.finnhub.io?token=abc123" });
 * console.assert(s.scrub("GET wss://ws.finnhub.io?token=abc123") === "GET wss://ws.finnhub.io?token=***");
 * ```
 */
export class SecretScrubber {
  readonly #secrets: string[];

  /** @param secrets Literal secret values; short or empty ones are ignored. */
  constructor(secrets: readonly string[]) {
    const variants = new Set<string>();
    for (const s of secrets) {
      if (typeof s !== "string" || s.length < MIN_SECRET_CHARS) continue;
      variants.add(s);
      // A token may also appear percent-encoded (in a URL) or JSON-escaped.
      variants.add(encodeURIComponent(s));
      variants.add(JSON.stringify(s).slice(1, -1));
    }
    // Longest first, so a secret containing another is replaced whole.
    this.#secrets = [...variants].sort((a, b) => b.length - a.length);
  }

  /**
   * Collects every secret from the environment: `FINNHUB_TOKEN`, and the
   * `token` (and similar) query parameters and user-info of `FINNHUB_URL`.
   * Never throws, even for a URL that does not parse.
   */
  static fromEnv(env: Record<string, string | undefined>): SecretScrubber {
    const secrets: string[] = [];
    const token = env.FINNHUB_TOKEN;
    if (token) secrets.push(token);
    const url = env.FINNHUB_URL;
    if (url) secrets.push(...secretsOfUrl(url));
    return new SecretScrubber(secrets);
  }

  /** True when there is anything to scrub. */
  get empty(): boolean {
    return this.#secrets.length === 0;
  }

  /**
   * `text` with every known secret, every secret-looking query parameter
   * value and every URL user-info replaced by `***`.
   */
  scrub(text: string): string {
    let out = redactUrlsIn(text);
    for (const s of this.#secrets) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    return out;
  }

  /** Scrubs strings (and error messages) inside a value, deeply; other values are kept. */
  scrubValue(value: unknown, depth = 0): unknown {
    if (typeof value === "string") return this.scrub(value);
    if (value instanceof Error) {
      return `${value.name}: ${this.scrub(value.message)}`;
    }
    if (depth > 8 || value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
      return value.map((v) => this.scrubValue(v, depth + 1));
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = this.scrubValue(v, depth + 1);
    }
    return out;
  }

  /**
   * Wraps a logger so nothing it writes carries a secret: the message and
   * every field (errors included) are scrubbed.
   *
   * @example
   * ```ts
   * import { SecretScrubber } from "./secrets.ts";
   * const lines: string[] = [];
   * const log = new SecretScrubber(["s3cret-token"]).logger({
   *   debug: () => {}, info: (m) => lines.push(m), warn: () => {}, error: () => {},
   * });
   * log.info("connecting with s3cret-token");
   * console.assert(lines[0] === "connecting with ***");
   * ```
   */
  logger(inner: Logger): Logger {
    const f = (fields?: Record<string, unknown>) =>
      fields === undefined
        ? undefined
        : this.scrubValue(fields) as Record<string, unknown>;
    return {
      debug: (m, x) => inner.debug(this.scrub(m), f(x)),
      info: (m, x) => inner.info(this.scrub(m), f(x)),
      warn: (m, x) => inner.warn(this.scrub(m), f(x)),
      error: (m, x) => inner.error(this.scrub(m), f(x)),
    };
  }
}

/**
 * A URL safe to print: user-info and secret query parameter values become
 * `***`. Works on text that does not parse as a URL too.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./secrets.ts";
 * console.assert(redactUrl("wss://u:p@ws.finnhub.io/?token=abc") === "wss://***@ws.finnhub.io/?token=***");
 * ```
 */
export function redactUrl(url: string): string {
  return redactUrlsIn(url);
}

const USER_INFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
const SECRET_PARAM = new RegExp(
  `([?&;](?:${SECRET_PARAMS.join("|")})=)[^&#\\s"']*`,
  "gi",
);

function redactUrlsIn(text: string): string {
  if (!text.includes("://") && !text.includes("=")) return text;
  return text.replace(USER_INFO, `$1${REDACTED}@`).replace(
    SECRET_PARAM,
    `$1${REDACTED}`,
  );
}

function secretsOfUrl(url: string): string[] {
  const out: string[] = [];
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    if (parsed.username) out.push(decodeURIComponent(parsed.username));
    if (parsed.password) out.push(decodeURIComponent(parsed.password));
    for (const [k, v] of parsed.searchParams) {
      if (SECRET_PARAMS.includes(k.toLowerCase()) && v) out.push(v);
    }
    return out;
  }
  // Not a URL: still find what looks like a token or user-info, so a bad
  // FINNHUB_URL never echoes it.
  for (
    const m of url.matchAll(
      /[?&;](?:token|access_token|apikey|api_key|key)=([^&#\s]+)/gi,
    )
  ) {
    out.push(m[1]);
  }
  const ui = /:\/\/([^\s/?#@]+)@/.exec(url);
  if (ui) out.push(ui[1], ...ui[1].split(":"));
  return out;
}
