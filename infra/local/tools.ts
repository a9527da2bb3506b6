/**
 * Finding and running the external tools the infra scripts need (java, mvn,
 * prometheus, alertmanager, apt-get).
 *
 * @module
 */

import { CommandFailedError, MissingToolError } from "./errors.ts";

/** How to install each tool the scripts call, shown when it is missing. */
export const INSTALL_HINTS: Readonly<Record<string, string>> = {
  java:
    "`apt-get install -y openjdk-17-jre-headless` (Java 17 is required by Cassandra 5.0)",
  mvn:
    "`apt-get install -y maven` (fetches the Kafka, Cassandra and JMX exporter jars from Maven Central)",
  prometheus: "`apt-get install -y prometheus`",
  "prometheus-alertmanager": "`apt-get install -y prometheus-alertmanager`",
  promtool: "`apt-get install -y prometheus`",
  amtool: "`apt-get install -y prometheus-alertmanager`",
};

/**
 * Absolute path of `tool` on PATH, or `undefined`.
 *
 * @example
 * ```ts
 * import { findTool } from "./tools.ts";
 * console.log(await findTool("java")); // "/usr/bin/java"
 * ```
 */
export async function findTool(tool: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${tool}`;
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

/**
 * Absolute path of `tool`, or a {@linkcode MissingToolError} saying how to install it.
 *
 * @example
 * ```ts
 * import { requireTool } from "./tools.ts";
 * const java = await requireTool("java");
 * ```
 */
export async function requireTool(tool: string): Promise<string> {
  const found = await findTool(tool);
  if (found === undefined) {
    throw new MissingToolError(
      tool,
      INSTALL_HINTS[tool] ?? `your package manager`,
    );
  }
  return found;
}

/** Options of {@linkcode runCommand}. */
export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * Runs a command to completion and returns its combined output.
 *
 * @throws {CommandFailedError} with the output's tail when it exits non-zero.
 * @example
 * ```ts
 * import { runCommand } from "./tools.ts";
 * const out = await runCommand("java", ["-version"]);
 * ```
 */
export async function runCommand(
  command: string,
  args: string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const output = decoder.decode(result.stdout) + decoder.decode(result.stderr);
  if (!result.success) {
    const tail = output.trimEnd().split("\n").slice(-25).join("\n");
    throw new CommandFailedError(
      [command, ...args].join(" "),
      result.code,
      tail,
    );
  }
  return output;
}

/**
 * Installs Debian packages whose binaries are missing, then stops any service
 * the package started, since our scripts start the servers on their own ports.
 *
 * @param packages Debian package name to the binary it provides.
 * @example
 * ```ts
 * import { ensureDebianPackages } from "./tools.ts";
 * await ensureDebianPackages({ prometheus: "prometheus" });
 * ```
 */
export async function ensureDebianPackages(
  packages: Record<string, string>,
): Promise<void> {
  const missing = [];
  for (const [pkg, binary] of Object.entries(packages)) {
    if (await findTool(binary) === undefined) missing.push(pkg);
  }
  if (missing.length === 0) return;
  const aptGet = await findTool("apt-get");
  if (aptGet === undefined || Deno.uid() !== 0) {
    throw new MissingToolError(
      missing.join(", "),
      `\`sudo apt-get install -y ${missing.join(" ")}\``,
    );
  }
  console.log(`[infra] installing ${missing.join(", ")} with apt-get`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  try {
    await runCommand(aptGet, [
      "install",
      "-y",
      "--no-install-recommends",
      ...missing,
    ], { env });
  } catch {
    // A stale package index is the usual cause; refresh once and retry.
    await runCommand(aptGet, ["update"], { env });
    await runCommand(aptGet, [
      "install",
      "-y",
      "--no-install-recommends",
      ...missing,
    ], { env });
  }
  await stopPackageServices(missing);
}

async function stopPackageServices(services: string[]): Promise<void> {
  const systemctl = await findTool("systemctl");
  if (systemctl === undefined) return;
  for (const service of services) {
    // Without a running systemd these fail; that also means nothing was started.
    await runCommand(systemctl, ["disable", "--now", service]).catch(() => {});
  }
}
