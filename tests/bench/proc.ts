/**
 * CPU time of a process from `/proc`, so the benchmark can report CPU per
 * durable row: a figure other load on the machine disturbs far less than
 * rows per second.
 *
 * @module
 */

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * User + system CPU seconds process `pid` has used so far (all threads);
 * NaN when it is gone.
 *
 * @example
 * ```ts
 * import { cpuSeconds } from "./proc.ts";
 * console.assert(await cpuSeconds(Deno.pid) >= 0);
 * ```
 */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the command name, which may hold spaces: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return NaN;
  }
}
