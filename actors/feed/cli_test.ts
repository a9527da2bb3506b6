import assert from "node:assert/strict";
import {
  DEFAULT_FEED_SYMBOLS,
  FeedCliError,
  parseFeedCliConfig,
} from "./cli.ts";

const noEnv = () => undefined;

Deno.test("feed cli: defaults, with a drawn seed", () => {
  assert.deepEqual(parseFeedCliConfig([], noEnv, () => 99), {
    hostname: "127.0.0.1",
    port: 8765,
    symbols: [...DEFAULT_FEED_SYMBOLS],
    ratePerSec: 100,
    seed: 99,
  });
});

Deno.test("feed cli: environment, then flags over it", () => {
  const env: Record<string, string> = {
    FEED_HOST: "0.0.0.0",
    FEED_PORT: "9000",
    FEED_SYMBOLS: "AAPL, BINANCE:BTCUSDT ,",
    FEED_RATE: "2.5",
    FEED_SEED: "7",
    FEED_REPLAY_FILE: "/tmp/x.jsonl",
    FEED_INJECT_INVALID: "0.1",
    FEED_MAX_TRADES: "1000",
  };
  const fromEnv = parseFeedCliConfig([], (k) => env[k], () => 1);
  assert.deepEqual(fromEnv, {
    hostname: "0.0.0.0",
    port: 9000,
    symbols: ["AAPL", "BINANCE:BTCUSDT"],
    ratePerSec: 2.5,
    seed: 7,
    replayFile: "/tmp/x.jsonl",
    injectInvalid: 0.1,
    maxTrades: 1000,
  });
  const flags = parseFeedCliConfig(
    ["--hostname", "::1", "--port", "0", "--seed=8", "--symbols", "TSLA"],
    (k) => env[k],
    () => 1,
  );
  assert.equal(flags.hostname, "::1");
  assert.equal(flags.port, 0);
  assert.equal(flags.seed, 8);
  assert.deepEqual(flags.symbols, ["TSLA"]);
});

Deno.test("feed cli: bad values are refused with the name of the setting", () => {
  for (
    const [args, env] of [
      [["--port", "http"], {}],
      [["--port", "70000"], {}],
      [["--hostname", "ws://0.0.0.0"], {}],
      [[], { FEED_RATE: "-1" }],
      [[], { FEED_SEED: "1.5" }],
      [["--inject-invalid", "2"], {}],
      [["--unknown"], {}],
    ] as Array<[string[], Record<string, string>]>
  ) {
    assert.throws(
      () => parseFeedCliConfig(args, (k) => env[k], () => 1),
      FeedCliError,
    );
  }
  assert.throws(
    () =>
      parseFeedCliConfig(
        [],
        (k) => ({ FEED_PORT: "x" } as Record<string, string>)[k],
        () => 1,
      ),
    /FEED_PORT/,
  );
});

Deno.test("feed cli: the process serves, then stops cleanly on SIGTERM", async () => {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      new URL("./cli.ts", import.meta.url).pathname,
      "--port",
      "0",
      "--seed",
      "1",
    ],
    stdout: "null",
    stderr: "piped",
  });
  const child = cmd.spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("feed on ws://")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const url = /feed on (ws:\/\/\S+)/.exec(text)?.[1];
  assert.ok(url, text);
  const ws = new WebSocket(`${url}?token=should-not-be-logged`);
  await new Promise((r) => ws.onopen = r);
  const closed = new Promise((r) => ws.onclose = r);
  child.kill("SIGTERM");
  await closed;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const status = await child.status;
  assert.equal(status.code, 0, text);
  assert.match(text, /feed stopped/);
  assert.doesNotMatch(text, /should-not-be-logged/);
});

Deno.test("feed cli: --speed and --keep-times shape a replay", () => {
  const c = parseFeedCliConfig(
    ["--replay", "/tmp/r.jsonl", "--speed", "4", "--keep-times"],
    noEnv,
    () => 1,
  );
  assert.equal(c.replaySpeed, 4);
  assert.equal(c.replayRetime, false);
  const inf = parseFeedCliConfig(
    ["--replay", "/tmp/r.jsonl", "--speed", "inf"],
    noEnv,
    () => 1,
  );
  assert.equal(inf.replaySpeed, Infinity);
  assert.equal(inf.replayRetime, undefined);
  assert.throws(
    () => parseFeedCliConfig(["--speed", "2"], noEnv, () => 1),
    FeedCliError,
  );
  assert.throws(
    () =>
      parseFeedCliConfig(
        ["--replay", "/tmp/r.jsonl", "--speed", "0"],
        noEnv,
        () => 1,
      ),
    FeedCliError,
  );
});
