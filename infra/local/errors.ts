/**
 * Named errors of the local (no-Docker) infrastructure scripts. Each message
 * says what went wrong and what to do about it.
 *
 * @module
 */

/**
 * A command-line tool the scripts need is not installed.
 *
 * @example
 * ```ts
 * import { MissingToolError } from "./errors.ts";
 * throw new MissingToolError("java", "apt-get install -y openjdk-17-jre-headless");
 * ```
 */
export class MissingToolError extends Error {
  /** The missing executable. */
  readonly tool: string;
  /**
   * @param tool The executable that was not found.
   * @param howToGet A command or hint that installs it.
   */
  constructor(tool: string, howToGet: string) {
    super(
      `\`${tool}\` was not found on PATH; the local infrastructure needs it. Install it with: ${howToGet}`,
    );
    this.name = "MissingToolError";
    this.tool = tool;
  }
}

/**
 * A port the scripts want to bind is held by a process they did not start.
 *
 * @example
 * ```ts
 * import { PortInUseError } from "./errors.ts";
 * throw new PortInUseError("kafka", 9092);
 * ```
 */
export class PortInUseError extends Error {
  /** The port that is taken. */
  readonly port: number;
  /**
   * @param server The server that wanted the port.
   * @param port The port that is taken.
   */
  constructor(server: string, port: number) {
    super(
      `Port 127.0.0.1:${port} (needed by ${server}) is in use by a process that \`deno task infra:up\` did not start. ` +
        `Find it with \`ss -ltnp 'sport = :${port}'\` and stop it (a Debian service? try \`systemctl stop\`), ` +
        `or override the port through the environment.`,
    );
    this.name = "PortInUseError";
    this.port = port;
  }
}

/**
 * A server process exited or did not become ready in time.
 *
 * @example
 * ```ts
 * import { ServerStartError } from "./errors.ts";
 * throw new ServerStartError("cassandra", "not ready after 120 s", ".local/logs/cassandra.log");
 * ```
 */
export class ServerStartError extends Error {
  /** The server that failed. */
  readonly server: string;
  /**
   * @param server The server that failed to start.
   * @param reason What happened.
   * @param logFile Where its output went.
   */
  constructor(server: string, reason: string, logFile: string) {
    super(
      `${server} did not start: ${reason}. Read the end of ${logFile} for the cause, ` +
        `then run \`deno task infra:down\` and \`deno task infra:up\` again.`,
    );
    this.name = "ServerStartError";
    this.server = server;
  }
}

/**
 * A command the scripts run (Maven, apt-get, a Kafka tool) failed.
 *
 * @example
 * ```ts
 * import { CommandFailedError } from "./errors.ts";
 * throw new CommandFailedError("mvn dependency:copy-dependencies", 1, "Could not resolve ...");
 * ```
 */
export class CommandFailedError extends Error {
  /** The exit code. */
  readonly code: number;
  /**
   * @param command The command line that failed.
   * @param code Its exit code.
   * @param output The tail of its output.
   */
  constructor(command: string, code: number, output: string) {
    super(
      `\`${command}\` failed with exit code ${code}. Its output ends with:\n${output}\n` +
        `Fix the cause above (network to the package registry? disk space?) and run it again.`,
    );
    this.name = "CommandFailedError";
    this.code = code;
  }
}
