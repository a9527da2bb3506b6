import assert from "node:assert/strict";
import type { RuntimeEvent } from "../../runtime/types.ts";
import { createPipelineMetrics } from "./pipeline_metrics.ts";
import { observeRuntimeEvents } from "./runtime_events.ts";

function fakeRuntime() {
  const listeners = new Set<(e: RuntimeEvent) => void>();
  return {
    subscribe: (l: (e: RuntimeEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit: (e: RuntimeEvent) => listeners.forEach((l) => l(e)),
    get size() {
      return listeners.size;
    },
  };
}

async function value(
  m: ReturnType<typeof createPipelineMetrics>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const json = await m.registry.getSingleMetric(name)!.get();
  const found = json.values.find((v) =>
    (v as { metricName?: string }).metricName === undefined ||
      (v as { metricName?: string }).metricName === name
      ? Object.entries(labels).every(([k, x]) => v.labels[k] === x) &&
        Object.keys(v.labels).length === Object.keys(labels).length
      : false
  );
  return found?.value;
}

Deno.test("runtime events update the actor counters", async () => {
  const rt = fakeRuntime();
  const m = createPipelineMetrics();
  const stop = observeRuntimeEvents(m, rt.subscribe);
  const err = new Error("boom");
  rt.emit({
    type: "restarted",
    path: "/p/window-AAPL",
    kind: "window",
    error: err,
    delayMs: 10,
  });
  rt.emit({
    type: "restarted",
    path: "/p/window-MSFT",
    kind: "window",
    error: err,
    delayMs: 10,
  });
  rt.emit({
    type: "failed",
    path: "/p/writer",
    kind: "writer",
    error: err,
    messageType: "Batch",
  });
  rt.emit({ type: "dead_letter", path: "/p/gone", messageType: "Tick" });
  rt.emit({
    type: "dropped",
    path: "/p/partition-0",
    kind: "partition",
    policy: "drop-oldest",
  });
  rt.emit({
    type: "handler_duration",
    path: "/p/writer",
    kind: "writer",
    messageType: "Batch",
    ms: 2,
  });
  rt.emit({ type: "started", path: "/p/x", kind: "ingest" });
  rt.emit({ type: "escalated", path: "/p/x", kind: "ingest", error: err });

  assert.equal(
    await value(m, "tickline_actor_restarts_total", { kind: "window" }),
    2,
  );
  assert.equal(
    await value(m, "tickline_actor_failures_total", { kind: "writer" }),
    1,
  );
  assert.equal(await value(m, "tickline_actor_dead_letters_total"), 1);
  assert.equal(
    await value(m, "tickline_actor_dropped_messages_total", {
      kind: "partition",
    }),
    1,
  );
  const text = await m.registry.metrics();
  assert.match(
    text,
    /tickline_actor_handler_duration_seconds_sum\{kind="writer"\} 0.002/,
  );
  assert.doesNotMatch(text, /path=/, "paths must never become labels");

  stop();
  assert.equal(rt.size, 0);
  rt.emit({ type: "dead_letter", path: "/p/gone", messageType: "Tick" });
  assert.equal(await value(m, "tickline_actor_dead_letters_total"), 1);
});

Deno.test("mailbox depth is the max over running actors of a kind", async () => {
  const rt = fakeRuntime();
  const m = createPipelineMetrics();
  observeRuntimeEvents(m, rt.subscribe);
  const depth = (path: string, d: number) =>
    rt.emit({ type: "mailbox_depth", path, kind: "window", depth: d });
  depth("/a", 5);
  depth("/b", 9);
  depth("/a", 3);
  assert.equal(
    await value(m, "tickline_actor_mailbox_depth", { kind: "window" }),
    9,
  );
  depth("/b", 1);
  assert.equal(
    await value(m, "tickline_actor_mailbox_depth", { kind: "window" }),
    3,
  );
  rt.emit({ type: "stopped", path: "/a", kind: "window" });
  assert.equal(
    await value(m, "tickline_actor_mailbox_depth", { kind: "window" }),
    1,
  );
  rt.emit({ type: "stopped", path: "/b", kind: "window" });
  assert.equal(
    await value(m, "tickline_actor_mailbox_depth", { kind: "window" }),
    0,
  );
});

Deno.test("kinds beyond maxKinds collapse into 'other'", async () => {
  const rt = fakeRuntime();
  const m = createPipelineMetrics();
  observeRuntimeEvents(m, rt.subscribe, { maxKinds: 2 });
  for (const kind of ["a", "b", "window-AAPL", "window-MSFT"]) {
    rt.emit({
      type: "failed",
      path: `/${kind}`,
      kind,
      error: 1,
      messageType: "M",
    });
  }
  assert.equal(
    await value(m, "tickline_actor_failures_total", { kind: "a" }),
    1,
  );
  assert.equal(
    await value(m, "tickline_actor_failures_total", { kind: "other" }),
    2,
  );
  assert.equal(
    await value(m, "tickline_actor_failures_total", { kind: "window-AAPL" }),
    undefined,
  );
});
