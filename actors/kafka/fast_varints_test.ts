import assert from "node:assert/strict";
import fc from "fast-check";
import Encoder from "kafkajs/src/protocol/encoder.js";
import {
  FAST_VARINTS,
  installFastVarints,
  ORIGINAL_VARINTS,
  type VarintEncoder,
} from "./fast_varints.ts";

type Write = (e: VarintEncoder) => void;

/** The bytes of `writes` on a fresh encoder that starts `prefix` bytes in (so buffer growth is crossed too). */
function encode(prefix: number, writes: Write[]): number[] {
  const e = new Encoder(1) as unknown as VarintEncoder;
  e.ensureAvailable(prefix);
  e.offset = prefix;
  for (const w of writes) w(e);
  return [...e.buf.subarray(0, e.offset)];
}

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const long = fc.oneof(
  fc.integer({ min: -(2 ** 30) - 2, max: 2 ** 30 + 2 }),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -1, 1, 2 ** 30 - 1, -(2 ** 30), 2 ** 30, -(2 ** 30) - 1),
);

Deno.test("fast varints: byte for byte what kafkajs writes, for any mix of calls", () => {
  fc.assert(
    fc.property(
      fc.nat(600),
      fc.array(
        fc.oneof(
          int32.map((v) => ({ kind: "u" as const, v })),
          uint32.map((v) => ({ kind: "u" as const, v })),
          long.map((v) => ({ kind: "l" as const, v })),
        ),
        { maxLength: 60 },
      ),
      (prefix, calls) => {
        const run = (m: typeof FAST_VARINTS): Write[] =>
          calls.map(({ kind, v }) => (e) =>
            kind === "u" ? m.writeUVarInt.call(e, v) : m.writeVarLong.call(e, v)
          );
        assert.deepEqual(
          encode(prefix, run(FAST_VARINTS)),
          encode(prefix, run(ORIGINAL_VARINTS)),
        );
      },
    ),
    { numRuns: 3_000 },
  );
});

Deno.test("fast varints: installed on the encoder kafkajs itself uses", async () => {
  // The record encoder of produce requests, resolved as kafkajs resolves it.
  const { default: Record } = await import(
    "kafkajs/src/protocol/recordBatch/record/v0/index.js"
  );
  const record = () => [
    ...(Record({
      offsetDelta: 7,
      timestampDelta: 1234,
      key: Buffer.from("AAPL"),
      value: Buffer.from('{"p":1}'),
      headers: {},
    }) as { buffer: Uint8Array }).buffer,
  ];
  const before = record();
  installFastVarints();
  const proto = Encoder.prototype as unknown as typeof FAST_VARINTS;
  assert.equal(proto.writeUVarInt, FAST_VARINTS.writeUVarInt);
  assert.equal(proto.writeVarLong, FAST_VARINTS.writeVarLong);
  assert.deepEqual(record(), before);
  installFastVarints(); // idempotent
  assert.deepEqual(record(), before);
  // Same class, not a second copy of the module: kafkajs's calls reach ours.
  let calls = 0;
  proto.writeUVarInt = function (this: VarintEncoder, v: number) {
    calls++;
    return FAST_VARINTS.writeUVarInt.call(this, v);
  };
  try {
    record();
  } finally {
    installFastVarints();
  }
  assert.ok(calls >= 4, `kafkajs's record encoder called ours ${calls} times`);
});
