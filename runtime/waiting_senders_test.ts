import assert from "node:assert/strict";
import { MailboxFullError } from "./mod.ts";
import { deferred, harness } from "./test_util.ts";

// Imports only what existed before the bound, so on the old runtime this
// test runs (with --no-check) and fails on its assertions, not on a missing
// export.

Deno.test("backpressure: senders beyond maxWaiting are rejected at once with a named error; the rest arrive in FIFO order", async () => {
  const { system, clock, of } = harness();
  const gate = deferred();
  const got: number[] = [];
  const maxWaiting = 1000;
  const ref = await system.spawn<number>("stalled", {
    mailbox: { capacity: 1, overflow: "backpressure", maxWaiting },
    factory: () => ({
      async receive(n) {
        if (n < 0) await gate.promise; // stall until the gate opens
        else got.push(n);
      },
    }),
  });
  await ref.tell(-1);
  await clock.settle(); // the actor is now stuck in its handler

  const senders = 5000;
  const settled: (true | unknown)[] = new Array(senders);
  let settledCount = 0;
  const outcomes = Array.from(
    { length: senders },
    (_, i) =>
      ref.tell(i).then(
        () => void (settled[i] = true),
        (e: unknown) => void (settled[i] = e),
      ).finally(() => settledCount++),
  );
  await clock.settle();
  // 1 fits in the mailbox, maxWaiting wait; the others were refused without
  // waiting for the stalled actor.
  const accepted = 1 + maxWaiting;
  assert.equal(ref.depth, 1);
  assert.equal(settledCount, 1 + (senders - accepted));
  for (let i = accepted; i < senders; i++) {
    const e = settled[i];
    assert.ok(e instanceof MailboxFullError, `tell #${i} rejected`);
    assert.equal(e.name, "TooManySendersWaitingError");
    assert.match(
      e.message,
      /1000 senders already waiting for room in \/t\/stalled/,
    );
    assert.match(e.message, /await each tell/);
    assert.match(e.message, /mailbox\.maxWaiting/);
  }
  assert.equal(system.droppedCount, senders - accepted);
  const drops = of("dropped");
  assert.equal(drops.length, senders - accepted);
  assert.ok(drops.every((d) => d.policy === "backpressure"));

  gate.resolve();
  await Promise.all(outcomes);
  while (got.length < accepted) await clock.settle();
  assert.deepEqual(got, Array.from({ length: accepted }, (_, i) => i));
  for (let i = 0; i < accepted; i++) assert.equal(settled[i], true);
  await system.shutdown();
});
