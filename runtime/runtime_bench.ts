/**
 * Throughput of the runtime against a bare async queue doing the same work.
 * Run: `deno bench --allow-all runtime/`. Each group prints the ratio to its
 * baseline.
 *
 * @module
 */

import { type ActorRef, ActorSystem, RealClock, silentLogger } from "./mod.ts";

const N = 100_000;
const CHAIN = 10;
const CHAIN_N = 10_000;
const ASKS = 10_000;

/**
 * The baseline: a FIFO array queue drained by one async loop that awaits a
 * resolved promise (a `setImmediate` yield) every 64 messages - the minimum
 * any fair mailbox must do.
 */
class BareQueue<T> {
  #items: T[] = [];
  #head = 0;
  #running = false;
  #burst = 0;
  #clock = new RealClock();
  constructor(readonly handle: (item: T) => void) {}
  push(item: T): Promise<void> {
    this.#items.push(item);
    if (!this.#running) {
      this.#running = true;
      queueMicrotask(() => void this.#drain());
    }
    return Promise.resolve();
  }
  async #drain(): Promise<void> {
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      this.#items[this.#head++] = undefined as T;
      this.handle(item);
      if (++this.#burst >= 64) {
        this.#burst = 0;
        await this.#clock.yield();
      }
    }
    this.#items = [];
    this.#head = 0;
    this.#running = false;
  }
}

function counterSink(
  total: number,
): { receive: (n: number) => void; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let seen = 0;
  return {
    receive: () => {
      if (++seen === total) resolve();
    },
    done,
  };
}

// ---- one actor

Deno.bench("bare queue: 100k tells", {
  group: "tell",
  baseline: true,
  n: 20,
  warmup: 5,
}, async () => {
  const sink = counterSink(N);
  const q = new BareQueue<number>(sink.receive);
  for (let i = 0; i < N; i++) await q.push(i);
  await sink.done;
});

const system = new ActorSystem("bench", { logger: silentLogger() });
let seq = 0;

Deno.bench(
  "actor: 100k tells",
  { group: "tell", n: 20, warmup: 5 },
  async (b) => {
    const sink = counterSink(N);
    const ref = await system.spawn<number>(`one-${seq++}`, {
      mailbox: { capacity: 1000 },
      factory: () => ({ receive: sink.receive }),
    });
    b.start();
    for (let i = 0; i < N; i++) await ref.tell(i);
    await sink.done;
    b.end();
    await system.stop(ref as ActorRef<unknown>);
  },
);

// ---- a chain of 10

Deno.bench("bare queues: chain of 10, 10k messages", {
  group: "chain",
  baseline: true,
  n: 20,
  warmup: 5,
}, async (b) => {
  const sink = counterSink(CHAIN_N);
  let next: BareQueue<number> = new BareQueue(sink.receive);
  for (let i = 1; i < CHAIN; i++) {
    const to = next;
    next = new BareQueue((n) => to.push(n));
  }
  b.start();
  for (let i = 0; i < CHAIN_N; i++) await next.push(i);
  await sink.done;
  b.end();
});

Deno.bench("actors: chain of 10, 10k messages", {
  group: "chain",
  n: 20,
  warmup: 5,
}, async (b) => {
  const sink = counterSink(CHAIN_N);
  const id = seq++;
  const refs: ActorRef<number>[] = [];
  let next: ActorRef<number> = await system.spawn<number>(`chain-${id}-0`, {
    factory: () => ({ receive: sink.receive }),
  });
  refs.push(next);
  for (let i = 1; i < CHAIN; i++) {
    const to = next;
    // Returning the tell keeps back-pressure along the chain.
    next = await system.spawn<number>(`chain-${id}-${i}`, {
      factory: () => ({ receive: (n) => to.tell(n) }),
    });
    refs.push(next);
  }
  b.start();
  for (let i = 0; i < CHAIN_N; i++) await next.tell(i);
  await sink.done;
  b.end();
  for (const ref of refs.reverse()) await system.stop(ref as ActorRef<unknown>);
});

// ---- ask round trip

Deno.bench("bare queue: 10k request/reply", {
  group: "ask",
  baseline: true,
  n: 20,
  warmup: 5,
}, async () => {
  const q = new BareQueue<{ n: number; reply: (v: number) => void }>((m) =>
    m.reply(m.n)
  );
  const clock = new RealClock();
  for (let i = 0; i < ASKS; i++) {
    await new Promise<number>((resolve, reject) => {
      // Same work as an ask: a timeout timer set and cleared per request.
      const t = clock.setTimeout(() => reject(new Error("timeout")), 1000);
      void q.push({
        n: i,
        reply: (v) => {
          clock.clearTimeout(t);
          resolve(v);
        },
      });
    });
  }
});

let echo: ActorRef<number> | undefined;
Deno.bench(
  "actor: 10k ask round trips",
  { group: "ask", n: 20, warmup: 5 },
  async () => {
    echo ??= await system.spawn<number>("echo", {
      factory: () => ({ receive: (n) => n }),
    });
    for (let i = 0; i < ASKS; i++) await echo.ask(i, { timeoutMs: 1000 });
  },
);

globalThis.addEventListener("unload", () => void system.shutdown());
