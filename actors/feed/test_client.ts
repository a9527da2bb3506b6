/**
 * A minimal Finnhub-protocol WebSocket client for tests: records every
 * message and lets a test wait for a condition without sleeping blindly.
 *
 * @module
 */

/** Thrown by {@linkcode TestFeedClient.waitFor} when the condition did not hold in time. */
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
  constructor(what: string, ms: number) {
    super(
      `timed out after ${ms} ms waiting for ${what}; is the feed server sending?`,
    );
  }
}

/**
 * Test client of the feed server.
 *
 * @example
 * ```ts ignore
 * import { TestFeedClient } from "./test_client.ts";
 * const client = await TestFeedClient.connect("ws://127.0.0.1:8765?token=x");
 * client.subscribe("AAPL");
 * await client.waitFor("a trade", () => client.trades().length > 0);
 * await client.close();
 * ```
 */
export class TestFeedClient {
  /** Every message received, parsed; text that is not JSON is kept as a string. */
  readonly messages: unknown[] = [];
  /** Resolves with the close event, however the connection ended. */
  readonly closed: Promise<CloseEvent>;
  readonly #socket: WebSocket;
  readonly #listeners = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (e) => {
      try {
        this.messages.push(JSON.parse(e.data));
      } catch {
        this.messages.push(e.data);
      }
      for (const l of this.#listeners) l();
    };
    this.closed = new Promise((resolve) => {
      socket.onclose = (e) => {
        resolve(e);
        for (const l of this.#listeners) l();
      };
    });
  }

  /** Opens a connection and resolves once it is open. */
  static connect(url: string): Promise<TestFeedClient> {
    const socket = new WebSocket(url);
    const client = new TestFeedClient(socket);
    return new Promise((resolve, reject) => {
      socket.onopen = () => resolve(client);
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  /** True while the connection is open. */
  get open(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  send(message: unknown): void {
    this.#socket.send(
      typeof message === "string" ? message : JSON.stringify(message),
    );
  }

  subscribe(...symbols: string[]): void {
    for (const symbol of symbols) this.send({ type: "subscribe", symbol });
  }

  unsubscribe(...symbols: string[]): void {
    for (const symbol of symbols) this.send({ type: "unsubscribe", symbol });
  }

  /** Trade messages received since message index `from`. */
  tradeMessages(
    from = 0,
  ): Array<{ type: "trade"; data: Array<Record<string, unknown>> }> {
    return this.messages.slice(from).filter((m): m is {
      type: "trade";
      data: Array<Record<string, unknown>>;
    } => (m as { type?: unknown })?.type === "trade");
  }

  /** All trades received since message index `from`, flattened. */
  trades(from = 0): Array<Record<string, unknown>> {
    return this.tradeMessages(from).flatMap((m) => m.data);
  }

  /** Messages of one `type` since message index `from`. */
  ofType(type: string, from = 0): Array<Record<string, unknown>> {
    return this.messages.slice(from).filter((m): m is Record<string, unknown> =>
      (m as { type?: unknown })?.type === type
    );
  }

  /** Resolves once `condition()` holds, re-checking after each message. */
  waitFor(
    what: string,
    condition: () => boolean,
    timeoutMs = 5_000,
  ): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new WaitTimeoutError(what, timeoutMs));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
    });
  }

  /** Closes (if still open) and resolves once closed. */
  async close(): Promise<void> {
    if (this.#socket.readyState <= WebSocket.OPEN) this.#socket.close();
    await this.closed;
  }
}

/** Polls `condition` every few ms (for server-side state). */
export async function eventually(
  what: string,
  condition: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new WaitTimeoutError(what, timeoutMs);
    await new Promise((r) => setTimeout(r, 5));
  }
}
