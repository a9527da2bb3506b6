/**
 * `deno task infra:up | infra:down | infra:status`: runs Kafka, Cassandra,
 * Prometheus and Alertmanager on 127.0.0.1 without Docker. Data, logs, jars and
 * pid files live under the git-ignored `.local/`.
 *
 * @example
 * ```sh
 * deno run --allow-all infra/local/infra.ts up
 * ```
 *
 * @module
 */

import { cassandraServer } from "./cassandra.ts";
import { type InfraConfig, loadInfraConfig } from "./config.ts";
import { kafkaServer } from "./kafka.ts";
import { ensureJars, findJar } from "./maven.ts";
import { alertmanagerServer, prometheusServer } from "./prometheus.ts";
import {
  type ServerSpec,
  serverStatus,
  type StartReport,
  startServer,
  stopServer,
} from "./server.ts";
import { ensureDebianPackages, requireTool } from "./tools.ts";

/** Executables and jar locations resolved before anything starts. */
export interface Toolchain {
  java: string;
  prometheus: string;
  alertmanager: string;
  kafkaLib: string;
  cassandraLib: string;
  jmxAgentJar: string;
}

/**
 * Checks and installs what the servers need: java and mvn (required), the
 * Debian Prometheus packages (installed when missing), the Maven jars.
 *
 * @throws {MissingToolError} when java or mvn is missing.
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { prepareToolchain } from "./infra.ts";
 * const toolchain = await prepareToolchain(loadInfraConfig());
 * ```
 */
export async function prepareToolchain(
  config: InfraConfig,
): Promise<Toolchain> {
  const java = await requireTool("java");
  const mvn = await requireTool("mvn");
  await ensureDebianPackages({
    prometheus: "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
  });
  const kafkaLib = await ensureJars(mvn, config.libDir, "kafka");
  const cassandraLib = await ensureJars(mvn, config.libDir, "cassandra");
  const jmxLib = await ensureJars(mvn, config.libDir, "jmx");
  return {
    java,
    prometheus: await requireTool("prometheus"),
    alertmanager: await requireTool("prometheus-alertmanager"),
    kafkaLib,
    cassandraLib,
    jmxAgentJar: await findJar(jmxLib, "jmx_prometheus_javaagent-"),
  };
}

/** Placeholders for commands that never launch anything (status, down). */
const NOT_LAUNCHING: Toolchain = {
  java: "java",
  prometheus: "prometheus",
  alertmanager: "prometheus-alertmanager",
  kafkaLib: "",
  cassandraLib: "",
  jmxAgentJar: "",
};

/**
 * The four servers in start order.
 *
 * @example
 * ```ts
 * import { loadInfraConfig } from "./config.ts";
 * import { localServers } from "./infra.ts";
 * localServers(loadInfraConfig()).map((s) => s.name); // ["kafka", "cassandra", ...]
 * ```
 */
export function localServers(
  config: InfraConfig,
  tools: Toolchain = NOT_LAUNCHING,
): ServerSpec[] {
  const jvm = { java: tools.java, jmxAgentJar: tools.jmxAgentJar };
  return [
    kafkaServer(config, { ...jvm, libDir: tools.kafkaLib }),
    cassandraServer(config, { ...jvm, libDir: tools.cassandraLib }),
    prometheusServer(config, tools.prometheus),
    alertmanagerServer(config, tools.alertmanager),
  ];
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? "?" : `${Math.round(bytes / 1024 / 1024)} MiB`;
}

function printReport(report: StartReport): void {
  const how = report.started
    ? `started in ${(report.startupMs / 1000).toFixed(1)} s`
    : "already running";
  console.log(
    `[infra] ${report.name.padEnd(12)} up   pid ${
      String(report.pid).padEnd(7)
    } port ${report.port}  ` +
      `${how}, RSS ${mib(report.rssBytes)}`,
  );
}

async function up(config: InfraConfig): Promise<void> {
  const began = performance.now();
  const tools = await prepareToolchain(config);
  const [kafka, cassandra, prometheus, alertmanager] = localServers(
    config,
    tools,
  );
  // Kafka and Cassandra boot in parallel: together they take as long as
  // Cassandra alone. Every start is awaited before an error is raised, so no
  // server is left half-started behind a failure of another.
  const settled = [
    ...await Promise.allSettled([
      startServer(config, kafka),
      startServer(config, cassandra),
    ]),
    ...await Promise.allSettled([
      startServer(config, prometheus),
      startServer(config, alertmanager),
    ]),
  ];
  const reports = settled.flatMap((r) =>
    r.status === "fulfilled" ? [r.value] : []
  );
  const failures = settled.flatMap((r) =>
    r.status === "rejected" ? [r.reason] : []
  );
  reports.forEach(printReport);
  if (failures.length > 0) {
    failures.slice(1).forEach((e) => console.error(`[infra] ${e}`));
    throw failures[0];
  }
  console.log(
    `[infra] all up in ${
      ((performance.now() - began) / 1000).toFixed(1)
    } s; data and logs in ${config.localDir}`,
  );
}

async function down(config: InfraConfig): Promise<void> {
  const servers = localServers(config).reverse();
  await Promise.all(servers.map(async (spec) => {
    const result = await stopServer(config, spec);
    console.log(`[infra] ${spec.name.padEnd(12)} ${result}`);
  }));
}

async function status(config: InfraConfig): Promise<boolean> {
  let allUp = true;
  for (const spec of localServers(config)) {
    const s = await serverStatus(config, spec);
    const state = s.running && s.portOpen
      ? "up"
      : s.running
      ? "starting"
      : "down";
    allUp &&= state === "up";
    const foreign = !s.running && s.portOpen
      ? " (port held by a process infra:up did not start)"
      : "";
    console.log(
      `${s.name.padEnd(12)} ${state.padEnd(8)} pid ${
        String(s.pid ?? "-").padEnd(7)
      } ` +
        `port ${s.port}  RSS ${mib(s.rssBytes)}${foreign}`,
    );
  }
  return allUp;
}

/**
 * Runs one sub-command and returns the process exit code.
 *
 * @example
 * ```ts
 * import { main } from "./infra.ts";
 * Deno.exit(await main(["status"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const config = loadInfraConfig();
  try {
    switch (args[0]) {
      case "up":
        // Inside compose the servers are other containers: nothing to start here.
        if (Deno.env.get("TICKLINE_INFRA") === "external") {
          console.log(
            "[infra] TICKLINE_INFRA=external: using servers started elsewhere",
          );
          return 0;
        }
        await up(config);
        return 0;
      case "down":
        await down(config);
        return 0;
      case "status":
        // Non-zero when anything is down, so scripts can poll it.
        return await status(config) ? 0 : 3;
      default:
        console.error("usage: infra.ts up|down|status");
        return 2;
    }
  } catch (error) {
    console.error(
      `[infra] ${
        error instanceof Error ? `${error.name}: ${error.message}` : error
      }`,
    );
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
