/**
 * The label of a message in logs, events and errors. One home, because the
 * run loop, the ask timeout, dead letters and drops all name messages the
 * same way.
 *
 * @module
 */

/**
 * `msg.type` when it is a string, else the constructor name, else `typeof`.
 *
 * @example
 * ```ts
 * import { messageTypeOf } from "./message_type.ts";
 * console.assert(messageTypeOf({ type: "trade" }) === "trade");
 * console.assert(messageTypeOf(new Map()) === "Map");
 * console.assert(messageTypeOf(42) === "number");
 * ```
 */
export function messageTypeOf(msg: unknown): string {
  if (msg !== null && typeof msg === "object") {
    const type = (msg as { type?: unknown }).type;
    if (typeof type === "string") return type;
    return (msg as object).constructor?.name ?? "Object";
  }
  return typeof msg;
}
