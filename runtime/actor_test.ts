import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ActorStoppedError,
  AskTimeoutError,
  type Clock,
  MailboxFullError,
  ManualClock,
  type OverflowPolicy,
  silentLogger,
} from "./mod.ts";
import { ActorSystem } from "./system.ts";
import { deferred, harness, sleep } from "./test_util.ts";

type Cmd = { type: "push"; n: number } | { type: "get" };

Deno.test("tell enqueues in order; ask resolves with the handler's (async) return value", async () => {
  const { system } = harness();
  const seen: number[] = [];
  const ref = await system.spawn<Cmd>("acc", {
    factory: () => ({
      async receive(m) {
        if (m.type === "push") seen.push(m.n);
        else {
          await Promise.resolve();
          return [...seen];
        }
      },
    }),
  });
  for (let i = 0; i < 5; i++) await ref.tell({ type: "push", n: i });
  assert.deepEqual(await ref.ask({ type: "get" }, { timeoutMs: 100 }), [
    0,
    1,
    2,
    3,
    4,
  ]);
  assert.equal(ref.path, "/t/acc");
  assert.equal(ref.name, "acc");
  await system.shutdown();
});

Deno.test("ask rejects with the handler's error, and the actor carries on after restart", async () => {
  const { system, clock, of } = harness();
  const ref = await system.spawn<string>("flaky", {
    factory: () => ({
      receive(m) {
        if (m === "bad") throw new TypeError("bad input");
        return m.toUpperCase();
      },
    }),
  });
  await assert.rejects(ref.ask("bad", { timeoutMs: 100 }), TypeError);
  await clock.settle();
  assert.equal(await ref.ask("ok", { timeoutMs: 100 }), "OK");
  const failed = of("failed");
  assert.equal(failed.length, 1);
  assert.equal(failed[0].path, "/t/flaky");
  assert.equal(failed[0].messageType, "string");
  assert.equal(of("restarted").length, 1);
  await system.shutdown();
});

Deno.test("ask times out with a named AskTimeoutError carrying the path", async () => {
  const { system, clock } = harness();
  const gate = deferred();
  const ref = await system.spawn<{ type: "slow" }>("slow", {
    factory: () => ({ receive: () => gate.promise }),
  });
  const asked = ref.ask({ type: "slow" }, { timeoutMs: 250 });
  const outcome = asked.then(() => "resolved", (e) => e);
  await clock.advance(249);
  assert.equal(
    await Promise.race([outcome, Promise.resolve("pending")]),
    "pending",
  );
  await clock.advance(1);
  const err = await outcome;
  assert.ok(err instanceof AskTimeoutError);
  assert.equal(err.name, "AskTimeoutError");
  assert.equal(err.path, "/t/slow");
  assert.match(err.message, /\/t\/slow/);
  assert.match(err.message, /"slow"/);
  gate.resolve();
  await system.shutdown();
  assert.equal(clock.pendingTimers(), 0);
});

Deno.test("messages to stopped actors are dead letters; ask to one rejects ActorStoppedError", async () => {
  const { system, of } = harness();
  const ref = await system.spawn<string>("gone", {
    factory: () => ({ receive() {} }),
  });
  await system.shutdown();
  assert.equal(ref.alive, false);
  await ref.tell("late");
  await assert.rejects(ref.ask("late", { timeoutMs: 10 }), ActorStoppedError);
  assert.equal(system.deadLetterCount, 2);
  assert.deepEqual(of("dead_letter").map((e) => [e.path, e.messageType]), [
    ["/t/gone", "string"],
    ["/t/gone", "string"],
  ]);
});

Deno.test("user messages queued at stop become dead letters; queued asks reject, waiting tells resolve", async () => {
  const { system, clock } = harness();
  const gate = deferred();
  const handled: string[] = [];
  const ref = await system.spawn<string>("busy", {
    mailbox: { capacity: 2 },
    factory: () => ({
      async receive(m) {
        handled.push(m);
        if (m === "block") await gate.promise;
      },
    }),
  });
  await ref.tell("block");
  await clock.settle();
  await ref.tell("q1");
  const asked = ref.ask("q2", { timeoutMs: 1000 });
  const waitingTell = ref.tell("q3"); // full: waits for room
  const stopping = system.shutdown();
  await clock.settle();
  gate.resolve();
  await stopping;
  await waitingTell;
  await assert.rejects(asked, ActorStoppedError);
  assert.deepEqual(handled, ["block"]); // stop went ahead of q1..q3
  assert.equal(system.deadLetterCount, 3);
  assert.equal(clock.pendingTimers(), 0);
});

