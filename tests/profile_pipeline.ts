/**
 * `deno task profile`: where the app's time and memory go under load. Runs
 * the app (`main.ts`, a child process with the V8 inspector on loopback) on
 * the real local Kafka and Cassandra, fed by the simulated feed at a fixed
 * rate, and takes a CPU profile and a sampling allocation profile over the
 * Chrome DevTools protocol. Prints the top functions by self time and the
 * top allocation sites, and writes both profiles (open them in Chrome's
 * DevTools) to `.local/profiles/`. A tool, not a test: it asserts nothing.
 *
 * Env: PROFILE_RATE (trades/s, default 10000), PROFILE_SECONDS (default 30),
 * PROFILE_WARMUP_SECONDS (default 10), PROFILE_CPU=0 (no profiles: only the
 * app's RSS, sampled every 250 ms, which the profilers would distort),
 * PROFILE_V8_FLAGS (passed to the app as `--v8-flags=`, after those of
 * `deno task app`).
 *
 * @module
 */
import { startFeedServer } from "../actors/feed/mod.ts";
import {
  freePort,
  launchApp,
  rssOf,
  waitForReadiness,
} from "./support/app_process.ts";
import { scrapeText, sumMetric } from "./support/prom_text.ts";
import { cpuSeconds } from "./bench/proc.ts";
import { createRunTopics, pipelineEnv } from "./support/end_state.ts";
import { deleteTopics, runId, testKafka } from "./support/servers.ts";

const RATE = Number(Deno.env.get("PROFILE_RATE") ?? 10_000);
const SECONDS = Number(Deno.env.get("PROFILE_SECONDS") ?? 30);
const WARMUP = Number(Deno.env.get("PROFILE_WARMUP_SECONDS") ?? 10);
const CPU = Deno.env.get("PROFILE_CPU") !== "0";
const OUT = new URL("../.local/profiles/", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface CpuNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
  };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
}
interface HeapNode {
  callFrame: CpuNode["callFrame"];
  selfSize: number;
  children: HeapNode[];
}

