import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_MAX_WAITING, Mailbox, Offer } from "./mailbox.ts";
import {
  type ActorRef,
  MailboxFullError,
  TooManySendersWaitingError,
} from "./mod.ts";
import { deferred, harness } from "./test_util.ts";

Deno.test("Mailbox refuses a sender once maxWaiting senders wait, and takes one again when a waiter is admitted", async () => {
  const box = new Mailbox<number>(1, "backpressure", 2);
  assert.equal(box.offer(0, undefined), Offer.Accepted);
  const waits = [1, 2].map((n) => {
    assert.equal(box.offer(n, undefined), Offer.MustWait);
    return box.wait(n, undefined);
  });
  assert.equal(box.offer(3, undefined), Offer.TooManyWaiting);
  assert.equal(box.waiting, 2);
  assert.equal(box.shift(), 0); // admits 1
  assert.equal(box.offer(3, undefined), Offer.MustWait);
  const third = box.wait(3, undefined);
  const out: number[] = [];
  while (box.size > 0) out.push(box.shift()!);
  await Promise.all([...waits, third]);
  assert.deepEqual(out, [1, 2, 3]);
});

Deno.test("Mailbox maxWaiting: default, zero, Infinity, and nonsense", () => {
  assert.equal(new Mailbox<number>(4).maxWaiting, DEFAULT_MAX_WAITING);
  const none = new Mailbox<number>(1, "backpressure", 0);
  none.offer(0, undefined);
  assert.equal(none.offer(1, undefined), Offer.TooManyWaiting);
  assert.equal(
    new Mailbox<number>(1, "backpressure", Infinity).maxWaiting,
    Infinity,
  );
  for (const bad of [-1, 1.5, NaN]) {
    assert.throws(() => new Mailbox(1, "backpressure", bad), RangeError);
  }
});

Deno.test("an ask over maxWaiting rejects at once with TooManySendersWaitingError", async () => {
  const { system, clock, of } = harness();
  const gate = deferred();
  const ref = await system.spawn<string>("stalled", {
    mailbox: { capacity: 1, maxWaiting: 1 },
    factory: () => ({
      async receive(m) {
        if (m === "block") await gate.promise;
        return m;
      },
    }),
  });
  await ref.tell("block");
  await clock.settle();
  await ref.tell("queued");
  const waiting = ref.ask("waiting", { timeoutMs: 10_000 });
  const refused = ref.ask("refused", { timeoutMs: 10_000 });
  await clock.settle();
  const e = await refused.then(() => undefined, (e: unknown) => e);
  assert.ok(e instanceof TooManySendersWaitingError);
  assert.ok(e instanceof MailboxFullError);
  assert.equal(e.maxWaiting, 1);
  assert.equal(e.path, "/t/stalled");
  // The depth report carries the waiting senders.
  const depths = of("mailbox_depth");
  gate.resolve();
  assert.equal(await waiting, "waiting");
  await clock.settle();
  assert.ok(
    of("mailbox_depth").slice(depths.length).some((d) => d.waiting === 1),
  );
  await system.shutdown();
});

Deno.test("property: with fire-and-forget senders, exactly those beyond capacity + maxWaiting are refused, the rest arrive in order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 20 }),
      fc.integer({ min: 0, max: 60 }),
      async (capacity, maxWaiting, senders) => {
        const { system, clock } = harness();
        const gate = deferred();
        const got: number[] = [];
        const ref: ActorRef<number> = await system.spawn<number>("r", {
          mailbox: { capacity, maxWaiting },
          factory: () => ({
            async receive(n) {
              if (n < 0) await gate.promise;
              else got.push(n);
            },
          }),
        });
        await ref.tell(-1);
        await clock.settle();
        const refused: number[] = [];
        const all = Array.from(
          { length: senders },
          (_, i) =>
            ref.tell(i).catch((e) => {
              assert.ok(e instanceof TooManySendersWaitingError);
              refused.push(i);
            }),
        );
        await clock.settle();
        gate.resolve();
        await Promise.all(all);
        const accepted = Math.min(senders, capacity + maxWaiting);
        while (got.length < accepted) await clock.settle();
        assert.deepEqual(got, Array.from({ length: accepted }, (_, i) => i));
        assert.deepEqual(
          refused,
          Array.from({ length: senders - accepted }, (_, i) => accepted + i),
        );
        assert.equal(system.droppedCount, senders - accepted);
        await system.shutdown();
      },
    ),
    { numRuns: 60 },
  );
});
