/**
 * Levels for kafkajs's own log entries. kafkajs logs routine group
 * coordination (a rebalance, a coordinator that is still loading, a member
 * the coordinator forgot after a restart) at ERROR, so a normal first start
 * printed "ERROR Crash". Those are demoted to INFO; real failures keep their
 * level.
 *
 * @module
 */
import { logLevel } from "kafkajs";

/** A level of the pipeline's logger. */
export type KafkaLogLevel = "debug" | "info" | "warn" | "error";

/** Kafka error codes that are part of normal group and leader changes. */
const ROUTINE_TYPES = new Set([
  "REBALANCE_IN_PROGRESS",
  "NOT_COORDINATOR",
  "NOT_COORDINATOR_FOR_GROUP",
  "COORDINATOR_NOT_AVAILABLE",
  "GROUP_COORDINATOR_NOT_AVAILABLE",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "GROUP_LOAD_IN_PROGRESS",
  "UNKNOWN_MEMBER_ID",
  "ILLEGAL_GENERATION",
  "MEMBER_ID_REQUIRED",
  "LEADER_NOT_AVAILABLE",
  "NOT_LEADER_FOR_PARTITION",
  "NOT_LEADER_OR_FOLLOWER",
]);

/** Texts of routine coordination, as kafkajs words them in messages and errors. */
const ROUTINE_TEXT =
  /rebalanc|re-joining|rejoin|coordinator|not aware of this member|generation id is not valid|member id|leadership election|no leader|KafkaJSGroupCoordinatorNotFound/i;

/**
 * The level a kafkajs entry is logged at.
 *
 * @example
 * ```ts
 * import { logLevel } from "kafkajs";
 * import { kafkaLogLevel } from "./kafka_log.ts";
 * console.assert(kafkaLogLevel(logLevel.ERROR, { message: "[Runner] The group is rebalancing, re-joining" }) === "info");
 * console.assert(kafkaLogLevel(logLevel.ERROR, { message: "Connection error: ECONNREFUSED" }) === "error");
 * ```
 */
export function kafkaLogLevel(
  level: number,
  entry: Record<string, unknown>,
): KafkaLogLevel {
  const natural: KafkaLogLevel = level <= logLevel.ERROR
    ? "error"
    : level === logLevel.WARN
    ? "warn"
    : level === logLevel.INFO
    ? "info"
    : "debug";
  if (natural !== "error" && natural !== "warn") return natural;
  const type = typeof entry.type === "string" ? entry.type : "";
  if (ROUTINE_TYPES.has(type)) return "info";
  const text = `${entry.message ?? ""} ${entry.error ?? ""}`;
  if (ROUTINE_TEXT.test(text)) return "info";
  // A broker that is down shows as one of these per retry; the ingest logs
  // the outage once at ERROR and counts it, so these are warnings.
  if (
    natural === "error" &&
    /Connection error|Failed to connect to seed broker|ECONNREFUSED|Connection timeout/i
      .test(text)
  ) return "warn";
  // Printed once per producer: our ingest retries in order itself (see kafka_trade_producer.ts).
  if (/Limiting retries for the idempotent producer/.test(text)) return "info";
  return natural;
}
