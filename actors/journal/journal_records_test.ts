import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeJournal,
  JournalEncoder,
  JournalFormatError,
  type JournalRecord,
} from "./journal_records.ts";

// fast-check's records have no prototype; decoded ones are plain objects.
const plain = <T>(a: fc.Arbitrary<T>) => a.map((r) => structuredClone(r));

const record: fc.Arbitrary<JournalRecord> = plain(fc.oneof(
  fc.record({
    kind: fc.constant("frame" as const),
    seq: fc.nat(),
    at: fc.nat(),
    text: fc.string({ unit: "grapheme", maxLength: 200 }),
  }),
  fc.record({ kind: fc.constant("settled" as const), seq: fc.nat() }),
  fc.record({
    kind: fc.constant("state" as const),
    afterSeq: fc.nat(),
    state: fc.record({
      topic: fc.string({ minLength: 1 }),
      owned: fc.array(fc.string()),
      released: fc.array(fc.string()),
      leaseUntil: fc.oneof(fc.nat(), fc.constant(Infinity)),
    }),
  }),
));

function encode(records: readonly JournalRecord[]): Uint8Array {
  const encoder = new JournalEncoder();
  const parts = records.map((r) =>
    (r.kind === "frame"
      ? encoder.frame(r.seq, r.at, r.text)
      : r.kind === "settled"
      ? encoder.settled(r.seq)
      : encoder.state(r.afterSeq, r.state)).slice()
  );
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("journal records decode to what was encoded, any text included", () => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 20 }), (records) => {
      const { records: back, tornBytes } = decodeJournal(encode(records));
      assert.deepEqual(back, records);
      assert.equal(tornBytes, 0);
    }),
    { numRuns: 300 },
  );
});

Deno.test("a record cut short at the end (a write a SIGKILL interrupted) is left out, the rest kept", () => {
  fc.assert(
    fc.property(
      fc.array(record, { minLength: 1, maxLength: 10 }),
      fc.nat(),
      (records, cut) => {
        const whole = encode(records);
        const last = encode(records.slice(-1)).length;
        const drop = 1 + (cut % last); // 1 .. all bytes of the last record
        const { records: back, tornBytes } = decodeJournal(
          whole.subarray(0, whole.length - drop),
        );
        assert.deepEqual(back, records.slice(0, -1));
        assert.equal(tornBytes, last - drop);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("bytes that are not a journal are refused with a named error that says what to do", () => {
  const bytes = new TextEncoder().encode("not a journal");
  assert.throws(() => decodeJournal(bytes), (e) => {
    assert.ok(e instanceof JournalFormatError);
    assert.match(e.message, /unknown kind 110 at byte 0/);
    assert.match(e.message, /INGEST_JOURNAL_DIR/);
    return true;
  });
});

Deno.test("frames past the encoder's buffer round-trip, ASCII or not (it grows by what the text needs)", () => {
  const encoder = new JournalEncoder();
  for (const text of ["a".repeat(100_000), "é€😀".repeat(30_000)]) {
    const { records } = decodeJournal(encoder.frame(7, 8, text).slice());
    assert.deepEqual(records, [{ kind: "frame", seq: 7, at: 8, text }]);
  }
});