/** Spawns an actor whose first message blocks until released, to fill its mailbox. */
async function blocked(policy: OverflowPolicy) {
  const h = harness();
  const gate = deferred();
  const got: number[] = [];
  const ref = await h.system.spawn<number>("sink", {
    mailbox: { capacity: 2, overflow: policy },
    factory: () => ({
      async receive(n) {
        got.push(n);
        if (n === 0) await gate.promise;
      },
    }),
  });
  await ref.tell(0);
  await h.clock.settle(); // 0 is being handled; the mailbox is empty
  await ref.tell(1);
  await ref.tell(2); // full now
  return { ...h, ref, got, release: gate.resolve };
}

Deno.test("overflow drop-newest drops the new message and counts it", async () => {
  const { ref, got, release, system, clock, of } = await blocked("drop-newest");
  await ref.tell(3);
  assert.equal(ref.depth, 2);
  release();
  await clock.settle();
  assert.deepEqual(got, [0, 1, 2]);
  assert.deepEqual(of("dropped").map((e) => [e.path, e.policy]), [[
    "/t/sink",
    "drop-newest",
  ]]);
  assert.equal(system.droppedCount, 1);
  await system.shutdown();
});

Deno.test("overflow drop-oldest evicts the oldest queued message", async () => {
  const { ref, got, release, system, clock, of } = await blocked("drop-oldest");
  await ref.tell(3);
  await ref.tell(4);
  release();
  await clock.settle();
  assert.deepEqual(got, [0, 3, 4]);
  assert.equal(of("dropped").length, 2);
  await system.shutdown();
});

Deno.test("overflow fail rejects tell and ask with MailboxFullError", async () => {
  const { ref, got, release, system, clock } = await blocked("fail");
  const err = await ref.tell(3).then(() => undefined, (e) => e);
  assert.ok(err instanceof MailboxFullError);
  assert.equal(err.path, "/t/sink");
  assert.match(err.message, /capacity 2/);
  await assert.rejects(ref.ask(4, { timeoutMs: 100 }), MailboxFullError);
  release();
  await clock.settle();
  assert.deepEqual(got, [0, 1, 2]);
  await system.shutdown();
  assert.equal(clock.pendingTimers(), 0);
});

Deno.test("overflow backpressure makes tell wait for room, in order", async () => {
  const { ref, got, release, system, clock } = await blocked("backpressure");
  let resolved = false;
  const t3 = ref.tell(3).then(() => (resolved = true));
  await clock.settle();
  assert.equal(resolved, false);
  assert.equal(ref.depth, 2);
  release();
  await t3;
  await clock.settle();
  assert.deepEqual(got, [0, 1, 2, 3]);
  await system.shutdown();
});

Deno.test("back-pressure: a sender 100x faster than the receiver never grows the mailbox past capacity", async () => {
  const { system, clock, of } = harness();
  const capacity = 4;
  const got: number[] = [];
  let maxDepthSeen = 0;
  const ref = await system.spawn<number>("slow", {
    mailbox: { capacity, overflow: "backpressure" },
    factory: () => ({
      async receive(n) {
        got.push(n);
        await sleep(clock, 100); // receiver: 100 ms per message
      },
    }),
  });
  const total = 60;
  const sender = (async () => {
    for (let i = 0; i < total; i++) {
      await ref.tell(i);
      maxDepthSeen = Math.max(maxDepthSeen, ref.depth!);
      await sleep(clock, 1); // sender: one message per ms
    }
  })();
  for (let t = 0; t < total * 100 + 200; t += 10) {
    await clock.advance(10);
    maxDepthSeen = Math.max(maxDepthSeen, ref.depth!);
  }
  await sender;
  assert.deepEqual(got, Array.from({ length: total }, (_, i) => i));
  assert.equal(maxDepthSeen, capacity); // it did fill up, and never beyond
  const depths = of("mailbox_depth").map((e) => e.depth);
  assert.ok(depths.length > 0 && Math.max(...depths) <= capacity);
  await system.shutdown();
});

