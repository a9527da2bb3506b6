import assert from "node:assert/strict";
import { checkHeapBudget, HeapBudgetError } from "./heap_budget.ts";
import { loadConfig } from "./config.ts";

const MiB = 2 ** 20;

Deno.test("heap budget: the default queues fit the heap deno task app gives (256 MiB old space, 8 MiB semi-spaces)", () => {
  const c = loadConfig({});
  checkHeapBudget(c, 280 * MiB);
});

Deno.test("heap budget: the default queues did not fit 128 MiB of old space (a flood ran it out of heap)", () => {
  assert.throws(
    () => checkHeapBudget(loadConfig({}), 152 * MiB),
    HeapBudgetError,
  );
});

Deno.test("heap budget: queues that cannot fit are refused, naming both fixes", () => {
  const c = loadConfig({ INGEST_RATE_PER_SEC: "20000" });
  assert.throws(
    () => checkHeapBudget(c, 280 * MiB),
    (e) =>
      e instanceof HeapBudgetError &&
      /INGEST_BUFFER_BYTES/.test(e.message) &&
      /--max-old-space-size=\d+/.test(e.message),
  );
});
