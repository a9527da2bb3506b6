/**
 * Renders the dashboards to the JSON files Grafana provisions from
 * `dashboards/json/`. Run with `deno task dashboards`.
 *
 * @module
 */

import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { marketDashboard } from "./market.ts";
import { pipelineDashboard } from "./pipeline.ts";

/** Every dashboard, by the file name it is written to. */
export function allDashboards(): Record<string, dashboard.Dashboard> {
  return {
    "market.json": marketDashboard(),
    "pipeline.json": pipelineDashboard(),
  };
}

/** Directory the JSON files are written to. */
export const JSON_DIR: string = new URL("./json/", import.meta.url).pathname;

/**
 * The exact text of every dashboard file, by file name.
 *
 * @example
 * ```ts
 * import { renderDashboards } from "./generate.ts";
 * const files = renderDashboards();
 * console.log(Object.keys(files)); // ["market.json", "pipeline.json"]
 * ```
 */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(allDashboards()).map((
      [file, d],
    ) => [file, JSON.stringify(d, null, 2) + "\n"]),
  );
}

/**
 * Writes every dashboard file into `dir` and returns the paths written.
 *
 * @example
 * ```ts
 * import { writeDashboards } from "./generate.ts";
 * await writeDashboards(await Deno.makeTempDir());
 * ```
 */
export async function writeDashboards(dir = JSON_DIR): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of Object.entries(renderDashboards())) {
    const path = `${dir.replace(/\/$/, "")}/${file}`;
    await Deno.writeTextFile(path, text);
    written.push(path);
  }
  return written;
}

if (import.meta.main) {
  for (const path of await writeDashboards()) console.log(`wrote ${path}`);
}
