/**
 * A local HTTP server that stands in for Slack's incoming webhook, so tests
 * can see exactly what Alertmanager would post.
 *
 * @module
 */

/** One attachment of a Slack webhook payload (the part Alertmanager fills). */
export interface SlackAttachment {
  title?: string;
  title_link?: string;
  text?: string;
  color?: string;
  fallback?: string;
}

/** A Slack webhook payload as posted by Alertmanager. */
export interface SlackMessage {
  channel?: string;
  username?: string;
  attachments?: SlackAttachment[];
}

/** Raised when no matching message arrived in time. */
export class SlackWaitTimeoutError extends Error {
  /** @param what the awaited message; @param ms the wait; @param seen titles received */
  constructor(what: string, ms: number, seen: string[]) {
    super(
      `no Slack message ${what} within ${ms} ms; received: ${
        JSON.stringify(seen)
      }`,
    );
    this.name = "SlackWaitTimeoutError";
  }
}

/** A running fake Slack webhook. */
export interface SlackSink {
  /** URL to put in the webhook URL file. */
  readonly url: string;
  /** Every payload received, in order. */
  readonly messages: readonly SlackMessage[];
  /** Resolves with the first message (old or new) matching `predicate`. */
  waitFor(
    predicate: (m: SlackMessage) => boolean,
    timeoutMs: number,
    what?: string,
  ): Promise<SlackMessage>;
  close(): Promise<void>;
}

/** Titles of a message's attachments joined, for matching and reports. */
export function slackTitle(m: SlackMessage): string {
  return (m.attachments ?? []).map((a) => a.title ?? "").join(" | ");
}

/**
 * Starts the fake webhook on a free loopback port.
 *
 * @example
 * ```ts
 * import { startSlackSink } from "./slack_sink.ts";
 * const sink = startSlackSink();
 * await fetch(sink.url, { method: "POST", body: JSON.stringify({ attachments: [{ title: "[FIRING] X" }] }) });
 * await sink.waitFor((m) => m.attachments?.[0]?.title === "[FIRING] X", 1000);
 * await sink.close();
 * ```
 */
export function startSlackSink(): SlackSink {
  const messages: SlackMessage[] = [];
  const waiters = new Set<() => void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      if (req.method !== "POST") return new Response("", { status: 405 });
      try {
        messages.push(await req.json() as SlackMessage);
      } catch {
        return new Response("invalid_payload", { status: 400 });
      }
      for (const wake of waiters) wake();
      // Slack answers a good post with plain "ok".
      return new Response("ok");
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/services/T000/B000/XXXX`,
    messages,
    waitFor(predicate, timeoutMs, what = "matching") {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const wake = () => {
          const m = messages.find(predicate);
          if (!m) return;
          cleanup();
          resolve(m);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new SlackWaitTimeoutError(
              what,
              timeoutMs,
              messages.map(slackTitle),
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
      });
    },
    async close() {
      await server.shutdown();
    },
  };
}
