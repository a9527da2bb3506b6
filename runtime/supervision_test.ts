import assert from "node:assert/strict";
import {
  type ActorContext,
  ActorFailedError,
  type ActorProps,
  type ActorRef,
  RestartIntensityExceededError,
  type RestartType,
  type SupervisorOptions,
  SystemFailedError,
} from "./mod.ts";
import { harness } from "./test_util.ts";

type Msg = "crash" | "stop" | "count" | "get";

/** A child that logs its lifecycle into `log` and counts messages in instance state. */
function probe(
  name: string,
  log: string[],
  restart: RestartType = "permanent",
): ActorProps<Msg> {
  return {
    restart,
    factory: (ctx) => {
      let count = 0;
      return {
        preStart: () => void log.push(`start ${name}`),
        preRestart: () => void log.push(`preRestart ${name}`),
        postStop: () => void log.push(`stop ${name}`),
        receive(m) {
          if (m === "crash") throw new Error(`${name} crashed`);
          if (m === "stop") ctx.stopSelf();
          if (m === "count") count++;
          return count;
        },
      };
    },
  };
}

/** A parent with children a, b, c under `supervision`. */
async function family(
  supervision: SupervisorOptions,
  types: RestartType[] = [],
) {
  const h = harness();
  const log: string[] = [];
  let ctxOut: ActorContext<never> | undefined;
  const parent = await h.system.spawn<never>("parent", {
    supervision,
    factory: (ctx) => ({
      async preStart() {
        ctxOut = ctx;
        for (const [i, n] of ["a", "b", "c"].entries()) {
          await ctx.spawn(n, probe(n, log, types[i]));
        }
      },
      receive() {},
    }),
  });
  const kid = (n: string) => ctxOut!.child<Msg>(n)!;
  for (const n of ["a", "b", "c"]) await kid(n).tell("count");
  log.length = 0;
  return { ...h, log, parent, kid, ctx: () => ctxOut! };
}

const counts = (kid: (n: string) => ActorRef<Msg>) =>
  Promise.all(
    ["a", "b", "c"].map((n) => kid(n).ask<number>("get", { timeoutMs: 100 })),
  );

Deno.test("one_for_one restarts only the failed child", async () => {
  const { system, clock, log, kid } = await family({ strategy: "one_for_one" });
  await kid("b").tell("crash");
  await clock.settle();
  assert.deepEqual(log, ["preRestart b", "start b"]);
  assert.deepEqual(await counts(kid), [1, 0, 1]);
  await system.shutdown();
});

Deno.test("one_for_all tears all children down in reverse order and starts them in order", async () => {
  const { system, clock, log, kid, of } = await family({
    strategy: "one_for_all",
  });
  await kid("b").tell("crash");
  await clock.settle();
  assert.deepEqual(log, [
    "preRestart c",
    "preRestart b",
    "preRestart a",
    "start a",
    "start b",
    "start c",
  ]);
  assert.deepEqual(await counts(kid), [0, 0, 0]);
  assert.deepEqual(of("restarted").map((e) => e.path), [
    "/t/parent/a",
    "/t/parent/b",
    "/t/parent/c",
  ]);
  await system.shutdown();
});

Deno.test("rest_for_one restarts the failed child and those started after it", async () => {
  const { system, clock, log, kid } = await family({
    strategy: "rest_for_one",
  });
  await kid("b").tell("crash");
  await clock.settle();
  assert.deepEqual(log, ["preRestart c", "preRestart b", "start b", "start c"]);
  assert.deepEqual(await counts(kid), [1, 0, 0]);
  await system.shutdown();
});

Deno.test("one_for_all stops a temporary sibling instead of restarting it", async () => {
  const { system, clock, log, kid, ctx } = await family({
    strategy: "one_for_all",
  }, [
    "permanent",
    "permanent",
    "temporary",
  ]);
  await kid("a").tell("crash");
  await clock.settle();
  assert.deepEqual(log, [
    "stop c",
    "preRestart b",
    "preRestart a",
    "start a",
    "start b",
  ]);
  assert.deepEqual(ctx().children(), ["a", "b"]);
  await system.shutdown();
});

