import assert from "node:assert/strict";
import { FIGURES, figuresTable, type RunFigures } from "./results.ts";
import { benchSettings } from "./settings.ts";
import { alignedStepStart, LATENESS_MS, pacedRate } from "./tickline_run.ts";

const row = (table: string, label: string) =>
  table.split("\n").find((l) => l.startsWith(`| ${label} |`))!;

Deno.test("a goal is met only when it holds in every finished run", () => {
  const runs: (RunFigures | undefined)[] = [
    { at5k_p99: 80 },
    { at5k_p99: 120 },
    undefined,
  ];
  const line = row(figuresTable(runs), "5,000/s: e2e p99, ms");
  assert.match(line, /\| 80\.0 \| 120\.0 \| - \| 80\.0 \| 100\.0 \| 120\.0 \|/);
  assert.match(line, /not met \(1\/2 runs\)/);
  const ok = row(figuresTable([{ at5k_p99: 80 }]), "5,000/s: e2e p99, ms");
  assert.match(ok, /\*\*met\*\* \(1\/1 runs\)/);
});

Deno.test("zero loss needs nothing lost, keeping up and 80% of bare", () => {
  const zl = FIGURES.find((f) => f.key === "zl_vs_bare")!;
  const base = { zl_lost: 0, zl_kept: 0.99, zl_vs_bare: 0.8 };
  assert.ok(zl.pass!(base));
  assert.ok(!zl.pass!({ ...base, zl_lost: 1 }));
  assert.ok(!zl.pass!({ ...base, zl_kept: 0.9 }));
  assert.ok(!zl.pass!({ ...base, zl_vs_bare: 0.7 }));
});

Deno.test("quick runs do not rewrite the results file unless asked", () => {
  const env = (vars: Record<string, string>) => (k: string) => vars[k];
  assert.ok(benchSettings(env({})).write);
  assert.ok(!benchSettings(env({ BENCH_STEP_SECONDS: "10" })).write);
  assert.ok(
    benchSettings(env({ BENCH_RUNS: "1", BENCH_WRITE: "1" })).write,
  );
  assert.deepEqual(
    benchSettings(env({ BENCH_PROFILE_DIR: "/tmp/p" })).appDenoArgs,
    ["--cpu-prof", "--cpu-prof-dir=/tmp/p"],
  );
  assert.throws(() => benchSettings(env({ BENCH_RUNS: "x" })), /BENCH_RUNS/);
});

Deno.test("the 5,000/s step always holds a window close", () => {
  for (const stepSeconds of [10, 30, 60]) {
    for (let t = 0; t < 120_000; t += 700) {
      const start = alignedStepStart(t, stepSeconds);
      assert.ok(start >= t);
      const close = Math.ceil((start + 3000 - LATENESS_MS) / 60_000) *
          60_000 + LATENESS_MS;
      assert.ok(
        close <= start + stepSeconds * 1000 - 2000,
        `${t} ${stepSeconds}`,
      );
    }
  }
});

Deno.test("pacing makes up for a slipping feed, never below zero", () => {
  assert.equal(pacedRate(5000, 0), 5000);
  assert.equal(pacedRate(5000, 250), 5500);
  assert.equal(pacedRate(5000, -10_000), 0);
});
