import assert from "node:assert/strict";
import { SlackWaitTimeoutError, startSlackSink } from "./slack_sink.ts";

Deno.test("slack sink records posts and wakes waiters", async () => {
  const sink = startSlackSink();
  try {
    const waiting = sink.waitFor(
      (m) => m.attachments?.[0]?.title === "[FIRING] A",
      5000,
    );
    const res = await fetch(sink.url, {
      method: "POST",
      body: JSON.stringify({
        channel: "#c",
        attachments: [{ title: "[FIRING] A" }],
      }),
    });
    assert.equal(await res.text(), "ok");
    assert.equal((await waiting).channel, "#c");
    assert.equal(sink.messages.length, 1);

    const bad = await fetch(sink.url, { method: "POST", body: "not json" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();

    await assert.rejects(
      sink.waitFor((m) => m.channel === "#never", 50, "never"),
      SlackWaitTimeoutError,
    );
  } finally {
    await sink.close();
  }
});