Deno.test("restart types: permanent always restarts, transient only on failure, temporary never", async () => {
  const { system, clock, log, kid, ctx } = await family({}, [
    "permanent",
    "transient",
    "temporary",
  ]);
  // Normal (self) stops.
  await kid("a").tell("stop");
  await kid("b").tell("stop");
  await clock.settle();
  assert.deepEqual(log, ["stop a", "stop b", "start a"]);
  assert.deepEqual(ctx().children(), ["a", "c"]);
  // Failures.
  log.length = 0;
  await kid("c").tell("crash");
  await clock.settle();
  assert.deepEqual(log, ["stop c"]);
  assert.deepEqual(ctx().children(), ["a"]);

  const h2 = await family({}, ["transient", "transient", "transient"]);
  await h2.kid("a").tell("crash");
  await h2.clock.settle();
  assert.deepEqual(h2.log, ["preRestart a", "start a"]);
  await h2.system.shutdown();
  await system.shutdown();
});

Deno.test("decide: resume keeps the instance and its state, skipping the poisoned message", async () => {
  const { system, clock, log, kid, of } = await family({
    decide: () => "resume",
  });
  await kid("a").tell("count");
  await kid("a").tell("crash");
  await kid("a").tell("count");
  await clock.settle();
  assert.equal(await kid("a").ask("get", { timeoutMs: 100 }), 3);
  assert.deepEqual(log, []);
  assert.equal(of("failed").length, 1);
  await system.shutdown();
});

Deno.test("decide: stop removes the child; escalate fails the parent with ActorFailedError", async () => {
  const errors: unknown[] = [];
  const { system, clock, log, kid, ctx, of } = await family({
    decide: (
      e,
    ) => (errors.push(e),
      (e as Error).message.startsWith("a") ? "stop" : "escalate"),
  });
  await kid("a").tell("crash");
  await clock.settle();
  assert.deepEqual(log, ["stop a"]);
  assert.deepEqual(ctx().children(), ["b", "c"]);
  log.length = 0;
  await kid("b").tell("crash");
  await clock.settle();
  // The root restarted the parent: whole subtree stopped and rebuilt.
  assert.deepEqual(log, ["stop c", "stop b", "start a", "start b", "start c"]);
  assert.deepEqual(of("escalated").map((e) => e.path), ["/t/parent"]);
  const parentFailure = of("failed").length; // children's failures
  assert.equal(parentFailure, 2);
  assert.equal((errors[1] as Error).message, "b crashed");
  assert.deepEqual(of("restarted").map((e) => e.path), ["/t/parent"]);
  const cause = of("restarted")[0].error;
  assert.ok(cause instanceof ActorFailedError);
  assert.equal(cause.path, "/t/parent/b");
  await system.shutdown();
});

Deno.test("restart intensity: more than maxRestarts within withinMs escalates up to the root and stops the system", async () => {
  const h = harness({ supervision: { maxRestarts: 0 } });
  const log: string[] = [];
  let ctxOut: ActorContext<never> | undefined;
  await h.system.spawn<never>("parent", {
    supervision: { maxRestarts: 2, withinMs: 1000 },
    factory: (ctx) => ({
      preStart: async () => {
        ctxOut = ctx;
        await ctx.spawn("a", probe("a", log));
        await ctx.spawn("b", probe("b", log));
      },
      receive() {},
    }),
  });
  const a = () => ctxOut!.child<Msg>("a")!;
  // Two restarts within the window are tolerated.
  await a().tell("crash");
  await h.clock.advance(100);
  await a().tell("crash");
  await h.clock.advance(100);
  assert.equal(h.of("restarted").length, 2);
  assert.equal(h.system.terminated, false);
  log.length = 0;
  // The third within 1000 ms is one too many.
  await a().tell("crash");
  const result = await h.system.whenTerminated;
  assert.deepEqual(log, ["stop b", "stop a"]);
  assert.ok(result.error instanceof SystemFailedError);
  const rootGaveUp = result.error.cause;
  assert.ok(rootGaveUp instanceof RestartIntensityExceededError);
  assert.equal(rootGaveUp.path, "/t");
  assert.ok(rootGaveUp.cause instanceof RestartIntensityExceededError);
  assert.equal(rootGaveUp.cause.path, "/t/parent");
  // The parent gave up with RestartIntensityExceededError; the root (maxRestarts 0) gave up on the parent.
  const escalations = h.of("escalated");
  assert.deepEqual(escalations.map((e) => e.path), ["/t/parent", "/t"]);
  assert.ok(escalations[0].error instanceof RestartIntensityExceededError);
  assert.equal(
    (escalations[0].error as RestartIntensityExceededError).path,
    "/t/parent",
  );
  assert.ok(escalations[1].error instanceof RestartIntensityExceededError);
  assert.match(String((result.error as Error).message), /\/t/);
  assert.equal(h.clock.pendingTimers(), 0);
});

