/**
 * The benchmark's settings, from `BENCH_*` variables.
 *
 * @module
 */

/** What one `deno task bench:e2e` does. */
export interface BenchSettings {
  /** `BENCH_RUNS`, default 3. */
  runs: number;
  /** `BENCH_STEP_SECONDS`, default 60. */
  stepSeconds: number;
  /** `BENCH_WARMUP_SECONDS` (the app's, at 1,000/s), default 15. */
  warmupSeconds: number;
  /** The bare pipeline's warm-up at 1,000/s: 5 s (a small program, warm fast). */
  bareWarmupSeconds: number;
  /** `BENCH_OFFERED`: trades/s of the bare ceiling and saturation steps, default 60,000. */
  offered: number;
  /** `BENCH_DRAIN_SECONDS`: bound of each drain, default 30. */
  drainSeconds: number;
  /** Fewer runs or shorter steps than the defaults. */
  quick: boolean;
  /** Rewrite the results file: full runs, or `BENCH_WRITE=1`. */
  write: boolean;
  /**
   * Extra `deno run` flags of the app: `--cpu-prof --cpu-prof-dir=DIR` with
   * `BENCH_PROFILE_DIR=DIR`, `--v8-flags=F` with `BENCH_APP_V8_FLAGS=F`.
   */
  appDenoArgs: string[];
}

/** The defaults of a full run. */
export const FULL_RUN = { runs: 3, stepSeconds: 60 } as const;

/** Raised for a `BENCH_*` value that is not a usable number. */
export class BenchSettingsError extends Error {
  override name = "BenchSettingsError";
  /** @param name the variable; @param value its value; @param want what it must be */
  constructor(name: string, value: string, want: string) {
    super(`${name}=${value} is not ${want}; unset it for the default`);
  }
}

/**
 * Reads the settings.
 *
 * @throws {BenchSettingsError} for a value that is not a positive number.
 * @example
 * ```ts
 * import { benchSettings } from "./settings.ts";
 * const s = benchSettings((k) => ({ BENCH_RUNS: "1", BENCH_STEP_SECONDS: "10" } as Record<string, string>)[k]);
 * console.assert(s.quick && !s.write && s.runs === 1);
 * ```
 */
export function benchSettings(
  env: (name: string) => string | undefined,
): BenchSettings {
  const num = (name: string, fallback: number, min: number) => {
    const raw = env(name);
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) {
      throw new BenchSettingsError(name, raw, `a number >= ${min}`);
    }
    return n;
  };
  const runs = Math.round(num("BENCH_RUNS", FULL_RUN.runs, 1));
  const stepSeconds = num("BENCH_STEP_SECONDS", FULL_RUN.stepSeconds, 1);
  const quick = runs < FULL_RUN.runs || stepSeconds < FULL_RUN.stepSeconds;
  const appDenoArgs: string[] = [];
  const profileDir = env("BENCH_PROFILE_DIR");
  if (profileDir) {
    appDenoArgs.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
  }
  const v8Flags = env("BENCH_APP_V8_FLAGS");
  if (v8Flags) appDenoArgs.push(`--v8-flags=${v8Flags}`);
  return {
    runs,
    stepSeconds,
    warmupSeconds: num("BENCH_WARMUP_SECONDS", 15, 0),
    bareWarmupSeconds: 5,
    offered: num("BENCH_OFFERED", 60_000, 1000),
    drainSeconds: num("BENCH_DRAIN_SECONDS", 30, 1),
    quick,
    write: !quick || env("BENCH_WRITE") === "1",
    appDenoArgs,
  };
}
