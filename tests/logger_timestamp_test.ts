/**
 * Finding 6 of issue 9: log lines carried no timestamp. The test lives here
 * because runtime/ holds the runtime's own tests only.
 */
import assert from "node:assert/strict";
import { consoleLogger } from "../runtime/mod.ts";

Deno.test("every log line starts with an ISO-8601 UTC timestamp", () => {
  const lines: string[] = [];
  const original = {
    log: console.log,
    warn: console.warn,
    error: console.error,
  };
  console.log = console.warn = console.error = (line: string) =>
    lines.push(line);
  try {
    const log = consoleLogger("debug", {
      now: () => Date.UTC(2026, 10, 26, 3, 4, 5, 678),
    });
    log.debug("d");
    log.info("i", { a: 1 });
    log.warn("w");
    log.error("e");
  } finally {
    Object.assign(console, original);
  }
  assert.equal(lines.length, 4);
  assert.equal(lines[1], '2026-11-26T03:04:05.678Z INFO i {"a":1}');
  for (const l of lines) {
    assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [A-Z]+ /);
  }
});
