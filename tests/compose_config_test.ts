/**
 * `docker compose config` without Docker: compose-go (the library the
 * compose plugin uses) loads compose.yaml with full schema validation and
 * interpolation. Needs Go; the module comes from the Go module proxy.
 */
import assert from "node:assert/strict";

const CHECK_DIR = new URL("../infra/compose_check/", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

async function composeConfig(
  file: string,
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command("go", {
    args: ["run", ".", file],
    cwd: CHECK_DIR,
    env: { GOFLAGS: "-mod=mod" },
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

Deno.test("compose.yaml passes compose-go's validation, like `docker compose config`", async () => {
  const { code, out, err } = await composeConfig(`${ROOT}compose.yaml`);
  assert.equal(code, 0, err);
  for (
    const service of [
      "kafka",
      "cassandra",
      "prometheus",
      "alertmanager",
      "grafana",
      "app",
    ]
  ) {
    assert.match(
      out,
      new RegExp(`^  ${service}:$`, "m"),
      `service ${service} is in the resolved project`,
    );
  }
});

Deno.test("the compose check rejects an invalid file (so the test above can fail)", async () => {
  const bad = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(
      bad,
      "services:\n  a:\n    image: x\n    bogus_key: 1\n",
    );
    const { code, err } = await composeConfig(bad);
    assert.notEqual(code, 0);
    assert.match(err, /bogus_key/);
  } finally {
    await Deno.remove(bad);
  }
});
