/**
 * The life cycle shared by every local server: reuse a running one, refuse a
 * foreign process on our ports, start, wait until it answers, report time and
 * memory, stop by pid file.
 *
 * @module
 */

import { join } from "node:path";
import type { InfraConfig } from "./config.ts";
import { PortInUseError, ServerStartError } from "./errors.ts";
import {
  isAlive,
  isOurProcess,
  readPid,
  rssBytes,
  spawnDaemon,
  stopDaemon,
  type StopResult,
} from "./processes.ts";
import { isPortOpen, waitUntil } from "./wait.ts";

/** The command line that launches a server. */
export interface Launch {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/** What the life cycle needs to know about one server. */
export interface ServerSpec {
  /** Short name used for pid, log and data paths, e.g. "kafka". */
  name: string;
  /** The port reported by `infra:status`. */
  port: number;
  /** Every port it binds; all must be free before a fresh start. */
  ports: number[];
  startTimeoutMs: number;
  stopTimeoutMs: number;
  /** Writes config files, formats storage; returns the command to run. */
  prepare(): Promise<Launch>;
  /** True once the server serves requests. */
  ready(): Promise<boolean>;
  /** Idempotent set-up once ready (topics, schema); runs on every `up`. */
  afterReady?(): Promise<void>;
}

/** What {@linkcode startServer} did. */
export interface StartReport {
  name: string;
  pid: number;
  port: number;
  /** False when a running server was reused. */
  started: boolean;
  /** Milliseconds from spawn to ready (0 when reused). */
  startupMs: number;
  rssBytes?: number;
}

/** `.local/run/<name>.pid` */
export function pidFileOf(config: InfraConfig, name: string): string {
  return join(config.runDir, `${name}.pid`);
}

/** `.local/logs/<name>.log` */
export function logFileOf(config: InfraConfig, name: string): string {
  return join(config.logDir, `${name}.log`);
}

/**
 * Starts `spec` unless our copy of it already runs, waits until it answers,
 * then runs its `afterReady` step.
 *
 * @throws {PortInUseError} when a process we did not start holds one of its ports.
 * @throws {ServerStartError} when it exits or does not answer in time.
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { prometheusServer } from "./prometheus.ts";
 * import { startServer } from "./server.ts";
 * const config = loadInfraConfig();
 * const report = await startServer(config, prometheusServer(config, "/usr/bin/prometheus"));
 * ```
 */
export async function startServer(
  config: InfraConfig,
  spec: ServerSpec,
): Promise<StartReport> {
  const pidFile = pidFileOf(config, spec.name);
  const logFile = logFileOf(config, spec.name);
  const marker = config.localDir;
  const existing = await readPid(pidFile);
  let pid: number;
  let started = false;
  const began = performance.now();
  if (existing !== undefined && await isOurProcess(existing, marker)) {
    pid = existing;
  } else {
    for (const port of spec.ports) {
      if (await isPortOpen(config.host, port)) {
        throw new PortInUseError(spec.name, port);
      }
    }
    const launch = await spec.prepare();
    pid = await spawnDaemon({ ...launch, logFile, pidFile });
    started = true;
    console.log(`[infra] ${spec.name}: started pid ${pid}, log ${logFile}`);
  }
  try {
    await waitUntil(() => spec.ready(), {
      what: spec.name,
      timeoutMs: spec.startTimeoutMs,
      intervalMs: 250,
      abortIf: async () => {
        // Only existence counts here: right after spawn the child may not have
        // exec'd yet, so its command line is still this script's.
        if (!await isAlive(pid)) {
          throw new ServerStartError(
            spec.name,
            `process ${pid} exited during start-up`,
            logFile,
          );
        }
      },
    });
  } catch (error) {
    if (error instanceof ServerStartError) throw error;
    throw new ServerStartError(spec.name, (error as Error).message, logFile);
  }
  const startupMs = started ? Math.round(performance.now() - began) : 0;
  await spec.afterReady?.();
  return {
    name: spec.name,
    pid,
    port: spec.port,
    started,
    startupMs,
    rssBytes: await rssBytes(pid),
  };
}

/**
 * Stops our copy of `spec` (SIGTERM, then SIGKILL after its stop timeout).
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { prometheusServer } from "./prometheus.ts";
 * import { stopServer } from "./server.ts";
 * const config = loadInfraConfig();
 * await stopServer(config, prometheusServer(config, "/usr/bin/prometheus"));
 * ```
 */
export function stopServer(
  config: InfraConfig,
  spec: ServerSpec,
): Promise<StopResult> {
  return stopDaemon(
    pidFileOf(config, spec.name),
    config.localDir,
    spec.stopTimeoutMs,
  );
}

/** One line of `infra:status`. */
export interface ServerStatus {
  name: string;
  port: number;
  pid?: number;
  /** Our process runs. */
  running: boolean;
  /** Something accepts connections on the port (ours or not). */
  portOpen: boolean;
  rssBytes?: number;
}

/**
 * Reports whether our copy of `spec` runs and whether its port answers.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { prometheusServer } from "./prometheus.ts";
 * import { serverStatus } from "./server.ts";
 * const config = loadInfraConfig();
 * console.log(await serverStatus(config, prometheusServer(config, "prometheus")));
 * ```
 */
export async function serverStatus(
  config: InfraConfig,
  spec: ServerSpec,
): Promise<ServerStatus> {
  const pid = await readPid(pidFileOf(config, spec.name));
  const running = pid !== undefined && await isOurProcess(pid, config.localDir);
  return {
    name: spec.name,
    port: spec.port,
    pid: running ? pid : undefined,
    running,
    portOpen: await isPortOpen(config.host, spec.port),
    rssBytes: running && pid !== undefined ? await rssBytes(pid) : undefined,
  };
}
