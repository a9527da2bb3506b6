/**
 * Fetches server jars from Maven Central with infra/local/pom.xml, once per
 * pom version: a stamp file holding the pom's hash marks a finished copy, so
 * later runs skip Maven entirely and an edited pom triggers a clean refetch.
 *
 * @module
 */

import { join } from "node:path";
import { runCommand } from "./tools.ts";

/** Profiles of infra/local/pom.xml, one classpath directory each. */
export type JarProfile = "kafka" | "cassandra" | "jmx";

/** The pom that lists every server jar. */
export const POM_URL: URL = new URL("./pom.xml", import.meta.url);

const STAMP = ".complete";

async function pomHash(): Promise<string> {
  const bytes = await Deno.readFile(POM_URL);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * Makes sure `<libDir>/<profile>` holds the profile's runtime jars.
 *
 * @param mvn Path of the Maven executable.
 * @returns The directory holding the jars.
 * @throws {CommandFailedError} when Maven fails.
 * @example
 * ```ts
 * import { ensureJars } from "./maven.ts";
 * const dir = await ensureJars("/usr/bin/mvn", ".local/lib", "kafka");
 * ```
 */
export async function ensureJars(
  mvn: string,
  libDir: string,
  profile: JarProfile,
): Promise<string> {
  const dir = join(libDir, profile);
  const hash = await pomHash();
  const stamp = await Deno.readTextFile(join(dir, STAMP)).catch(() => "");
  if (stamp.trim() === hash) return dir;
  console.log(`[infra] fetching ${profile} jars with Maven into ${dir}`);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  await runCommand(mvn, [
    "-q",
    "-B",
    "-f",
    new URL(POM_URL).pathname,
    "-P",
    profile,
    "dependency:copy-dependencies",
    "-DincludeScope=runtime",
    `-DoutputDirectory=${dir}`,
  ]);
  await Deno.writeTextFile(join(dir, STAMP), `${hash}\n`);
  return dir;
}

/**
 * Finds the one jar in `dir` whose name starts with `prefix`.
 *
 * @throws {Error} when no such jar exists.
 * @example
 * ```ts
 * import { findJar } from "./maven.ts";
 * const jamm = await findJar(".local/lib/cassandra", "jamm-");
 * ```
 */
export async function findJar(dir: string, prefix: string): Promise<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (
      entry.isFile && entry.name.startsWith(prefix) &&
      entry.name.endsWith(".jar")
    ) {
      return join(dir, entry.name);
    }
  }
  throw new Error(
    `No ${prefix}*.jar in ${dir}. Delete ${dir} and run \`deno task infra:up\` to fetch the jars again.`,
  );
}
