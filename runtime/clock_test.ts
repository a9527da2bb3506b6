import assert from "node:assert/strict";
import { ManualClock, RealClock } from "./clock.ts";

Deno.test("ManualClock fires due timers in time order, ties in scheduling order", async () => {
  const clock = new ManualClock({ start: 1000 });
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("c@30"), 30);
  clock.setTimeout(() => fired.push("a@10"), 10);
  clock.setTimeout(() => fired.push("b@10"), 10);
  const cancelled = clock.setTimeout(() => fired.push("x"), 5);
  clock.clearTimeout(cancelled);
  assert.equal(clock.pendingTimers(), 3);
  await clock.advance(20);
  assert.deepEqual(fired, ["a@10", "b@10"]);
  assert.equal(clock.now(), 1020);
  await clock.advance(10);
  assert.deepEqual(fired, ["a@10", "b@10", "c@30"]);
  assert.equal(clock.pendingTimers(), 0);
});

Deno.test("ManualClock fires timers scheduled by awaited work within the same advance", async () => {
  const clock = new ManualClock();
  const at: number[] = [];
  clock.setTimeout(async () => {
    await Promise.resolve();
    await Promise.resolve();
    clock.setTimeout(() => at.push(clock.now()), 5);
  }, 10);
  await clock.advance(15);
  assert.deepEqual(at, [15]);
});

Deno.test("ManualClock.advance settles awaited handlers between timers", async () => {
  const clock = new ManualClock();
  const log: string[] = [];
  clock.setTimeout(async () => {
    await null;
    await null;
    log.push("first done");
  }, 1);
  clock.setTimeout(() => log.push("second"), 1);
  await clock.advance(1);
  assert.deepEqual(log, ["first done", "second"]);
});

Deno.test("RealClock schedules, cancels and yields a macrotask", async () => {
  const clock = new RealClock();
  assert.ok(Math.abs(clock.now() - Date.now()) < 1000);
  let fired = false;
  const id = clock.setTimeout(() => (fired = true), 1);
  clock.clearTimeout(id);
  let macrotaskRan = false;
  setTimeout(() => (macrotaskRan = true), 0);
  await new Promise((r) => setTimeout(r, 5));
  await clock.yield();
  assert.equal(fired, false);
  assert.equal(macrotaskRan, true);
});
