import assert from "node:assert/strict";
import { retryWithBackoff } from "./retry.ts";

Deno.test("retryWithBackoff retries retryable errors with growing, capped delays", async () => {
  const delays: number[] = [];
  let calls = 0;
  const result = await retryWithBackoff(() => {
    calls++;
    return calls < 4
      ? Promise.reject(new Error("timeout"))
      : Promise.resolve("ok");
  }, {
    attempts: 5,
    minMs: 10,
    maxMs: 30,
    isRetryable: () => true,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    random: () => 0.999,
  });
  assert.equal(result, "ok");
  assert.equal(calls, 4);
  assert.deepEqual(delays, [9, 19, 29]);
});

Deno.test("retryWithBackoff rethrows a non-retryable error at once", async () => {
  let calls = 0;
  await assert.rejects(
    retryWithBackoff(() => {
      calls++;
      return Promise.reject(new TypeError("bad"));
    }, {
      attempts: 5,
      minMs: 1,
      maxMs: 1,
      isRetryable: (e) => !(e instanceof TypeError),
      sleep: () => Promise.resolve(),
    }),
    TypeError,
  );
  assert.equal(calls, 1);
});

Deno.test("retryWithBackoff gives up after the last attempt", async () => {
  let calls = 0;
  await assert.rejects(
    retryWithBackoff(() => {
      calls++;
      return Promise.reject(new Error("down"));
    }, {
      attempts: 3,
      minMs: 1,
      maxMs: 1,
      isRetryable: () => true,
      sleep: () => Promise.resolve(),
    }),
    /down/,
  );
  assert.equal(calls, 3);
});
