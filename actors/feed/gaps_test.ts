import assert from "node:assert/strict";
import { SubscriptionGaps } from "./gaps.ts";

Deno.test("gaps: a handover opens and closes a gap that counts the trades nobody got", () => {
  const gaps = new SubscriptionGaps(["A", "B", "C"]);
  gaps.observe(new Set(["A", "B"]), 1_000);
  assert.equal(gaps.miss("A"), false, "A is held: no gap to count in");
  assert.equal(gaps.miss("C"), true, "C was never held: a gap from the start");
  gaps.observe(new Set(["B"]), 2_000);
  gaps.miss("A");
  gaps.miss("A");
  gaps.observe(new Set(["A", "B"]), 2_400);
  gaps.miss("A");
  gaps.observe(new Set(["A", "B"]), 2_500);
  assert.deepEqual(gaps.list(), [
    { symbol: "A", from: 2_000, to: 2_400, missed: 2 },
    { symbol: "C", from: 1_000, missed: 1 },
  ]);
});

Deno.test("gaps: list() hands out copies", () => {
  const gaps = new SubscriptionGaps(["A"]);
  gaps.observe(new Set(), 5);
  gaps.list()[0].missed = 99;
  assert.equal(gaps.list()[0].missed, 0);
});
