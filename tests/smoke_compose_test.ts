/**
 * Smoke test of compose.yaml. With the docker compose plugin present it runs
 * `docker compose config`; this project's machines have only the docker CLI
 * (no plugin, no engine), so the structure is also checked here: pinned
 * images, healthchecks, valid depends_on targets, loopback-only unique ports,
 * declared volumes and secrets, every `${VAR}` documented in .env.example,
 * and what `--scale app=3` needs (no fixed app host port, a shared feed
 * service, restart policies, Prometheus DNS discovery of the replicas).
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const repo = (path: string) =>
  fileURLToPath(new URL(`../${path}`, import.meta.url));
const COMPOSE = repo("compose.yaml");
const PROMETHEUS_COMPOSE = repo("infra/prometheus/prometheus.compose.yml");

// deno-lint-ignore no-explicit-any
type Yaml = any;

async function run(
  command: string,
  args: string[],
  env?: Record<string, string>,
) {
  try {
    const out = await new Deno.Command(command, {
      args,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      output: decoder.decode(out.stdout) + decoder.decode(out.stderr),
    };
  } catch {
    return { code: -1, output: `${command} not found` };
  }
}

// Deno has no YAML parser without JSR; Debian's python3-yaml (PyYAML) does the parsing.
async function loadYaml(path: string): Promise<Yaml | undefined> {
  const script =
    "import json,sys,yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)";
  const { code, output } = await run("python3", ["-c", script, path]);
  return code === 0 ? JSON.parse(output) : undefined;
}

const hasComposePlugin =
  (await run("docker", ["compose", "version"])).code === 0;
const compose: Yaml = await loadYaml(COMPOSE);
const prometheusCompose: Yaml = await loadYaml(PROMETHEUS_COMPOSE);
const envExample = await Deno.readTextFile(repo(".env.example"));
const documentedVars = new Set(
  [...envExample.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]),
);

Deno.test({
  name: "smoke compose: docker compose config accepts compose.yaml",
  ignore: !hasComposePlugin,
  async fn() {
    const env = Object.fromEntries(
      [...envExample.matchAll(/^([A-Z_][A-Z0-9_]*)=(.*)$/gm)].map((
        m,
      ) => [m[1], m[2]]),
    );
    const { code, output } = await run("docker", [
      "compose",
      "-f",
      COMPOSE,
      "config",
      "-q",
    ], env);
    assert.equal(code, 0, output);
  },
});

Deno.test({
  name:
    "smoke compose: services are pinned, healthy-checked and wired to existing services",
  ignore: compose === undefined,
  fn() {
    const services: Record<string, Yaml> = compose.services;
    const servers = [
      "kafka",
      "cassandra",
      "prometheus",
      "alertmanager",
      "grafana",
      "feed",
      "app",
    ];
    const jobs = ["jmx-agent", "kafka-topics", "cassandra-schema"];
    assert.deepEqual(
      Object.keys(services).sort(),
      [...servers, ...jobs].sort(),
    );
    for (const [name, service] of Object.entries(services)) {
      assert.match(
        service.image,
        /^[\w./-]+:[\w.-]+$/,
        `${name}: image must carry a tag`,
      );
      assert.doesNotMatch(
        service.image,
        /:latest$/,
        `${name}: pin a version, not latest`,
      );
      for (
        const [target, dep] of Object.entries<Yaml>(service.depends_on ?? {})
      ) {
        assert.ok(
          services[target],
          `${name} depends on unknown service ${target}`,
        );
        if (dep.condition === "service_healthy") {
          assert.ok(
            services[target].healthcheck?.test,
            `${name} waits for ${target} to be healthy but it has no healthcheck`,
          );
        } else {
          assert.equal(
            dep.condition,
            "service_completed_successfully",
            `${name} -> ${target}`,
          );
          assert.ok(jobs.includes(target), `${target} is not a one-shot job`);
        }
      }
    }
    for (const name of servers) {
      assert.ok(
        services[name].healthcheck?.test,
        `${name} needs a healthcheck`,
      );
    }
    for (const name of jobs) {
      assert.equal(services[name].restart, "no", `${name} is a one-shot job`);
    }
    for (const name of servers) {
      assert.equal(
        services[name].restart,
        "unless-stopped",
        `${name} is long-running: restart: unless-stopped`,
      );
    }
    assert.equal(services.app.image, "denoland/deno:2.9.6");
    assert.equal(services.app.environment.KAFKA_BROKERS, "kafka:9092");
    assert.equal(
      services.app.environment.CASSANDRA_CONTACT_POINTS,
      "cassandra:9042",
    );
    assert.equal(
      services.grafana.environment.GF_PLUGINS_PREINSTALL,
      "hadesarchitect-cassandra-datasource",
    );
    assert.match(
      services.kafka.environment.KAFKA_CONTROLLER_QUORUM_VOTERS,
      /:9095$/,
    );
  },
});

Deno.test({
  name:
    "smoke compose: published ports are the project's, on 127.0.0.1, without clashes",
  ignore: compose === undefined,
  fn() {
    const hostPorts: number[] = [];
    for (const [name, service] of Object.entries<Yaml>(compose.services)) {
      for (const mapping of service.ports ?? []) {
        const match = /^127\.0\.0\.1:(\d*):(\d+)$/.exec(String(mapping));
        assert.ok(
          match,
          `${name}: port ${mapping} must be published as 127.0.0.1:HOST:CONTAINER or 127.0.0.1::CONTAINER`,
        );
        // A replicated service may only take a host port Docker picks per replica.
        if (name === "app") {
          assert.equal(match[1], "", `app: ${mapping} would clash on --scale`);
        } else {
          assert.notEqual(
            match[1],
            "",
            `${name}: ${mapping} needs a host port`,
          );
          hostPorts.push(Number(match[1]));
        }
      }
    }
    assert.deepEqual(hostPorts.sort(), [
      3000,
      7071,
      7072,
      9042,
      9090,
      9092,
      9093,
    ]);
  },
});

Deno.test({
  name:
    "smoke compose: --scale app=N works: a shared feed service, and Prometheus discovers every replica",
  ignore: compose === undefined || prometheusCompose === undefined,
  fn() {
    const { app, feed } = compose.services;
    assert.equal(feed.image, app.image, "the feed runs from the app's image");
    assert.deepEqual(feed.command, ["deno", "task", "feed"]);
    assert.equal(feed.environment.FEED_HOST, "0.0.0.0");
    assert.equal(String(feed.environment.FEED_PORT), "8765");
    assert.deepEqual(feed.expose, ["8765"]);
    assert.equal(feed.ports, undefined, "the feed is for the network only");
    assert.equal(
      app.environment.FINNHUB_URL,
      "${FINNHUB_URL:-ws://feed:8765}",
    );
    assert.equal(app.depends_on.feed.condition, "service_healthy");
    assert.equal(String(app.environment.METRICS_PORT), "9464");
    assert.deepEqual(app.expose, ["9464"]);
    assert.equal(app.container_name, undefined, "a fixed name cannot scale");
    const tickline = prometheusCompose.scrape_configs.find((job: Yaml) =>
      job.job_name === "tickline"
    );
    assert.ok(tickline, "prometheus.compose.yml has the tickline job");
    assert.equal(
      tickline.static_configs,
      undefined,
      "one static target only reaches one replica",
    );
    assert.equal(tickline.dns_sd_configs.length, 1);
    const [sd] = tickline.dns_sd_configs;
    assert.deepEqual(sd.names, ["app"]);
    assert.equal(sd.type, "A");
    assert.equal(sd.port, 9464);
    const topics: string = compose.services["kafka-topics"].command.join("\n");
    assert.match(
      topics,
      /--topic trades --partitions \$\{TRADES_PARTITIONS:-16\}/,
    );
    assert.match(
      topics,
      /--topic \$\{INGEST_LEASE_TOPIC:-trades\.ingest-leases\} --partitions \$\{INGEST_SHARDS:-16\} --replication-factor 1/,
    );
  },
});

Deno.test({
  name:
    "smoke compose: volumes, mounted files, secrets and variables are all declared",
  ignore: compose === undefined,
  async fn() {
    const declaredVolumes = new Set(Object.keys(compose.volumes ?? {}));
    const declaredSecrets: Record<string, Yaml> = compose.secrets ?? {};
    for (const [name, service] of Object.entries<Yaml>(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = String(volume).split(":")[0];
        if (source.startsWith(".")) {
          const path = repo(source);
          const info = await Deno.stat(path).catch(() => undefined);
          // A missing file would be mounted as an empty directory; folders may be filled later.
          if (/\.\w+$/.test(source)) {
            assert.ok(info?.isFile, `${name}: ${source} does not exist`);
          }
        } else {
          assert.ok(
            declaredVolumes.has(source),
            `${name}: volume ${source} is not declared`,
          );
        }
      }
      for (const secret of service.secrets ?? []) {
        assert.ok(
          declaredSecrets[secret],
          `${name}: secret ${secret} is not declared`,
        );
      }
    }
    for (const [name, secret] of Object.entries(declaredSecrets)) {
      assert.ok(
        documentedVars.has(secret.environment),
        `secret ${name}: ${secret.environment} missing in .env.example`,
      );
    }
    const text = await Deno.readTextFile(COMPOSE);
    for (
      const [, variable] of text.matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)/g)
    ) {
      assert.ok(
        documentedVars.has(variable),
        `\${${variable}} is used but not documented in .env.example`,
      );
    }
  },
});
