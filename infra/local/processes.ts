/**
 * Starting, finding and stopping background server processes through pid
 * files. A pid only counts as ours while its command line still contains the
 * marker we started it with, so a recycled pid is never signalled.
 *
 * @module
 */

import { dirname } from "node:path";

/** How to launch one background server. */
export interface DaemonSpec {
  /** Executable, e.g. "java". */
  command: string;
  args: string[];
  /** Appended to with the process's stdout and stderr. */
  logFile: string;
  /** Receives the pid. */
  pidFile: string;
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * Starts `spec.command` in its own session, detached from this process and its
 * terminal, with output appended to `spec.logFile`, and records its pid.
 *
 * @returns The pid of the server (the shell `exec`s it, so the pid is the server's).
 * @example
 * ```ts
 * import { spawnDaemon } from "./processes.ts";
 * const pid = await spawnDaemon({
 *   command: "sleep",
 *   args: ["60"],
 *   logFile: "/tmp/sleep.log",
 *   pidFile: "/tmp/sleep.pid",
 * });
 * ```
 */
export async function spawnDaemon(spec: DaemonSpec): Promise<number> {
  await Deno.mkdir(dirname(spec.logFile), { recursive: true });
  await Deno.mkdir(dirname(spec.pidFile), { recursive: true });
  await Deno.writeTextFile(
    spec.logFile,
    `\n===== ${new Date().toISOString()} starting ${spec.command} =====\n`,
    { append: true },
  );
  // sh only redirects output and execs, so the recorded pid is the server itself.
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'log="$1"; shift; exec "$@" >>"$log" 2>&1 </dev/null',
      "sh",
      spec.logFile,
      spec.command,
      ...spec.args,
    ],
    cwd: spec.cwd,
    env: spec.env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  await Deno.writeTextFile(spec.pidFile, `${child.pid}\n`);
  return child.pid;
}

/**
 * Reads a pid file; `undefined` when it is absent or unreadable.
 *
 * @example
 * ```ts
 * import { readPid } from "./processes.ts";
 * const pid = await readPid(".local/run/kafka.pid");
 * ```
 */
export async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(pidFile)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` exists and is not a zombie, whatever it runs.
 *
 * @example
 * ```ts
 * import { isAlive } from "./processes.ts";
 * await isAlive(Deno.pid); // true
 * ```
 */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/**
 * True when `pid` runs and its command line contains `marker` (zombies count as gone).
 *
 * @example
 * ```ts
 * import { isOurProcess } from "./processes.ts";
 * await isOurProcess(Deno.pid, "deno"); // true
 * ```
 */
export async function isOurProcess(
  pid: number,
  marker: string,
): Promise<boolean> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    if (/^State:\s+Z/m.test(status)) return false;
    const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`))
      .replaceAll("\0", " ");
    return cmdline.includes(marker);
  } catch {
    return false;
  }
}

/**
 * Resident set size of `pid` in bytes, or `undefined` when it is gone.
 *
 * @example
 * ```ts
 * import { rssBytes } from "./processes.ts";
 * console.log(await rssBytes(Deno.pid));
 * ```
 */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Outcome of {@linkcode stopDaemon}. */
export type StopResult = "not-running" | "terminated" | "killed";

/**
 * Stops the process recorded in `pidFile` if it is still ours: SIGTERM, then
 * SIGKILL after `timeoutMs`. Removes the pid file.
 *
 * @example
 * ```ts
 * import { stopDaemon } from "./processes.ts";
 * await stopDaemon(".local/run/kafka.pid", "/work/main/.local", 30_000);
 * ```
 */
export async function stopDaemon(
  pidFile: string,
  marker: string,
  timeoutMs: number,
): Promise<StopResult> {
  const pid = await readPid(pidFile);
  let result: StopResult = "not-running";
  if (pid !== undefined && await isOurProcess(pid, marker)) {
    Deno.kill(pid, "SIGTERM");
    result = "terminated";
    const deadline = Date.now() + timeoutMs;
    while (await isOurProcess(pid, marker)) {
      if (Date.now() > deadline) {
        Deno.kill(pid, "SIGKILL");
        result = "killed";
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  await Deno.remove(pidFile).catch(() => {});
  return result;
}
