/**
 * Faster varint writers for kafkajs's protocol encoder. kafkajs 2.2.4 writes
 * each varint of a record (five per record: length, timestamp delta, offset
 * delta, key and value lengths) by building an array and copying it through
 * `Buffer.from`. Under Deno's Node buffer that copy was the largest single
 * item of the app's CPU profile at 30,000 trades/s (`FastBuffer`, 10.6% of
 * samples, three quarters of it from these two methods). The replacements
 * write the same bytes straight into the encoder's buffer; a property test
 * holds them byte for byte to the originals.
 *
 * kafkajs has no hook for its encoder, so this replaces two methods on its
 * prototype. It is installed by {@linkcode createKafka} (`kafka_trade_log.ts`)
 * and is idempotent: a second call changes nothing.
 *
 * @module
 */
import Encoder from "kafkajs/src/protocol/encoder.js";

/** The part of kafkajs's `Encoder` these methods use. */
export interface VarintEncoder {
  buf: Uint8Array;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): VarintEncoder;
  writeVarLong(value: number | bigint | string): VarintEncoder;
}

type Methods = Pick<VarintEncoder, "writeUVarInt" | "writeVarLong">;

const proto = Encoder.prototype as unknown as Methods;
/** kafkajs's own methods, kept as the oracle of the tests and the fallback for large values. */
export const ORIGINAL_VARINTS: Methods = {
  writeUVarInt: proto.writeUVarInt,
  writeVarLong: proto.writeVarLong,
};

/** Writes `value` as an unsigned LEB128 varint, exactly as kafkajs does. */
function writeUVarInt(this: VarintEncoder, value: number): VarintEncoder {
  this.ensureAvailable(5);
  const buf = this.buf;
  let at = this.offset;
  while ((value & 0xffffff80) !== 0) {
    buf[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[at++] = value & 0x7f;
  this.offset = at;
  return this;
}

/**
 * Writes `value` zigzag-encoded as a 64-bit varint. For an integer of 31 bits
 * the zigzag value equals the 32-bit one (a timestamp delta always is one);
 * anything else goes to kafkajs's own method.
 */
function writeVarLong(
  this: VarintEncoder,
  value: number | bigint | string,
): VarintEncoder {
  if (
    typeof value === "number" && Number.isInteger(value) &&
    value >= -(2 ** 30) && value < 2 ** 30
  ) {
    return writeUVarInt.call(this, (value << 1) ^ (value >> 31));
  }
  return ORIGINAL_VARINTS.writeVarLong.call(this, value);
}

/**
 * Puts the faster varint writers on kafkajs's encoder.
 *
 * @example
 * ```ts ignore
 * installFastVarints();
 * const kafka = new Kafka({ clientId: "t", brokers: ["127.0.0.1:9092"] });
 * ```
 */
export function installFastVarints(): void {
  proto.writeUVarInt = writeUVarInt;
  proto.writeVarLong = writeVarLong;
}

/** The faster writers, for tests that compare them with {@linkcode ORIGINAL_VARINTS}. */
export const FAST_VARINTS: Methods = { writeUVarInt, writeVarLong };
