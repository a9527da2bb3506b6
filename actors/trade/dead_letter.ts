/**
 * Dead letters that are always small and always serialisable: the raw input
 * is rendered as JSON text with a depth and length bound (a 200,000-deep
 * nested array or a 5 MB frame must not overflow the stack or the broker's
 * request limit), and the detail is clipped.
 *
 * @module
 */
import type { DeadLetter, RejectReason } from "./types.ts";

/** Default characters of raw input kept in a dead letter. */
export const DEFAULT_MAX_RAW_CHARS = 4096;
/** Characters of the detail text kept in a dead letter. */
export const MAX_DETAIL_CHARS = 1024;
/** Nesting rendered before `…` replaces deeper levels. */
const MAX_DEPTH = 32;

/** JSON text of a value cut to a bound. */
export interface BoundedText {
  text: string;
  /** True when the text is not the whole value. */
  truncated: boolean;
}

/**
 * Renders `value` as JSON text of at most `maxChars` characters (plus an
 * ellipsis when cut). Never throws and never recurses deeper than 32 levels,
 * whatever the value; strings are kept as they are (already text).
 *
 * @example
 * ```ts
 * import { boundedJson } from "./dead_letter.ts";
 * let deep: unknown = 1;
 * for (let i = 0; i < 200_000; i++) deep = [deep];
 * const r = boundedJson(deep, 100);
 * console.assert(r.truncated && r.text.length <= 101);
 * ```
 */
export function boundedJson(value: unknown, maxChars: number): BoundedText {
  if (typeof value === "string") return clip(value, maxChars);
  const parts: string[] = [];
  let used = 0;
  let truncated = false;
  const put = (s: string): boolean => {
    if (used + s.length > maxChars) {
      parts.push(s.slice(0, Math.max(0, maxChars - used)));
      used = maxChars;
      truncated = true;
      return false;
    }
    parts.push(s);
    used += s.length;
    return true;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (v === null || v === undefined) return put("null");
    switch (typeof v) {
      case "number":
        return put(Number.isFinite(v) ? String(v) : "null");
      case "boolean":
        return put(String(v));
      case "string":
        return put(JSON.stringify(v));
      case "bigint":
        return put(`"${v}n"`);
      case "object":
        break;
      default:
        return put("null");
    }
    if (depth >= MAX_DEPTH) {
      truncated = true;
      return put('"…"');
    }
    if (Array.isArray(v)) {
      if (!put("[")) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !put(",")) return false;
        if (!walk(v[i], depth + 1)) return false;
      }
      return put("]");
    }
    if (!put("{")) return false;
    let first = true;
    for (const k of Object.keys(v as object)) {
      if (!first && !put(",")) return false;
      first = false;
      if (!put(`${JSON.stringify(k)}:`)) return false;
      if (!walk((v as Record<string, unknown>)[k], depth + 1)) return false;
    }
    return put("}");
  };
  walk(value, 0);
  const text = parts.join("");
  return { text: truncated ? `${text}…` : text, truncated };
}

/**
 * A dead letter whose `raw` is bounded JSON text (or the frame's own text),
 * ready to serialise.
 *
 * @example
 * ```ts
 * import { boundedDeadLetter } from "./dead_letter.ts";
 * const dl = boundedDeadLetter({ p: 1 }, "missing_symbol", "s is missing", 1700000000000, 100);
 * console.assert(dl.raw === '{"p":1}' && dl.truncated === false);
 * ```
 */
export function boundedDeadLetter(
  raw: unknown,
  reason: RejectReason,
  detail: string,
  receivedAt: number,
  maxRawChars: number = DEFAULT_MAX_RAW_CHARS,
): DeadLetter {
  const r = boundedJson(raw, maxRawChars);
  return {
    raw: r.text,
    truncated: r.truncated,
    reason,
    detail: clip(detail, MAX_DETAIL_CHARS).text,
    receivedAt,
  };
}

function clip(s: string, max: number): BoundedText {
  return s.length > max
    ? { text: `${s.slice(0, max)}…`, truncated: true }
    : { text: s, truncated: false };
}