Deno.test("property: messages from each sender arrive in the order sent", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 5 }),
      fc.boolean(),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      async (counts, capacity, throughput, asyncHandler, awaitPattern) => {
        const clock = new ManualClock({ settleTurns: 50 });
        const system = new ActorSystem("p", {
          clock,
          logger: silentLogger(),
          throughput,
        });
        const got: [number, number][] = [];
        const ref = await system.spawn<[number, number]>("r", {
          mailbox: { capacity, overflow: "backpressure" },
          factory: () => ({
            receive: asyncHandler
              ? async (m) => {
                await null;
                got.push(m);
              }
              : (m) => void got.push(m),
          }),
        });
        // Senders interleave; some await each tell, some fire several before awaiting.
        await Promise.all(counts.map(async (count, s) => {
          const pending: Promise<void>[] = [];
          for (let i = 0; i < count; i++) {
            const p = ref.tell([s, i]);
            if (awaitPattern[i % awaitPattern.length]) await p;
            else pending.push(p);
          }
          await Promise.all(pending);
        }));
        while (ref.depth! > 0) await clock.settle();
        await clock.settle();
        for (let s = 0; s < counts.length; s++) {
          const mine = got.filter(([from]) => from === s).map(([, i]) => i);
          assert.deepEqual(
            mine,
            Array.from({ length: counts[s] }, (_, i) => i),
          );
        }
        await system.shutdown();
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("Terminated goes ahead of queued user messages", async () => {
  const { system, clock } = harness();
  const gate = deferred();
  const seen: string[] = [];
  type W = string | { type: "terminated"; path: string };
  const target = await system.spawn<string>("target", {
    restart: "temporary",
    factory: (ctx) => ({ receive: () => ctx.stopSelf() }),
  });
  const watcher = await system.spawn<W>("watcher", {
    factory: (ctx) => ({
      preStart: () => ctx.watch(target, (t) => t),
      async receive(m) {
        seen.push(typeof m === "string" ? m : `terminated:${m.path}`);
        if (m === "block") await gate.promise;
      },
    }),
  });
  await watcher.tell("block");
  await clock.settle();
  await watcher.tell("u1");
  await watcher.tell("u2");
  await target.tell("die");
  await clock.settle();
  assert.equal(target.alive, false);
  gate.resolve();
  await clock.settle();
  assert.deepEqual(seen, ["block", "terminated:/t/target", "u1", "u2"]);
  await system.shutdown();
});

Deno.test("watch delivers Terminated (with error after a failure), immediately if already stopped; unwatch stops it", async () => {
  const { system, clock } = harness({
    supervision: { decide: () => "stop" },
  });
  type W = { type: "terminated"; path: string; error?: unknown } | {
    type: "watch";
    ref: unknown;
  };
  const seen: { path: string; error?: unknown }[] = [];
  const doomed = await system.spawn<string>("doomed", {
    factory: () => ({
      receive() {
        throw new Error("fatal");
      },
    }),
  });
  const quiet = await system.spawn<string>("quiet", {
    factory: () => ({ receive() {} }),
  });
  await system.spawn<W>("watcher", {
    factory: (ctx) => ({
      preStart() {
        ctx.watch(doomed, (t) => t);
        ctx.watch(quiet, (t) => t);
        ctx.unwatch(quiet);
      },
      receive(m) {
        if (m.type === "terminated") {
          seen.push({ path: m.path, error: m.error });
        }
      },
    }),
  });
  await doomed.tell("boom");
  await clock.settle();
  assert.equal(doomed.alive, false);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].path, "/t/doomed");
  assert.equal((seen[0].error as Error).message, "fatal");
  // Watching an actor that is already stopped delivers at once.
  await system.spawn<W>("late-watcher", {
    factory: (ctx) => ({
      preStart: () => ctx.watch(doomed, (t) => t),
      receive(m) {
        if (m.type === "terminated") seen.push({ path: `late:${m.path}` });
      },
    }),
  });
  await clock.settle();
  assert.deepEqual(seen.map((s) => s.path), ["/t/doomed", "late:/t/doomed"]);
  await system.shutdown();
  assert.equal(seen.length, 2); // quiet's stop was unwatched
});

