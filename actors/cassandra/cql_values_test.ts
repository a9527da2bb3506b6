import assert from "node:assert/strict";
import cassandra from "cassandra-driver";
import fc from "fast-check";
import {
  ConditionsEncodings,
  CQL_HOURS,
  cqlBigint,
  cqlInt,
  cqlText,
  cqlTextList,
  cqlTimestamp,
} from "./cql_values.ts";
import { driverEncoder as driver } from "./_driver_encoder.ts";

const { dataTypes, Long } = cassandra.types;
const hex = (b: unknown) => b === null ? null : (b as Uint8Array).toString();
const same = (ours: Uint8Array | null, theirs: unknown) =>
  assert.deepEqual(
    ours === null ? null : [...ours],
    theirs === null ? null : [...(theirs as Uint8Array)],
  );

Deno.test("cqlInt equals the driver's int encoding", () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
      same(cqlInt(n), driver.encode(n, dataTypes.int));
    }),
    { numRuns: 2_000 },
  );
  CQL_HOURS.forEach((b, h) => same(b, driver.encode(h, dataTypes.int)));
});

Deno.test("cqlBigint equals the driver's bigint encoding", () => {
  const safe = fc.oneof(
    fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
    fc.maxSafeInteger(),
    fc.constantFrom(0, -1, 2 ** 32, -(2 ** 32), 2 ** 32 - 1, 1_700_000_000_000),
  );
  fc.assert(
    fc.property(safe, (n) => {
      same(cqlBigint(n), driver.encode(Long.fromNumber(n), dataTypes.bigint));
    }),
    { numRuns: 3_000 },
  );
});

Deno.test("cqlTimestamp equals the driver's timestamp encoding of a Date, fractions included", () => {
  // Dates reach ±8.64e15 ms only.
  const ms = fc.oneof(
    fc.integer({ min: -(2 ** 42), max: 2 ** 42 }),
    fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }),
  );
  fc.assert(
    fc.property(ms, (n) => {
      same(cqlTimestamp(n), driver.encode(new Date(n), dataTypes.timestamp));
    }),
    { numRuns: 3_000 },
  );
});

Deno.test("cqlText and cqlTextList equal the driver's text and list<text> encodings", () => {
  const listType = { code: dataTypes.list, info: { code: dataTypes.varchar } };
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: "binary" }), { maxLength: 6 }),
      (xs) => {
        for (const x of xs) {
          same(
            cqlText(x),
            driver.encode(x, dataTypes.varchar),
          );
        }
        same(cqlTextList(xs), driver.encode(xs, listType));
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("ConditionsEncodings makes each list once, stays bounded and never confuses two lists", () => {
  const lists = new ConditionsEncodings(3);
  const a = lists.of(["1", "12"]);
  assert.equal(lists.of(["1", "12"]), a, "the same bytes, not a copy");
  assert.equal(lists.of([]), null);
  // Codes holding the key's separator bypass the cache: no collision.
  assert.deepEqual(
    hex(lists.of(["1\u000012"])),
    hex(cqlTextList(["1\u000012"])),
  );
  assert.deepEqual(hex(lists.of(["1", "12"])), hex(cqlTextList(["1", "12"])));
  for (const c of ["a", "b", "c", "d"]) lists.of([c]);
  assert.deepEqual(hex(lists.of(["1", "12"])), hex(cqlTextList(["1", "12"])));
  fc.assert(
    fc.property(fc.array(fc.array(fc.string(), { maxLength: 3 })), (xss) => {
      const fresh = new ConditionsEncodings(4);
      for (const xs of xss) same(fresh.of(xs), cqlTextList(xs));
    }),
  );
});
