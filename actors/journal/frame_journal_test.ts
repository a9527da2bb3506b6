import assert from "node:assert/strict";
import { FrameJournal, type JournalOptions } from "./frame_journal.ts";
import { decodeJournal, type JournalRecord } from "./journal_records.ts";

const OWN = { owned: ["A"], released: [], leaseUntil: Infinity };

async function withDir(body: (dir: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "journal-test-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function open(dir: string, extra: Partial<JournalOptions> = {}) {
  let now = 1_000;
  return FrameJournal.open({
    dir,
    topic: "trades",
    now: () => now++,
    ...extra,
  });
}

function records(files: readonly string[]): JournalRecord[] {
  return files.flatMap((f) => decodeJournal(Deno.readFileSync(f)).records);
}

function sessionFiles(journal: FrameJournal): string[] {
  return [...Deno.readDirSync(journal.slotDir)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".journal"))
    .sort()
    .map((n) => `${journal.slotDir}/${n}`);
}

Deno.test("instances on one directory take slots of their own; a free slot's frames are adopted as tails by the next start", async () => {
  await withDir((dir) => {
    const a = open(dir);
    const b = open(dir);
    assert.notEqual(a.slotDir, b.slotDir, "a held slot is not taken twice");
    a.begin(OWN);
    b.begin(OWN);
    a.appendFrame("a1", 1);
    a.appendFrame("a2", 2);
    b.appendFrame("b1", 3);
    const settled = b.appendFrame("b2", 4);
    b.settled(settled - 1); // b2 is not settled
    // Both end with frames unsettled (as a SIGKILL leaves them: the lock goes with the process).
    a.close();
    b.close();
    const c = open(dir);
    assert.equal(c.slotDir, a.slotDir, "the first free slot");
    const tails = c.tails();
    assert.equal(tails.length, 2, "both sessions, the other slot's moved in");
    assert.ok(tails.every((t) => t.endedAt === undefined));
    const frames = tails.map((t) =>
      records(t.files).filter((r) => r.kind === "frame").map((r) =>
        (r as { text: string }).text
      ).join()
    ).sort();
    assert.deepEqual(frames, ["a1,a2", "b1,b2"]);
    // The moved files are gone from the slot they came from.
    assert.equal(
      [...Deno.readDirSync(b.slotDir)].filter((e) =>
        e.name.endsWith(".journal")
      ).length,
      0,
    );
    c.close();
  });
});

Deno.test("a session whose frames are all settled is deleted at close; a restarted ingest's unsettled session becomes a tail with its end time", async () => {
  await withDir((dir) => {
    const j = open(dir);
    j.begin(OWN);
    j.settled(j.appendFrame("x", 1));
    assert.ok(j.allSettled);
    j.begin(OWN); // settled: nothing left behind
    assert.equal(j.tails().length, 0);
    j.appendFrame("y", 2);
    assert.ok(!j.allSettled);
    j.begin({ ...OWN, owned: ["B"] });
    const [tail, ...more] = j.tails();
    assert.equal(more.length, 0);
    assert.ok(tail.endedAt !== undefined, "this process ended it");
    const kinds = records(tail.files).map((r) => r.kind);
    assert.deepEqual(kinds, ["state", "frame"]);
    j.remove(tail);
    assert.equal(j.tails().length, 0);
    j.settled(j.appendFrame("z", 3));
    j.close();
    assert.equal(sessionFiles(j).length, 0, "settled: deleted at close");
  });
});

Deno.test("parts rotate past partBytes, each begins with the ownership, and are deleted once settled", async () => {
  await withDir((dir) => {
    const j = open(dir, { partBytes: 100 });
    j.begin(OWN);
    const text = "f".repeat(60);
    const seqs = [1, 2, 3, 4, 5].map((i) => j.appendFrame(text, i));
    j.state(seqs[4], { ...OWN, owned: ["A", "B"] });
    const parts = sessionFiles(j);
    assert.ok(parts.length >= 3, `rotated (${parts.length} parts)`);
    for (const p of parts) {
      assert.equal(records([p])[0].kind, "state", `${p} starts with the state`);
    }
    const all = records(parts);
    assert.deepEqual(
      all.filter((r) => r.kind === "frame").map((r) =>
        (r as { seq: number }).seq
      ),
      seqs,
    );
    j.settled(seqs[2]);
    const left = sessionFiles(j);
    assert.ok(left.length < parts.length, "settled parts deleted");
    const frames = records(left).filter((r) => r.kind === "frame").map((r) =>
      (r as { seq: number }).seq
    );
    assert.ok(frames.includes(seqs[3]) && frames.includes(seqs[4]));
    j.settled(seqs[4]);
    j.close();
    assert.equal(sessionFiles(j).length, 0);
  });
});

Deno.test("a failed write stops the journal and is reported once; frames are no longer numbered", async () => {
  await withDir((dir) => {
    const errors: Error[] = [];
    const j = open(dir, { onError: (e) => errors.push(e) });
    j.begin(OWN);
    assert.ok(j.appendFrame("a", 1) > 0);
    // The slot directory vanishes under it: the next part cannot be opened.
    Deno.removeSync(j.slotDir, { recursive: true });
    j.begin(OWN);
    assert.equal(j.appendFrame("b", 2), 0);
    assert.equal(j.appendFrame("c", 3), 0);
    assert.equal(errors.length, 1);
    j.close();
    assert.equal(errors.length, 1);
  });
});