Deno.test("idle passivation stops a transient actor after ms without messages, without restart", async () => {
  const { system, clock, of } = harness();
  const ref = await system.spawn<string>("session", {
    restart: "transient",
    factory: (ctx) => ({
      preStart: () => ctx.setIdleTimeout(1000),
      receive() {},
    }),
  });
  await clock.advance(600);
  await ref.tell("activity"); // resets the idle period
  await clock.advance(900);
  assert.equal(ref.alive, true);
  await clock.advance(100);
  assert.equal(ref.alive, false);
  assert.equal(of("restarted").length, 0);
  assert.deepEqual(of("stopped").map((e) => e.path), ["/t/session"]);
  assert.equal(clock.pendingTimers(), 0);
  await system.shutdown();
});

Deno.test("idle passivation of a permanent actor restarts it (OTP semantics)", async () => {
  const { system, clock, of } = harness();
  let starts = 0;
  const ref = await system.spawn<string>("perm", {
    factory: (ctx) => ({
      preStart() {
        starts++;
        if (starts === 1) ctx.setIdleTimeout(100);
      },
      receive: (m) => m,
    }),
  });
  await clock.advance(100);
  assert.equal(starts, 2);
  assert.equal(ref.alive, true);
  assert.equal(
    await ref.ask("same ref works", { timeoutMs: 10 }),
    "same ref works",
  );
  assert.equal(of("restarted").length, 1);
  await system.shutdown();
});

Deno.test("timers deliver to self and are cancelled on restart and on stop", async () => {
  const { system, clock } = harness();
  const got: string[] = [];
  let incarnation = 0;
  let activeAfterRestart: boolean | undefined;
  const ref = await system.spawn<string>("timed", {
    factory: (ctx) => {
      const me = ++incarnation;
      return {
        preStart() {
          if (me === 1) {
            ctx.timers.startSingle("once", "single", 50);
            ctx.timers.startPeriodic("tick", "tick", 20);
          } else {
            activeAfterRestart = ctx.timers.isActive("tick") ||
              ctx.timers.isActive("once");
            ctx.timers.startPeriodic("tick2", "tick2", 30);
          }
        },
        receive(m) {
          got.push(`${me}:${m}`);
          if (m === "crash") throw new Error("crash");
        },
      };
    },
  });
  await clock.advance(60);
  assert.deepEqual(got, ["1:tick", "1:tick", "1:single", "1:tick"]);
  await ref.tell("crash");
  await clock.settle();
  assert.equal(activeAfterRestart, false);
  await clock.advance(100);
  assert.deepEqual(got.slice(5), ["2:tick2", "2:tick2", "2:tick2"]);
  assert.equal(clock.pendingTimers(), 1);
  await system.shutdown();
  assert.equal(clock.pendingTimers(), 0);
});

Deno.test("a throwing async handler causes no unhandled rejection", async () => {
  let unhandled = 0;
  const onUnhandled = (e: PromiseRejectionEvent) => {
    unhandled++;
    e.preventDefault();
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  try {
    const { system, clock, of } = harness({
      supervision: { maxRestarts: 100 },
    });
    const ref = await system.spawn<string>("thrower", {
      factory: () => ({
        async preStart() {},
        async receive(m) {
          await null;
          if (m !== "ok") throw new Error(`async failure ${m}`);
        },
      }),
    });
    for (let i = 0; i < 5; i++) {
      await ref.tell(`bad-${i}`);
      await clock.settle();
    }
    await ref.tell("ok");
    await clock.settle();
    // Let the event loop dispatch any unhandledrejection events.
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(of("failed").length, 5);
    assert.equal(unhandled, 0);
    await system.shutdown();
  } finally {
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
  }
});

Deno.test("the drain loop yields to the event loop after `throughput` messages", async () => {
  const clock = new ManualClock();
  let yields = 0;
  const counting: Clock = {
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    clearTimeout: (id) => clock.clearTimeout(id),
    yield: () => {
      yields++;
      return Promise.resolve();
    },
  };
  const system = new ActorSystem("y", {
    clock: counting,
    logger: silentLogger(),
    throughput: 4,
  });
  const ref = await system.spawn<number>("r", {
    factory: () => ({ receive() {} }),
  });
  for (let i = 0; i < 10; i++) void ref.tell(i);
  await clock.settle();
  assert.equal(yields, 2);
  await system.shutdown();
});
