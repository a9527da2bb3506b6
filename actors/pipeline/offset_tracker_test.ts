import assert from "node:assert/strict";
import fc from "fast-check";
import { OffsetTracker } from "./offset_tracker.ts";

Deno.test("OffsetTracker commits only up to the first unwritten span", () => {
  const t = new OffsetTracker(100);
  assert.equal(t.committable([]), 100);
  const a = t.received(100, 109);
  const b = t.received(110, 119);
  const c = t.received(120, 120);
  t.written(b);
  assert.equal(t.committable([]), 100, "a is still unwritten");
  t.written(a);
  assert.equal(t.committable([]), 120);
  assert.equal(t.committable([105]), 105, "a hold keeps the commit lower");
  t.written(c);
  assert.equal(t.committable([]), 121);
  assert.equal(t.inFlight(), 0);
});

Deno.test("OffsetTracker never passes an unwritten offset, in any completion order", () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 40 }),
    fc.func(fc.integer()),
    (sizes, order) => {
      const t = new OffsetTracker(0);
      let offset = 0;
      const spans = sizes.map((n) => {
        const s = t.received(offset, offset + n - 1);
        offset += n;
        return s;
      });
      const pending = [...spans];
      const done = new Set<number>();
      while (pending.length > 0) {
        const i = Math.abs(order(pending.length)) % pending.length;
        const [s] = pending.splice(i, 1);
        t.written(s);
        for (let o = s.first; o <= s.last; o++) done.add(o);
        const c = t.committable([]);
        for (let o = 0; o < c; o++) {
          assert.ok(done.has(o), `offset ${o} committed unwritten`);
        }
      }
      assert.equal(t.committable([]), offset);
    },
  ));
});