/** A minimal Chrome DevTools protocol client. */
class Inspector {
  #next = 0;
  #pending = new Map<number, PromiseWithResolvers<unknown>>();
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
      else p.resolve(msg.result);
    };
  }
  static async connect(port: number): Promise<Inspector> {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`))
      .json();
    const ws = new WebSocket(list[0].webSocketDebuggerUrl);
    await new Promise((r, j) => {
      ws.onopen = r;
      ws.onerror = j;
    });
    return new Inspector(ws);
  }
  call<T>(method: string, params: unknown = {}): Promise<T> {
    const id = ++this.#next;
    const p = Promise.withResolvers<unknown>();
    this.#pending.set(id, p);
    this.ws.send(JSON.stringify({ id, method, params }));
    return p.promise as Promise<T>;
  }
}

const where = (f: CpuNode["callFrame"]) =>
  `${f.functionName || "(anonymous)"} ${
    f.url.replace(/^.*\/(main|deps|node_modules|npm)\//, "$1/")
  }:${f.lineNumber + 1}`;

function topSelf(profile: CpuProfile, n: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const key = where(byId.get(id)!.callFrame);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, n).map((
    [k, c],
  ) => `${(c / total * 100).toFixed(1).padStart(5)}%  ${k}`);
}

function topAllocations(root: HeapNode, n: number): string[] {
  const sizes = new Map<string, number>();
  const walk = (node: HeapNode) => {
    const key = where(node.callFrame);
    sizes.set(key, (sizes.get(key) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(root);
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  return [...sizes].sort((a, b) => b[1] - a[1]).slice(0, n).map((
    [k, s],
  ) => `${(s / total * 100).toFixed(1).padStart(5)}%  ${k}`);
}

async function main(): Promise<void> {
  const id = runId();
  const symbols = Array.from({ length: 8 }, (_, i) => `PF${id}${i}`);
  const env = pipelineEnv(id, symbols);
  const kafka = testKafka();
  await createRunTopics(kafka, env, 16);
  const feed = await startFeedServer({
    port: 0,
    symbols,
    ratePerSec: 100, // the load starts once the app is ready
    batchIntervalMs: 20,
    startAfterSubscriptions: symbols.length,
  });
  const inspectPort = freePort();
  // `launchApp` gives it the allocator settings and heap of `deno task app`.
  const app = launchApp({ ...env, FINNHUB_URL: feed.url }, {
    denoArgs: [
      ...(CPU ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
      ...(Deno.env.get("PROFILE_V8_FLAGS")
        ? [`--v8-flags=${Deno.env.get("PROFILE_V8_FLAGS")}`]
        : []),
    ],
  });
  const { metricsPort } = app;
  try {
    if (!await waitForReadiness(metricsPort, 200, 60_000, app)) {
      throw new Error("the app did not become ready");
    }
    feed.setRate(RATE);
    console.error(`warming up for ${WARMUP} s at ${RATE}/s`);
    await sleep(WARMUP * 1000);
    if (!CPU) {
      const rss: number[] = [];
      // What holds the memory at the peak: the heap, buffers outside it
      // (fetched Kafka batches, sockets), and the app's own queues.
      const parts = [
        ["heap used", "tickline_process_memory_bytes", 'type="heap_used"'],
        ["heap total", "tickline_process_memory_bytes", 'type="heap_total"'],
        ["external", "tickline_process_memory_bytes", 'type="external"'],
        ["v8 malloced", "tickline_process_memory_bytes", 'type="v8_malloced"'],
        ["ingest buffer", "tickline_ingest_buffer_bytes", ""],
        ["dlq queue", "tickline_dlq_queue_bytes", ""],
      ] as const;
      let atPeak: number[] = [];
      const start = await scrapeText(metricsPort);
      const [cpu0, durable0, sent0] = [
        await cpuSeconds(app.pid),
        sumMetric(start, "tickline_e2e_latency_seconds_count"),
        feed.stats().delivered,
      ];
      const began = performance.now();
      for (const end = Date.now() + SECONDS * 1000; Date.now() < end;) {
        const now = await rssOf(app.pid);
        if (now > Math.max(0, ...rss)) {
          const text = await scrapeText(metricsPort);
          atPeak = parts.map(([, name, labels]) =>
            sumMetric(text, name, labels)
          );
        }
        rss.push(now);
        await sleep(250);
      }
      const secs = (performance.now() - began) / 1000;
      const cpu = await cpuSeconds(app.pid) - cpu0;
      const end = await scrapeText(metricsPort);
      const written = sumMetric(end, "tickline_e2e_latency_seconds_count") -
        durable0;
      const sent = feed.stats().delivered - sent0;
      // Records per produce request: what kafkajs's per-request work scales with.
      const delta = (name: string) =>
        sumMetric(end, name) - sumMetric(start, name);
      const perRequest = delta("tickline_trades_produced_total") /
        Math.max(1, delta("tickline_produce_duration_seconds_count"));
      const mib = (b: number) => (b / 2 ** 20).toFixed(0);
      console.log(
        `at ${RATE}/s offered for ${SECONDS} s: delivered ${
          (sent / secs).toFixed(0)
        }/s, durable ${(written / secs).toFixed(0)}/s, app CPU ${
          (cpu / secs * 100).toFixed(0)
        }% = ${
          (cpu * 1e6 / Math.max(1, written)).toFixed(1)
        } CPU ms per 1k durable; RSS min ${mib(Math.min(...rss))} MiB, max ${
          mib(Math.max(...rss))
        } MiB (then: ${
          parts.map(([label], i) => `${label} ${mib(atPeak[i])}`).join(", ")
        } MiB); frames dropped ${
          sumMetric(end, "tickline_feed_frames_dropped_total")
        }, trades dropped ${sumMetric(end, "tickline_trades_dropped_total")}; ${
          perRequest.toFixed(0)
        } trades per produce request; late trades ${
          delta("tickline_late_trades_total")
        }, minutes rebuilt ${
          sumMetric(end, "tickline_candles_emitted_total", 'state="recomputed"')
        }`,
      );
      return;
    }
    const inspector = await Inspector.connect(inspectPort);
    await inspector.call("Profiler.enable");
    await inspector.call("Profiler.setSamplingInterval", { interval: 500 });
    await inspector.call("Profiler.start");
    await inspector.call("HeapProfiler.enable");
    await inspector.call("HeapProfiler.startSampling", {
      samplingInterval: 16_384,
    });
    console.error(`profiling for ${SECONDS} s`);
    await sleep(SECONDS * 1000);
    const { profile } = await inspector.call<{ profile: CpuProfile }>(
      "Profiler.stop",
    );
    const heap = await inspector.call<{ profile: { head: HeapNode } }>(
      "HeapProfiler.stopSampling",
    );
    inspector.ws.close();
    await Deno.mkdir(OUT, { recursive: true });
    const stamp = new Date().toISOString().replaceAll(":", "-").slice(0, 19);
    await Deno.writeTextFile(
      `${OUT}cpu-${stamp}.cpuprofile`,
      JSON.stringify(profile),
    );
    await Deno.writeTextFile(
      `${OUT}heap-${stamp}.heapprofile`,
      JSON.stringify(heap.profile),
    );
    console.log(`## CPU, self time (${profile.samples.length} samples)`);
    console.log(topSelf(profile, 40).join("\n"));
    console.log(`\n## Allocations (sampled), self size`);
    console.log(topAllocations(heap.profile.head, 30).join("\n"));
    console.log(`\nprofiles in ${OUT}`);
  } finally {
    await app.kill();
    await feed.close();
    await deleteTopics(kafka, [env.TRADES_TOPIC, env.DLQ_TOPIC]);
  }
}

if (import.meta.main) await main();
