import assert from "node:assert/strict";
import { checkHeapBudget, HeapBudgetError } from "./heap_budget.ts";
import { loadConfig } from "./config.ts";

const MiB = 2 ** 20;

Deno.test("heap budget: the default queues fit the heap deno task app gives (128 MiB old space, 8 MiB semi-spaces)", () => {
  checkHeapBudget(loadConfig({}), 152 * MiB);
});

Deno.test("heap budget: the ingest buffer is packed outside the heap, so a large one does not count", () => {
  checkHeapBudget(loadConfig({ INGEST_RATE_PER_SEC: "200000" }), 152 * MiB);
});

Deno.test("heap budget: 96 MiB of old space is refused: the default dead-letter bound and the working set do not fit", () => {
  assert.throws(
    () => checkHeapBudget(loadConfig({}), 120 * MiB),
    HeapBudgetError,
  );
});

Deno.test("heap budget: a dead-letter queue that cannot fit is refused, naming both fixes", () => {
  const c = loadConfig({ DLQ_BUFFER_BYTES: String(128 * MiB) });
  assert.throws(
    () => checkHeapBudget(c, 152 * MiB),
    (e) =>
      e instanceof HeapBudgetError &&
      /DLQ_BUFFER_BYTES/.test(e.message) &&
      /--max-old-space-size=\d+/.test(e.message),
  );
});
