import assert from "node:assert/strict";
import {
  type ActorProps,
  ActorStoppedError,
  ActorSystem,
  AskTimeoutError,
  InvalidActorNameError,
  silentLogger,
} from "./mod.ts";
import { deferred, harness } from "./test_util.ts";

function recorder(
  name: string,
  log: string[],
  children: string[] = [],
): ActorProps<string> {
  return {
    factory: (ctx) => ({
      async preStart() {
        log.push(`start ${ctx.path}`);
        for (const c of children) await ctx.spawn(c, recorder(c, log));
      },
      receive: () => name,
      postStop: () => void log.push(`stop ${ctx.path}`),
    }),
  };
}

Deno.test("children start in order and stop in reverse order, subtree by subtree", async () => {
  const { system, of } = harness();
  const log: string[] = [];
  await system.spawn("a", recorder("a", log, ["a1", "a2"]));
  await system.spawn("b", recorder("b", log, ["b1", "b2"]));
  assert.deepEqual(log, [
    "start /t/a",
    "start /t/a/a1",
    "start /t/a/a2",
    "start /t/b",
    "start /t/b/b1",
    "start /t/b/b2",
  ]);
  log.length = 0;
  await system.shutdown();
  assert.deepEqual(log, [
    "stop /t/b/b2",
    "stop /t/b/b1",
    "stop /t/b",
    "stop /t/a/a2",
    "stop /t/a/a1",
    "stop /t/a",
  ]);
  assert.deepEqual(of("stopped").map((e) => e.path).at(-1), "/t");
  assert.deepEqual(await system.whenTerminated, {});
  assert.equal(system.terminated, true);
});

Deno.test("a child that overruns shutdownTimeoutMs is abandoned and reported; the rest still stop", async () => {
  const { system, clock, of } = harness();
  const log: string[] = [];
  const never = deferred();
  await system.spawn("first", recorder("first", log));
  const stuck = await system.spawn<string>("stuck", {
    shutdownTimeoutMs: 300,
    factory: () => ({ receive() {}, postStop: () => never.promise }),
  });
  await system.spawn("last", recorder("last", log));
  let done = false;
  const stopping = system.shutdown().then(() => (done = true));
  await clock.advance(299);
  assert.equal(done, false);
  assert.deepEqual(log, ["start /t/first", "start /t/last", "stop /t/last"]);
  await clock.advance(1);
  await stopping;
  assert.deepEqual(log.at(-1), "stop /t/first");
  assert.deepEqual(of("shutdown_timeout").map((e) => e.path), ["/t/stuck"]);
  assert.equal(stuck.alive, false);
  assert.equal(clock.pendingTimers(), 0);
  never.resolve();
});

Deno.test("dynamic children: spawn from a handler, list, look up, stop; names are unique", async () => {
  const { system, clock } = harness();
  type M = { type: "open"; key: string } | { type: "close"; key: string } | {
    type: "list";
  };
  const log: string[] = [];
  const mgr = await system.spawn<M>("mgr", {
    factory: (ctx) => ({
      async receive(m) {
        if (m.type === "open") {
          await ctx.spawn(`w-${m.key}`, {
            restart: "transient",
            ...recorder(m.key, log),
          });
        } else if (m.type === "close") await ctx.stopChild(`w-${m.key}`);
        else return { names: ctx.children(), found: ctx.child("w-B")?.path };
      },
    }),
  });
  await mgr.tell({ type: "open", key: "A" });
  await mgr.tell({ type: "open", key: "B" });
  await mgr.tell({ type: "open", key: "C" });
  await mgr.tell({ type: "close", key: "A" });
  assert.deepEqual(await mgr.ask({ type: "list" }, { timeoutMs: 100 }), {
    names: ["w-B", "w-C"],
    found: "/t/mgr/w-B",
  });
  // A duplicate name fails that handler (the error is supervised like any other).
  await assert.rejects(
    mgr.ask({ type: "open", key: "B" }, { timeoutMs: 100 }),
    InvalidActorNameError,
  );
  await clock.settle();
  await assert.rejects(
    system.spawn("a/b", recorder("x", log)),
    InvalidActorNameError,
  );
  await system.shutdown();
  await assert.rejects(
    system.spawn("late", recorder("late", log)),
    ActorStoppedError,
  );
});

Deno.test("events: subscribe with a type filter, unsubscribe, a throwing listener is isolated", async () => {
  const { system } = harness();
  const started: string[] = [];
  const off = system.events.subscribe((e) => started.push(e.path), {
    types: ["started"],
  });
  system.events.subscribe(() => {
    throw new Error("listener bug");
  });
  assert.equal(system.events.wants("handler_duration"), true);
  const ref = await system.spawn<string>("x", {
    factory: () => ({ receive: (m) => m }),
  });
  assert.equal(await ref.ask("still works", { timeoutMs: 10 }), "still works");
  off();
  await system.spawn("y", { factory: () => ({ receive() {} }) });
  assert.deepEqual(started, ["/t", "/t/x"]); // the root guardian, then x
  await system.shutdown();
});

Deno.test("with RealClock: ask round trip, real ask timeout, clean shutdown (no leaked timers)", async () => {
  const system = new ActorSystem("real", { logger: silentLogger() });
  const gate = deferred();
  const ref = await system.spawn<string>("echo", {
    factory: () => ({ receive: (m) => (m === "hang" ? gate.promise : m) }),
  });
  const many = await Promise.all(
    Array.from(
      { length: 200 },
      (_, i) => ref.ask(`m${i}`, { timeoutMs: 1000 }),
    ),
  );
  assert.equal(many[199], "m199");
  await assert.rejects(ref.ask("hang", { timeoutMs: 20 }), AskTimeoutError);
  gate.resolve();
  await system.shutdown();
});
