import assert from "node:assert/strict";
import { Mailbox, Offer } from "./mailbox.ts";

Deno.test("Mailbox is FIFO across ring wrap-around and growth", () => {
  const box = new Mailbox<number>(200);
  const out: number[] = [];
  let next = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 7; i++) {
      assert.equal(box.offer(next++, undefined), Offer.Accepted);
    }
    for (let i = 0; i < 5; i++) out.push(box.shift()!);
  }
  while (box.size > 0) out.push(box.shift()!);
  assert.deepEqual(out, Array.from({ length: next }, (_, i) => i));
});

Deno.test("Mailbox overflow policies", () => {
  const newest = new Mailbox<number>(2, "drop-newest");
  newest.offer(1, undefined);
  newest.offer(2, undefined);
  assert.equal(newest.offer(3, undefined), Offer.Rejected);
  assert.deepEqual([newest.shift(), newest.shift()], [1, 2]);

  const oldest = new Mailbox<number>(2, "drop-oldest");
  oldest.offer(1, undefined);
  oldest.offer(2, undefined);
  assert.equal(oldest.offer(3, undefined), Offer.EvictedOldest);
  assert.equal(oldest.evictedMsg, 1);
  assert.deepEqual([oldest.shift(), oldest.shift()], [2, 3]);

  const fail = new Mailbox<number>(1, "fail");
  fail.offer(1, undefined);
  assert.equal(fail.offer(2, undefined), Offer.Rejected);

  const bp = new Mailbox<number>(1, "backpressure");
  bp.offer(1, undefined);
  assert.equal(bp.offer(2, undefined), Offer.MustWait);
  assert.throws(() => new Mailbox(0), RangeError);
});

Deno.test("Mailbox admits waiting senders FIFO and never exceeds capacity", async () => {
  const box = new Mailbox<number>(2);
  box.offer(0, undefined);
  box.offer(1, undefined);
  const admitted: number[] = [];
  const waits = [2, 3, 4].map((n) => {
    assert.equal(box.offer(n, undefined), Offer.MustWait);
    return box.wait(n, undefined).then(() => admitted.push(n));
  });
  assert.equal(box.waiting, 3);
  // A newcomer may not overtake the waiters even when a slot frees up.
  assert.equal(box.shift(), 0);
  assert.equal(box.size, 2);
  assert.equal(box.offer(99, undefined), Offer.MustWait);
  const out = [1];
  assert.equal(box.shift(), 1);
  while (box.size > 0) {
    out.push(box.shift()!);
    assert.ok(box.size <= 2);
  }
  await Promise.all(waits);
  assert.deepEqual(out, [1, 2, 3, 4]);
  assert.deepEqual(admitted, [2, 3, 4]);
});

Deno.test("Mailbox.close hands back queued messages and releases waiters", async () => {
  const box = new Mailbox<string>(1);
  box.offer("queued", undefined);
  const waiting = box.wait("waiting", undefined);
  const sunk: string[] = [];
  box.close((m) => sunk.push(m));
  await waiting;
  assert.deepEqual(sunk, ["queued", "waiting"]);
  assert.equal(box.size, 0);
  assert.equal(box.waiting, 0);
});
