import assert from "node:assert/strict";
import { parse } from "yaml";

const GRAFANA = new URL("../infra/grafana/", import.meta.url).pathname;

Deno.test("datasources are provisioned with the uids the dashboards use", async () => {
  const doc = parse(
    await Deno.readTextFile(
      `${GRAFANA}provisioning/datasources/datasources.yml`,
    ),
  );
  assert.equal(doc.apiVersion, 1);
  const byUid = Object.fromEntries(
    doc.datasources.map((d: { uid: string }) => [d.uid, d]),
  );
  assert.equal(byUid["tickline-prometheus"].type, "prometheus");
  assert.equal(byUid["tickline-prometheus"].url, "http://prometheus:9090");
  const cassandra = byUid["tickline-cassandra"];
  assert.equal(cassandra.type, "hadesarchitect-cassandra-datasource");
  assert.equal(cassandra.url, "cassandra:9042");
  assert.deepEqual(cassandra.jsonData, {
    keyspace: "market",
    consistency: "ONE",
  });
});

Deno.test("dashboards provider reads the mounted dashboards/json folder", async () => {
  const doc = parse(
    await Deno.readTextFile(`${GRAFANA}provisioning/dashboards/dashboards.yml`),
  );
  assert.equal(doc.providers.length, 1);
  assert.equal(doc.providers[0].type, "file");
  assert.equal(doc.providers[0].options.path, "/var/lib/grafana/dashboards");
});

Deno.test("grafana.ini allows a 1s refresh", async () => {
  const ini = await Deno.readTextFile(`${GRAFANA}grafana.ini`);
  const section = ini.split(/^\[dashboards\]$/m)[1]?.split(/^\[/m)[0] ?? "";
  assert.match(section, /^min_refresh_interval = 1s$/m);
});

Deno.test("the Prometheus datasource's timeInterval matches the scrape interval of both Prometheus configs", async () => {
  const ds = parse(
    await Deno.readTextFile(
      `${GRAFANA}provisioning/datasources/datasources.yml`,
    ),
  );
  const prometheus = ds.datasources.find((d: { uid: string }) =>
    d.uid === "tickline-prometheus"
  );
  for (const file of ["prometheus.yml", "prometheus.compose.yml"]) {
    const prom = parse(
      await Deno.readTextFile(
        new URL(`../infra/prometheus/${file}`, import.meta.url),
      ),
    );
    assert.equal(
      prometheus.jsonData.timeInterval,
      prom.global.scrape_interval,
      file,
    );
  }
});
