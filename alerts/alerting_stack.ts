/**
 * Starts a real Prometheus and a real Alertmanager on free loopback ports
 * with rendered temporary configs: the shipped rules, the shipped routing
 * and templates, and short timings so tests see alerts within seconds.
 *
 * @module
 */

import { findBinary } from "./binaries.ts";
import {
  renderAlertmanagerConfig,
  renderPrometheusConfig,
  type ScrapeJob,
} from "./render.ts";

/** Raised when a server does not become ready in time. */
export class StackStartError extends Error {
  /** @param message what did not start; @param logs its recent output */
  constructor(message: string, readonly logs: string) {
    super(`${message}\n--- logs ---\n${logs}`);
    this.name = "StackStartError";
  }
}

/** Options of {@linkcode startAlertingStack}. */
export interface AlertingStackOptions {
  /** What Prometheus scrapes, e.g. the app's (or a stand-in's) `/metrics`. */
  jobs: ScrapeJob[];
  /** Where Slack notifications go (a fake sink in tests). */
  slackWebhookUrl: string;
  /** Defaults: 1s scrape and evaluation, 1s group_wait, 1s group_interval. */
  scrapeInterval?: string;
  evaluationInterval?: string;
  groupWait?: string;
  groupInterval?: string;
  /** How long each server may take to become ready. Default 30000 ms. */
  readyTimeoutMs?: number;
}

/** A running Prometheus + Alertmanager pair. */
export interface AlertingStack {
  readonly prometheusUrl: string;
  readonly alertmanagerUrl: string;
  /** Recent output of both servers, for failure messages. */
  logs(): string;
  /** Stops both servers and removes the temporary directory. */
  close(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Keeps the tail of a child's output without holding it all in memory. */
class LogTail {
  #lines: string[] = [];
  constructor(readonly name: string, readonly max = 200) {}
  async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const lines = stream.pipeThrough(new TextDecoderStream());
    let rest = "";
    for await (const chunk of lines) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) this.#push(line);
    }
    if (rest) this.#push(rest);
  }
  #push(line: string) {
    this.#lines.push(`[${this.name}] ${line}`);
    if (this.#lines.length > this.max) this.#lines.shift();
  }
  toString(): string {
    return this.#lines.join("\n");
  }
}

interface Running {
  child: Deno.ChildProcess;
  log: LogTail;
  drained: Promise<void>;
}

function spawn(
  name: string,
  bin: string,
  args: string[],
  cwd: string,
): Running {
  const child = new Deno.Command(bin, {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = new LogTail(name);
  const drained = Promise.all([
    log.drain(child.stdout),
    log.drain(child.stderr),
  ]).then(() => {});
  return { child, log, drained };
}

async function stop(r: Running): Promise<void> {
  try {
    r.child.kill("SIGTERM");
  } catch {
    // already exited
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    r.child.status.then(() => true),
    new Promise<boolean>((res) => timer = setTimeout(() => res(false), 5000)),
  ]);
  clearTimeout(timer);
  if (!exited) {
    try {
      r.child.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
    await r.child.status;
  }
  await r.drained;
}

async function waitReady(
  url: string,
  timeoutMs: number,
  running: Running,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  running.child.status.then(() => exited = true);
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new StackStartError(
    `${running.log.name} not ready at ${url}${exited ? " (exited)" : ""}`,
    running.log.toString(),
  );
}

/**
 * Starts Alertmanager, then Prometheus pointed at it. Always `close()` it.
 *
 * @example
 * ```ts
 * import { startAlertingStack } from "./alerting_stack.ts";
 * const stack = await startAlertingStack({
 *   jobs: [{ job: "tickline", targets: ["127.0.0.1:9464"] }],
 *   slackWebhookUrl: "http://127.0.0.1:9999/hook",
 * });
 * await stack.close();
 * ```
 */
export async function startAlertingStack(
  options: AlertingStackOptions,
): Promise<AlertingStack> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const dir = await Deno.makeTempDir({ prefix: "tickline-alerting-" });
  const running: Running[] = [];
  const logs = () => running.map((r) => r.log.toString()).join("\n");
  const close = async () => {
    for (const r of running.reverse()) await stop(r);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const webhookFile = `${dir}/slack_webhook_url`;
    await Deno.writeTextFile(webhookFile, options.slackWebhookUrl);
    await Deno.writeTextFile(
      `${dir}/alertmanager.yml`,
      await renderAlertmanagerConfig({
        webhookUrlFile: webhookFile,
        groupWait: options.groupWait ?? "1s",
        groupInterval: options.groupInterval ?? "1s",
      }),
    );
    const amPort = freePort();
    const alertmanagerUrl = `http://127.0.0.1:${amPort}`;
    const am = spawn("alertmanager", await findBinary("alertmanager"), [
      `--config.file=${dir}/alertmanager.yml`,
      `--storage.path=${dir}/am-data`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      `--web.external-url=${alertmanagerUrl}`,
      // Empty: no gossip port, a single instance needs no cluster.
      "--cluster.listen-address=",
    ], dir);
    running.push(am);
    await waitReady(`${alertmanagerUrl}/-/ready`, readyTimeoutMs, am);

    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      renderPrometheusConfig({
        jobs: options.jobs,
        alertmanager: `127.0.0.1:${amPort}`,
        scrapeInterval: options.scrapeInterval ?? "1s",
        evaluationInterval: options.evaluationInterval ?? "1s",
      }),
    );
    const promPort = freePort();
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    const prom = spawn("prometheus", await findBinary("prometheus"), [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/prom-data`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ], dir);
    running.push(prom);
    await waitReady(`${prometheusUrl}/-/ready`, readyTimeoutMs, prom);
    return { prometheusUrl, alertmanagerUrl, logs, close };
  } catch (error) {
    await close();
    throw error;
  }
}
