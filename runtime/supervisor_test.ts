import assert from "node:assert/strict";
import {
  affectedChildren,
  effectiveDirective,
  resolveSupervision,
  restartsOnNormalStop,
  RestartWindow,
} from "./supervisor.ts";

Deno.test("RestartWindow counts restarts in a sliding window", () => {
  const w = new RestartWindow(3, 1000);
  assert.equal(w.record(0), false);
  assert.equal(w.record(400), false);
  assert.equal(w.record(800), false);
  assert.equal(w.record(999), true); // 4 within 1000 ms
  // A counter reset per success would miss this; the window keeps 400, 800, 999, 1300.
  assert.equal(w.record(1300), true);
  assert.equal(w.record(2500), false);
});

Deno.test("affectedChildren per strategy", () => {
  const kids = ["a", "b", "c", "d"];
  assert.deepEqual(affectedChildren("one_for_one", kids, "b"), ["b"]);
  assert.deepEqual(affectedChildren("one_for_all", kids, "b"), kids);
  assert.deepEqual(affectedChildren("rest_for_one", kids, "b"), [
    "b",
    "c",
    "d",
  ]);
});

Deno.test("restart types override directives", () => {
  assert.equal(effectiveDirective("temporary", "restart"), "stop");
  assert.equal(effectiveDirective("temporary", "resume"), "resume");
  assert.equal(effectiveDirective("transient", "restart"), "restart");
  assert.equal(restartsOnNormalStop("permanent"), true);
  assert.equal(restartsOnNormalStop("transient"), false);
  assert.equal(restartsOnNormalStop("temporary"), false);
});

Deno.test("resolveSupervision fills defaults and rejects nonsense", () => {
  const s = resolveSupervision();
  assert.equal(s.strategy, "one_for_one");
  assert.equal(s.maxRestarts, 3);
  assert.equal(s.withinMs, 5000);
  assert.throws(() => resolveSupervision({ withinMs: 0 }), RangeError);
});
