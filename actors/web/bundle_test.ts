import assert from "node:assert/strict";
import { BUNDLE_PATH, bundleClient } from "./bundle.ts";

Deno.test("web: the committed static/market.js is the current bundle of the client (deno task web:bundle)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tickline-bundle-" });
  try {
    const out = `${dir}/market.js`;
    await bundleClient(out);
    const fresh = await Deno.readTextFile(out);
    const committed = await Deno.readTextFile(BUNDLE_PATH);
    assert.ok(fresh.length > 50_000, "lightweight-charts is bundled in");
    assert.ok(
      !/https?:\/\/(cdn|unpkg)/.test(fresh),
      "nothing loads from a CDN",
    );
    assert.ok(
      fresh === committed,
      "static/market.js is stale: run `deno task web:bundle` and commit it",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
