/**
 * Where a benchmark ran: date, machine and versions, for the results file.
 *
 * @module
 */
import type cassandra from "cassandra-driver";

/** The machine and software a run measured. */
export interface BenchEnvironment {
  dateUtc: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  cpuModel: string;
  deno: string;
  v8: string;
  /** From infra/local/pom.xml (what `deno task infra:up` runs). */
  kafka: string;
  /** Reported by the server itself. */
  cassandra: string;
  /** Pinned in deno.json. */
  kafkajs: string;
  cassandraDriver: string;
}

const ROOT = new URL("../../", import.meta.url);

/** The version pinned for `npm:name` in the import map `imports`, or "?". */
export function pinnedVersion(
  imports: Record<string, string>,
  name: string,
): string {
  const spec = imports[name] ?? "";
  return spec.slice(spec.lastIndexOf("@") + 1) || "?";
}

/**
 * Gathers the environment; `client` answers the Cassandra version.
 *
 * @example
 * ```ts ignore
 * const env = await benchEnvironment(await testCassandra());
 * ```
 */
export async function benchEnvironment(
  client: cassandra.Client,
): Promise<BenchEnvironment> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1].trim() ??
    "?";
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length ||
    navigator.hardwareConcurrency;
  const denoJson = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  const pom = await Deno.readTextFile(new URL("infra/local/pom.xml", ROOT));
  const release = await client.execute(
    "SELECT release_version FROM system.local",
  ).then((rs) => String(rs.rows[0]?.get("release_version")), () => "?");
  return {
    dateUtc: new Date().toISOString().slice(0, 16).replace("T", " "),
    cores,
    ramGiB: Deno.systemMemoryInfo().total / 2 ** 30,
    kernel: Deno.osRelease(),
    cpuModel,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    kafka: /<kafka\.version>([^<]+)</.exec(pom)?.[1] ?? "?",
    cassandra: release,
    kafkajs: pinnedVersion(denoJson.imports, "kafkajs"),
    cassandraDriver: pinnedVersion(denoJson.imports, "cassandra-driver"),
  };
}
