import assert from "node:assert/strict";
import { loadConfig } from "./config.ts";
import { ConfigError, describeFeed } from "./mod.ts";
import { redactUrl, SecretScrubber } from "./secrets.ts";

const TOKEN = "c1a2b3s3cr3t";

Deno.test("scrubber: every form of the token is replaced", () => {
  const s = SecretScrubber.fromEnv({
    FINNHUB_TOKEN: "envTok3n9",
    FINNHUB_URL: `wss://us3r:pa55word@ws.finnhub.io/?token=${TOKEN}`,
  });
  const text =
    `a envTok3n9 b ${TOKEN} c us3r pa55word wss://x.io/?token=zzz9 wss://u:p@h/`;
  const out = s.scrub(text);
  for (const secret of ["envTok3n9", TOKEN, "pa55word", "zzz9", "u:p@"]) {
    assert.ok(!out.includes(secret), `${secret} in ${out}`);
  }
  assert.match(out, /token=\*\*\*/);
});

Deno.test("scrubber: fields of log lines, errors included, are scrubbed", () => {
  const lines: string[] = [];
  const log = new SecretScrubber([TOKEN]).logger({
    debug: () => {},
    info: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
    warn: () => {},
    error: () => {},
  });
  log.info(`connect ${TOKEN}`, {
    error: new Error(`failed for ${TOKEN}`),
    nested: { url: `x?token=${TOKEN}` },
  });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes(TOKEN), lines[0]);
});

// Finding 5 of issue 9: the token in FINNHUB_URL leaked in logs and config errors.
Deno.test("config: a bad FINNHUB_URL is never echoed with its token", () => {
  for (
    const url of [
      `https://ws.finnhub.io?token=${TOKEN}`,
      `wss://ws.finnhub.io?token=${TOKEN} extra`,
    ]
  ) {
    assert.throws(() => loadConfig({ FINNHUB_URL: url }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(!e.message.includes(TOKEN), e.message);
      return true;
    });
  }
});

Deno.test("config: describeFeed never shows the token of a URL", () => {
  const config = loadConfig({
    FINNHUB_URL: `wss://ws.finnhub.io?token=${TOKEN}`,
  });
  assert.ok(!describeFeed(config.feed).includes(TOKEN));
  assert.equal(
    redactUrl(`wss://ws.finnhub.io/?token=${TOKEN}&x=1`),
    "wss://ws.finnhub.io/?token=***&x=1",
  );
});

Deno.test("config: the ingest buffer defaults to >= 60 s at the configured rate", () => {
  const c = loadConfig({ INGEST_RATE_PER_SEC: "2000" });
  assert.ok(
    c.ingestBufferBytes >= 2000 * 60 * 150,
    String(c.ingestBufferBytes),
  );
  assert.equal(c.maxFutureSkewMs, 10_000);
  assert.equal(
    loadConfig({ INGEST_BUFFER_BYTES: "5000" }).ingestBufferBytes,
    5000,
  );
});