Deno.test("restart intensity is a sliding window: spaced-out failures never escalate", async () => {
  const h = harness({ supervision: { maxRestarts: 2, withinMs: 1000 } });
  const log: string[] = [];
  const ref = await h.system.spawn("a", probe("a", log));
  for (let i = 0; i < 10; i++) {
    await ref.tell("crash");
    await h.clock.advance(501); // at most 2 restarts in any 1000 ms
  }
  assert.equal(h.of("restarted").length, 10);
  assert.equal(h.of("escalated").length, 0);
  await h.system.shutdown();
  assert.deepEqual(await h.system.whenTerminated, {});
});

Deno.test("back-off: exponential delay with jitter on the clock, reset after a quiet period", async () => {
  const h = harness({
    supervision: {
      maxRestarts: 100,
      withinMs: 100_000,
      backoff: {
        minMs: 100,
        maxMs: 400,
        resetAfterMs: 10_000,
        random: () => 0.5,
      },
    },
  });
  const log: string[] = [];
  const ref = await h.system.spawn("a", probe("a", log));
  const restartAfter = async (expected: number) => {
    const before = h.of("restarted").length;
    await ref.tell("crash");
    await h.clock.advance(expected - 1);
    assert.equal(
      h.of("restarted").length,
      before,
      `not restarted before ${expected} ms`,
    );
    await h.clock.advance(1);
    assert.equal(
      h.of("restarted").length,
      before + 1,
      `restarted at ${expected} ms`,
    );
    assert.equal(h.of("restarted").at(-1)!.delayMs, expected);
  };
  await restartAfter(50); // 0.5 * 100
  await restartAfter(100); // 0.5 * 200
  await restartAfter(200); // 0.5 * 400
  await restartAfter(200); // capped at maxMs 400
  await h.clock.advance(10_000); // quiet period
  await restartAfter(50);
  // Messages sent during the back-off wait in the mailbox for the new instance.
  await ref.tell("crash");
  await ref.tell("count");
  await h.clock.advance(100); // 0.5 * 200: second attempt since the reset
  assert.equal(await ref.ask("get", { timeoutMs: 1000 }), 1);
  await h.system.shutdown();
  assert.equal(h.clock.pendingTimers(), 0);
});

Deno.test("preStart failure is supervised: backs off, counts toward intensity, escalates", async () => {
  let attempts = 0;
  const h = harness({
    supervision: {
      maxRestarts: 2,
      withinMs: 10_000,
      backoff: {
        minMs: 100,
        maxMs: 1000,
        resetAfterMs: 60_000,
        random: () => 1 - 1e-9,
      },
    },
  });
  const ref = await h.system.spawn<string>("fragile", {
    factory: () => ({
      preStart() {
        attempts++;
        throw new Error(`init failed #${attempts}`);
      },
      receive: () => "never",
    }),
  });
  assert.equal(attempts, 1);
  assert.equal(ref.alive, true); // failed, awaiting its supervisor
  await h.clock.advance(99);
  assert.equal(attempts, 2); // first back-off ~100 ms
  await h.clock.advance(199);
  assert.equal(attempts, 3); // then ~200 ms
  const { error } = await h.system.whenTerminated; // third restart exceeds 2
  assert.ok(error instanceof SystemFailedError);
  assert.equal(attempts, 3);
  assert.deepEqual(h.of("failed").map((e) => e.messageType), [
    "preStart",
    "preStart",
    "preStart",
  ]);
});

Deno.test("preStart that fails then recovers is restarted and then handles messages", async () => {
  let attempts = 0;
  const h = harness();
  const ref = await h.system.spawn<string>("recovers", {
    factory: () => ({
      preStart() {
        if (++attempts < 3) throw new Error("not yet");
      },
      receive: (m) => m,
    }),
  });
  await ref.tell("queued during restarts");
  assert.equal(await ref.ask("hello", { timeoutMs: 100 }), "hello");
  assert.equal(attempts, 3);
  await h.system.shutdown();
});
