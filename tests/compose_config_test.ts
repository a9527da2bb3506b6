/**
 * `docker compose config` without Docker: compose-go (the library the
 * compose plugin uses) loads compose.yaml with full schema validation and
 * interpolation. Needs Go; the module comes from the Go module proxy.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";

const CHECK_DIR = new URL("../infra/compose_check/", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

async function composeConfig(
  file: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command("go", {
    args: ["run", ".", file],
    cwd: CHECK_DIR,
    // Empty values count as unset in `${VAR:-default}`: the shell's own
    // settings must not leak into the resolved project.
    env: {
      FINNHUB_URL: "",
      TRADES_PARTITIONS: "",
      INGEST_LEASE_TOPIC: "",
      INGEST_SHARDS: "",
      GOFLAGS: "-mod=mod",
      ...env,
    },
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
      "feed",
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

// deno-lint-ignore no-explicit-any
type Service = Record<string, any>;

Deno.test("resolved compose project scales the app: no fixed host port, shared feed, restart policies", async () => {
  const { code, out, err } = await composeConfig(`${ROOT}compose.yaml`);
  assert.equal(code, 0, err);
  const services: Record<string, Service> = parse(out).services;
  const { app, feed } = services;
  // `--scale app=3` fails on a fixed published port: only ephemeral ones.
  for (const port of app.ports ?? []) {
    assert.equal(port.published, undefined, JSON.stringify(port));
    assert.equal(port.host_ip, "127.0.0.1");
  }
  assert.deepEqual(app.expose, ["9464"]);
  assert.equal(app.environment.METRICS_PORT, "9464");
  assert.equal(app.environment.FINNHUB_URL, "ws://feed:8765");
  assert.equal(app.depends_on.feed.condition, "service_healthy");
  assert.equal(feed.image, app.image);
  assert.deepEqual(feed.command, ["deno", "task", "feed"]);
  assert.equal(feed.environment.FEED_HOST, "0.0.0.0");
  assert.equal(feed.ports, undefined, "the feed is for the network only");
  assert.deepEqual(feed.expose, ["8765"]);
  for (const [name, service] of Object.entries(services)) {
    const oneShot = ["jmx-agent", "kafka-topics", "cassandra-schema"]
      .includes(name);
    assert.equal(
      service.restart,
      oneShot ? "no" : "unless-stopped",
      `${name}: restart policy`,
    );
  }
  const topics = services["kafka-topics"].command.join("\n");
  assert.match(topics, /--topic trades --partitions 16 /);
  assert.match(
    topics,
    /--topic trades\.ingest-leases --partitions 16 --replication-factor 1/,
  );
});

Deno.test("resolved compose project: a live Finnhub run overrides the feed URL and the counts", async () => {
  const { code, out, err } = await composeConfig(`${ROOT}compose.yaml`, {
    FINNHUB_URL: "wss://ws.finnhub.io",
    TRADES_PARTITIONS: "24",
    INGEST_SHARDS: "8",
  });
  assert.equal(code, 0, err);
  const services: Record<string, Service> = parse(out).services;
  assert.equal(services.app.environment.FINNHUB_URL, "wss://ws.finnhub.io");
  assert.equal(services.app.environment.INGEST_SHARDS, "8");
  const topics = services["kafka-topics"].command.join("\n");
  assert.match(topics, /--topic trades --partitions 24 /);
  assert.match(topics, /--topic trades\.ingest-leases --partitions 8 /);
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
