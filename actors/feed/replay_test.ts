import assert from "node:assert/strict";
import { parseReplay, ReplayCursor } from "./replay.ts";

const T = 1_700_000_000_000;
const trade = (t: number, s = "AAPL") =>
  JSON.stringify({ type: "trade", data: [{ s, p: 1, t, v: 1 }] });

Deno.test("parseReplay: skips blank lines, keeps junk, carries recorded time forward", () => {
  const lines = parseReplay(
    [trade(T), "", "junk", '{"type":"ping"}', trade(T + 500)].join("\n"),
  );
  assert.equal(lines.length, 4);
  assert.deepEqual(lines.map((l) => l.recordedAt), [T, T, T, T + 500]);
  assert.equal(lines[1].text, "junk");
  assert.equal(lines[1].trades, undefined);
  assert.equal(lines[3].trades?.length, 1);
});

Deno.test("ReplayCursor: recorded pace, scaled by speed", () => {
  const lines = parseReplay(
    [trade(T), trade(T + 100), trade(T + 1_000)].join("\n"),
  );
  const cursor = new ReplayCursor(lines, { retime: false });
  assert.equal(cursor.due(5_000).length, 1);
  assert.equal(cursor.due(5_099).length, 0);
  assert.equal(cursor.due(5_100).length, 1);
  assert.equal(cursor.due(5_999).length, 0);
  assert.equal(cursor.due(6_000)[0].trades?.[0].t, T + 1_000);
  assert.ok(cursor.done);
  assert.deepEqual(cursor.due(7_000), []);

  const fast = new ReplayCursor(lines, { speed: 10 });
  assert.equal(fast.due(0).length, 1);
  assert.equal(fast.due(10).length, 1);
  assert.equal(fast.due(100).length, 1);
});

Deno.test("ReplayCursor: speed Infinity hands out one line per call", () => {
  const lines = parseReplay([trade(T), trade(T + 100_000), "junk"].join("\n"));
  const cursor = new ReplayCursor(lines, { speed: Infinity });
  assert.equal(cursor.due(0).length, 1);
  assert.equal(cursor.due(0).length, 1);
  assert.equal(cursor.due(0)[0].text, "junk");
  assert.ok(cursor.done);
});

Deno.test("ReplayCursor: retiming shifts plausible times only", () => {
  const text = JSON.stringify({
    type: "trade",
    data: [
      { s: "A", p: 1, t: T, v: 1 },
      { s: "A", p: 1, t: Math.floor(T / 1000), v: 1 },
      { s: "A", p: 1, t: "x", v: 1 },
    ],
  });
  const [line] = new ReplayCursor(parseReplay(text)).due(2 * T);
  assert.deepEqual(line.trades?.map((d) => d.t), [
    2 * T,
    Math.floor(T / 1000),
    "x",
  ]);
});
