/**
 * Bundles the page script (`client/market_client.ts` with lightweight-charts)
 * into `static/market.js`, which is committed so the app serves it with no
 * build step and no CDN. `bundle_test.ts` fails when it is stale.
 * Run: `deno task web:bundle`.
 *
 * @module
 */

const HERE = new URL(".", import.meta.url);
/** The client entry point. */
export const CLIENT_ENTRY = new URL("client/market_client.ts", HERE).pathname;
/** The committed bundle. */
export const BUNDLE_PATH = new URL("static/market.js", HERE).pathname;

/**
 * Bundles the client into `out` with `deno bundle`.
 *
 * @example
 * ```ts ignore
 * import { bundleClient } from "./bundle.ts";
 * await bundleClient("/tmp/market.js");
 * ```
 */
export async function bundleClient(out: string): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--minify",
      "-o",
      out,
      CLIENT_ENTRY,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno bundle failed (exit ${code}): ${new TextDecoder().decode(stderr)}`,
    );
  }
}

if (import.meta.main) {
  await bundleClient(BUNDLE_PATH);
  const { size } = await Deno.stat(BUNDLE_PATH);
  console.log(`wrote ${BUNDLE_PATH} (${size} bytes)`);
}
