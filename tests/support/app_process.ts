/**
 * Runs `main.ts` as a real child process for integration tests: the same
 * binary a user starts, killable with SIGKILL at any moment.
 *
 * @module
 */

import { scrapeText, sumMetric } from "./prom_text.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** Where `deno task app` runs: its relative paths (the journal's) start here. */
const ROOT = new URL("../../", import.meta.url).pathname;

const APP_TASK: string = JSON.parse(
  Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
).tasks.app;

/**
 * The V8 flags of `deno task app` (deno.json), so the app under test runs
 * with the heap a user's does; given as `DENO_V8_FLAGS`, after which any
 * `--v8-flags` in `denoArgs` still apply.
 */
export const APP_V8_FLAGS: string = /--v8-flags=(\S+)/.exec(APP_TASK)?.[1] ??
  "";

/**
 * The permissions of `deno task app`: the app under test may do no more than
 * a user's, so a missing grant fails here, not on a user's first start.
 */
const APP_PERMISSIONS: string[] = APP_TASK.match(/--allow-[\w-]+(=\S+)?/g) ??
  [];

/**
 * The variables `deno task app` sets before `deno run` (the allocator's
 * settings), so the app under test has the memory a user's has.
 */
const APP_ENV: Record<string, string> = Object.fromEntries(
  (/^((?:\w+=\S+\s+)*)deno run/.exec(APP_TASK)?.[1] ?? "").trim().split(/\s+/)
    .filter(Boolean).map((a) => a.split("=", 2) as [string, string]),
);

/** Where each app's whole output is written when it exits (`TEST_APP_LOG_DIR`). */
const LOG_DIR = Deno.env.get("TEST_APP_LOG_DIR");
/** The apps' `LOG_LEVEL` over the test's own (`TEST_APP_LOG_LEVEL`). */
const LOG_LEVEL = Deno.env.get("TEST_APP_LOG_LEVEL");

/** A running app process. */
export interface AppProcess {
  readonly metricsPort: number;
  readonly pid: number;
  /** Sends SIGKILL: no flush, no commit, no goodbye. */
  kill(): Promise<void>;
  /** Sends SIGTERM and waits; returns the exit code. */
  stop(): Promise<number>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  /** What it printed so far. */
  output(): string;
}

/** How to run `main.ts` beyond its environment. */
export interface LaunchOptions {
  /**
   * Extra `deno run` flags placed before the script, e.g. `--cpu-prof`,
   * `--cpu-prof-dir=DIR` or `--v8-flags=...` (benchmarks profile the app
   * under load this way). Default none.
   */
  denoArgs?: readonly string[];
}

/**
 * Reads a child's stdout and stderr as they come (so its pipes never fill);
 * `done` resolves when both end.
 *
 * @example
 * ```ts ignore
 * const out = collectOutput(new Deno.Command("deno", { args: ["--version"], stdout: "piped", stderr: "piped" }).spawn());
 * await out.done;
 * console.log(out.text());
 * ```
 */
export function collectOutput(
  child: Deno.ChildProcess,
): { text(): string; done: Promise<void> } {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const c of stream) chunks.push(decoder.decode(c));
  };
  return {
    text: () => chunks.join(""),
    done: Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => {}),
  };
}

/** Picks a free loopback port. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts `main.ts` with `env` on top of the current environment and waits
 * until `/readyz` answers 200 (or `readyTimeoutMs` passes).
 */
export async function startApp(
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
  options: LaunchOptions = {},
): Promise<AppProcess> {
  const app = launchApp(env, options);
  const ready = await waitForReadiness(
    app.metricsPort,
    200,
    readyTimeoutMs,
    app,
  );
  if (ready) return app;
  await app.kill();
  throw new Error(
    `app did not become ready in ${readyTimeoutMs} ms; output:\n${
      app.output().slice(-4000)
    }`,
  );
}

/**
 * Polls `/readyz` until it answers `status`; false after `timeoutMs` or when
 * the app exits first.
 */
export async function waitForReadiness(
  port: number,
  status: 200 | 503,
  timeoutMs: number,
  app?: AppProcess,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let finished = false;
  app?.exited.then(() => finished = true);
  while (Date.now() < deadline && !finished) {
    if (await readiness(port) === status) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The status `/readyz` answers now; 0 when nothing listens. */
export async function readiness(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/** The resident memory of process `pid` in bytes (0 when gone). */
export async function rssOf(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Starts `main.ts` with `env` on top of the current environment, without waiting. */
export function launchApp(
  env: Record<string, string>,
  options: LaunchOptions = {},
): AppProcess {
  const metricsPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...APP_PERMISSIONS, ...options.denoArgs ?? [], MAIN],
    cwd: ROOT,
    env: {
      KAFKAJS_NO_PARTITIONER_WARNING: "1",
      ...APP_ENV,
      DENO_V8_FLAGS: APP_V8_FLAGS,
      METRICS_PORT: String(metricsPort),
      ...env,
      // TEST_APP_LOG_LEVEL=info with TEST_APP_LOG_DIR keeps a run's story.
      ...(LOG_LEVEL ? { LOG_LEVEL } : {}),
    },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const out = collectOutput(child);
  const exited = child.status.then(async (s) => {
    await out.done;
    // For a failed run's post-mortem: every app's whole output, by pid.
    if (LOG_DIR) {
      await Deno.mkdir(LOG_DIR, { recursive: true });
      await Deno.writeTextFile(`${LOG_DIR}/app-${child.pid}.log`, out.text());
    }
    return s.code;
  });
  const app: AppProcess = {
    metricsPort,
    pid: child.pid,
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await exited;
    },
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      return await exited;
    },
    exited,
    output: out.text,
  };
  return app;
}

/** Reads one metric's value (sum over label sets matching `labels`) from the app. */
export async function scrapeMetric(
  port: number,
  name: string,
  labels = "",
): Promise<number> {
  return sumMetric(await scrapeText(port), name, labels);
}
