/**
 * Dedicated Kafka and Cassandra servers for fault tests: the same servers and
 * start-up code as `deno task infra:up`, on free ports and in a throw-away
 * folder, so a test can SIGKILL or SIGSTOP them without touching the shared
 * servers other tests use.
 *
 * @module
 */
import { join } from "node:path";
import { cassandraServer } from "../../infra/local/cassandra.ts";
import { type InfraConfig, loadInfraConfig } from "../../infra/local/config.ts";
import { prepareToolchain } from "../../infra/local/infra.ts";
import { kafkaServer } from "../../infra/local/kafka.ts";
import { readPid } from "../../infra/local/processes.ts";
import {
  pidFileOf,
  type ServerSpec,
  startServer,
  stopServer,
} from "../../infra/local/server.ts";
import { isPortOpen, waitUntil } from "../../infra/local/wait.ts";
import { freePort } from "./app_process.ts";

/** One dedicated server a test may crash, pause and bring back. */
export interface FaultableServer {
  readonly name: "kafka" | "cassandra";
  /** Its current process id. */
  pid(): Promise<number>;
  /** SIGKILL: a hard crash, no flush. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGSTOP: a frozen process; connections stay open and time out. */
  pause(): Promise<void>;
  /** SIGCONT after {@linkcode pause}. */
  resume(): Promise<void>;
  /** Starts it again after {@linkcode kill} (keeping its data) and waits until it answers. */
  start(): Promise<void>;
}

/** Dedicated servers; {@linkcode close} stops them and deletes their data. */
export interface DedicatedServers extends AsyncDisposable {
  /** `host:port` of the dedicated Kafka (or the shared one when not dedicated). */
  readonly kafkaBrokers: string;
  /** `host:port` of the dedicated Cassandra (or the shared one). */
  readonly cassandraContactPoints: string;
  readonly kafka?: FaultableServer;
  readonly cassandra?: FaultableServer;
  close(): Promise<void>;
}

/** What to run dedicated; the rest is the shared servers. */
export interface DedicatedOptions {
  kafka?: boolean;
  cassandra?: boolean;
  /** Partitions of the dedicated Kafka's `trades` topic. Default 3. */
  tradesPartitions?: number;
}

/**
 * Starts the requested servers on free ports under a temporary folder; jars
 * come from the shared `.local/lib`, so nothing is downloaded again.
 *
 * @example
 * ```ts ignore
 * await using servers = await startDedicatedServers({ cassandra: true });
 * await servers.cassandra!.kill();
 * await servers.cassandra!.start();
 * ```
 */
export async function startDedicatedServers(
  options: DedicatedOptions,
): Promise<DedicatedServers> {
  const shared = loadInfraConfig();
  const localDir = await Deno.makeTempDir({ prefix: "tickline-fault-" });
  const env: Record<string, string> = {
    TICKLINE_LOCAL_DIR: localDir,
    TRADES_PARTITIONS: String(options.tradesPartitions ?? 3),
    KAFKA_HEAP: "384m",
    CASSANDRA_HEAP: "512m",
  };
  for (
    const name of [
      "KAFKA_PORT",
      "KAFKA_CONTROLLER_PORT",
      "KAFKA_JMX_EXPORTER_PORT",
      "CASSANDRA_PORT",
      "CASSANDRA_STORAGE_PORT",
      "CASSANDRA_JMX_PORT",
      "CASSANDRA_JMX_EXPORTER_PORT",
    ]
  ) env[name] = String(freePort());
  const config: InfraConfig = {
    ...loadInfraConfig(env),
    libDir: shared.libDir,
  };
  const tools = await prepareToolchain(config);
  const jvm = { java: tools.java, jmxAgentJar: tools.jmxAgentJar };
  const specs: ServerSpec[] = [];
  const servers: Partial<Record<"kafka" | "cassandra", FaultableServer>> = {};
  if (options.kafka) {
    const spec = kafkaServer(config, { ...jvm, libDir: tools.kafkaLib });
    specs.push(spec);
    servers.kafka = faultable("kafka", config, spec);
  }
  if (options.cassandra) {
    const spec = cassandraServer(config, {
      ...jvm,
      libDir: tools.cassandraLib,
    });
    specs.push(spec);
    servers.cassandra = faultable("cassandra", config, spec);
  }
  const close = async () => {
    await Promise.allSettled(specs.map(async (spec) => {
      // A paused server ignores SIGTERM until it runs again.
      const pid = await readPid(pidFileOf(config, spec.name));
      if (pid !== undefined) signal(pid, "SIGCONT");
      await stopServer(config, spec);
    }));
    await Deno.remove(localDir, { recursive: true }).catch(() => {});
  };
  try {
    await Promise.all(specs.map((spec) => startServer(config, spec)));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    kafkaBrokers: options.kafka
      ? `${config.host}:${config.ports.kafka}`
      : `${shared.host}:${shared.ports.kafka}`,
    cassandraContactPoints: options.cassandra
      ? `${config.host}:${config.ports.cassandra}`
      : `${shared.host}:${shared.ports.cassandra}`,
    ...servers,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function faultable(
  name: "kafka" | "cassandra",
  config: InfraConfig,
  spec: ServerSpec,
): FaultableServer {
  const pidFile = pidFileOf(config, name);
  const pid = async () => {
    const value = await readPid(pidFile);
    if (value === undefined) {
      throw new Error(
        `no pid file for the dedicated ${name} at ${pidFile}; was it started?`,
      );
    }
    return value;
  };
  return {
    name,
    pid,
    async kill() {
      const p = await pid();
      signal(p, "SIGKILL");
      // Gone once no thread of it runs and its ports are free: a JVM's main
      // thread turns zombie before the others have exited and let go of them.
      await waitUntil(
        async () =>
          !await running(p) &&
          (await Promise.all(
            spec.ports.map((port) => isPortOpen(config.host, port)),
          )).every((open) => !open),
        { what: `${name} to die`, timeoutMs: 30_000, intervalMs: 50 },
      );
    },
    async pause() {
      signal(await pid(), "SIGSTOP");
    },
    async resume() {
      signal(await pid(), "SIGCONT");
    },
    async start() {
      await startServer(config, spec);
    },
  };
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function running(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(join("/proc", String(pid), "stat"));
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}
