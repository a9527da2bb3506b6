/**
 * Locates and runs the Prometheus tool binaries (Debian names the
 * Alertmanager binary `prometheus-alertmanager`).
 *
 * @module
 */

/** Raised when a required binary is not installed. */
export class BinaryNotFoundError extends Error {
  /** @param names the names searched for on PATH */
  constructor(names: string[]) {
    super(
      `none of ${names.join(", ")} found on PATH; ` +
        "install with: apt-get install -y prometheus prometheus-alertmanager",
    );
    this.name = "BinaryNotFoundError";
  }
}

/** Raised when a tool exits non-zero. */
export class ToolFailedError extends Error {
  /** @param command the command line; @param code exit code; @param output its output */
  constructor(
    readonly command: string,
    readonly code: number,
    readonly output: string,
  ) {
    super(`${command} exited with ${code}:\n${output}`);
    this.name = "ToolFailedError";
  }
}

const CANDIDATES: Record<string, string[]> = {
  prometheus: ["prometheus"],
  promtool: ["promtool"],
  alertmanager: ["alertmanager", "prometheus-alertmanager"],
  amtool: ["amtool"],
};

/** Binaries this module knows how to find. */
export type Tool = "prometheus" | "promtool" | "alertmanager" | "amtool";

/**
 * Absolute path of a tool: `$<TOOL>_BIN` (e.g. `ALERTMANAGER_BIN`) if set,
 * else the first candidate name found on PATH.
 *
 * @example
 * ```ts
 * import { findBinary } from "./binaries.ts";
 * const promtool = await findBinary("promtool");
 * ```
 */
export async function findBinary(tool: Tool): Promise<string> {
  const override = Deno.env.get(`${tool.toUpperCase()}_BIN`);
  if (override) return override;
  const names = CANDIDATES[tool];
  for (const name of names) {
    for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
      if (!dir) continue;
      try {
        const info = await Deno.stat(`${dir}/${name}`);
        if (info.isFile) return `${dir}/${name}`;
      } catch {
        // not in this directory
      }
    }
  }
  throw new BinaryNotFoundError(names);
}

/**
 * Runs a tool to completion and returns its combined output; throws
 * {@linkcode ToolFailedError} on a non-zero exit.
 *
 * @example
 * ```ts
 * import { runTool } from "./binaries.ts";
 * const out = await runTool("promtool", ["--version"]);
 * ```
 */
export async function runTool(
  tool: Tool,
  args: string[],
  options: { cwd?: string } = {},
): Promise<string> {
  const bin = await findBinary(tool);
  const { code, stdout, stderr } = await new Deno.Command(bin, {
    args,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const output = dec.decode(stdout) + dec.decode(stderr);
  if (code !== 0) {
    throw new ToolFailedError(`${tool} ${args.join(" ")}`, code, output);
  }
  return output;
}
