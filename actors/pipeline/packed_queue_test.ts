import assert from "node:assert/strict";
import fc from "fast-check";
import type { EncodedRecord } from "../kafka/kafka_trade_producer.ts";
import { ByteQueue } from "./ingest_buffer.ts";
import { PackedRecordQueue, SLAB_BYTES } from "./packed_queue.ts";

const utf8 = new TextDecoder();
const text = (v: string | Uint8Array) =>
  typeof v === "string" ? v : utf8.decode(v);
const plain = (chunk: readonly EncodedRecord[]) =>
  chunk.map((r) => ({ key: r.key, value: text(r.value), bytes: r.bytes }));

type Op =
  | { op: "push"; key: string; value: string; extra: number }
  | { op: "take"; maxBytes: number }
  | { op: "ack" }
  | { op: "drain" };

const ops = fc.array(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant("push" as const),
        key: fc.constantFrom("AAPL", "BINANCE:BTCUSDT", "ÄÖ", "MSFT"),
        // ASCII, multi-byte and astral characters; now and then a value
        // large enough to need a slab of its own or to fill one.
        value: fc.oneof(
          {
            weight: 8,
            arbitrary: fc.string({ maxLength: 300, unit: "grapheme" }),
          },
          {
            weight: 1,
            arbitrary: fc.integer({ min: SLAB_BYTES / 4, max: SLAB_BYTES + 9 })
              .map((n) => "€".repeat(Math.floor(n / 3))),
          },
        ),
        extra: fc.integer({ min: 0, max: 64 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("take" as const),
        maxBytes: fc.integer({ min: 1, max: 4 * SLAB_BYTES }),
      }),
    },
    { weight: 3, arbitrary: fc.constant({ op: "ack" as const }) },
    { weight: 1, arbitrary: fc.constant({ op: "drain" as const }) },
  ),
  { maxLength: 80 },
);

Deno.test("PackedRecordQueue behaves as ByteQueue does (the oracle), over random pushes, takes, acks and drains", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 * SLAB_BYTES }),
      ops,
      (capacity, list) => {
        const packed = new PackedRecordQueue(capacity);
        const oracle = new ByteQueue<EncodedRecord>(capacity);
        for (const o of list as Op[]) {
          if (o.op === "push") {
            const bytes = new TextEncoder().encode(o.key + o.value).byteLength +
              o.extra;
            const r = { key: o.key, value: o.value, bytes };
            assert.equal(packed.push(r), oracle.push(r).length);
          } else if (o.op === "take") {
            assert.deepEqual(
              plain(packed.take(o.maxBytes)),
              plain(oracle.take(o.maxBytes)),
            );
          } else if (o.op === "ack") {
            assert.equal(packed.ack(), oracle.ack().length);
          } else {
            assert.equal(packed.drain(), oracle.drain().length);
          }
          assert.equal(packed.length, oracle.length);
          assert.equal(packed.bytes, oracle.bytes);
          assert.equal(packed.inFlight, oracle.inFlight);
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("PackedRecordQueue: a chunk in flight keeps its bytes while the queue moves on past many slabs", () => {
  const q = new PackedRecordQueue(64 * SLAB_BYTES);
  const value = (i: number) => `{"n":${i},"pad":"${"x".repeat(1000)}"}`;
  for (let i = 0; i < 100; i++) {
    q.push({ key: "A", value: value(i), bytes: 1100 });
  }
  const first = plain(q.take(50 * 1100));
  // Push enough to fill several new slabs; the chunk is resent unchanged.
  for (let i = 100; i < 5000; i++) {
    q.push({ key: "B", value: value(i), bytes: 1100 });
  }
  assert.deepEqual(plain(q.take(1)), first);
  assert.equal(first.length, 50);
  assert.equal(first[49].value, value(49));
  assert.equal(q.ack(), 50);
  const next = plain(q.take(1100));
  assert.deepEqual(next, [{ key: "A", value: value(50), bytes: 1100 }]);
});

Deno.test("PackedRecordQueue: values reach Kafka as Buffers, not copies of strings", () => {
  const q = new PackedRecordQueue(1_000);
  q.push({ key: "A", value: "é", bytes: 10 });
  const [r] = q.take(100);
  assert.ok(r.value instanceof Uint8Array);
  assert.deepEqual([...(r.value as Uint8Array)], [0xc3, 0xa9]);
});

Deno.test("PackedRecordQueue: multi-byte values that fill slabs unevenly arrive whole", () => {
  const q = new PackedRecordQueue(64 * SLAB_BYTES);
  // 3 UTF-8 bytes per UTF-16 unit, sized so slab ends fall mid-value.
  const values = Array.from(
    { length: 40 },
    (_, i) => `${i}:${"€".repeat(70_000 + i * 997)}`,
  );
  for (const v of values) q.push({ key: "A", value: v, bytes: v.length * 3 });
  const out: string[] = [];
  for (let chunk = q.take(1); chunk.length > 0; chunk = q.take(1)) {
    out.push(...plain(chunk).map((r) => r.value));
    q.ack();
  }
  assert.deepEqual(out, values);
});

Deno.test("PackedRecordQueue: slabs are reused only after the chunk in flight that points into them is acknowledged", () => {
  const q = new PackedRecordQueue(64 * SLAB_BYTES);
  const value = (tag: string, i: number) => `${tag}${i}:${tag.repeat(100_000)}`;
  // Two and a half slabs, all taken as one chunk: the first two slabs are
  // let go of while the chunk is in flight.
  for (let i = 0; i < 25; i++) {
    q.push({ key: "A", value: value("a", i), bytes: 100_010 });
  }
  const sent = plain(q.take(64 * SLAB_BYTES));
  for (let i = 0; i < 40; i++) {
    q.push({ key: "B", value: value("b", i), bytes: 100_010 });
  }
  assert.deepEqual(plain(q.take(1)), sent, "a retry resends intact bytes");
  assert.equal(q.ack(), 25);
  // Reused from here on, and still exact.
  for (let i = 40; i < 80; i++) {
    q.push({ key: "B", value: value("b", i), bytes: 100_010 });
  }
  const rest: string[] = [];
  for (let c = q.take(SLAB_BYTES); c.length > 0; c = q.take(SLAB_BYTES)) {
    rest.push(...plain(c).map((r) => r.value));
    q.ack();
  }
  assert.deepEqual(rest, Array.from({ length: 80 }, (_, i) => value("b", i)));
});
