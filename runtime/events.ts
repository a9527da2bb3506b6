/**
 * The event stream of one actor system. Publishing is free when nobody
 * listens for an event type: hot paths ask {@linkcode EventStream.wants}
 * before building the event object.
 *
 * @module
 */

import type { RuntimeEvent } from "./types.ts";

/** The `type` of a {@linkcode RuntimeEvent}. */
export type RuntimeEventType = RuntimeEvent["type"];

/** Options of {@linkcode EventStream.subscribe}. */
export interface SubscribeOptions {
  /**
   * Only these event types are delivered. Leave out the chatty ones
   * (`handler_duration`) unless you need them: when no listener wants a type
   * the runtime does not even build its events.
   */
  types?: readonly RuntimeEventType[];
}

/** A listener for {@linkcode RuntimeEvent}s. */
export type EventListener = (event: RuntimeEvent) => void;

const ALL_TYPES: readonly RuntimeEventType[] = [
  "started",
  "stopped",
  "restarted",
  "failed",
  "escalated",
  "dead_letter",
  "dropped",
  "mailbox_depth",
  "handler_duration",
  "shutdown_timeout",
];

interface Subscription {
  listener: EventListener;
  types: ReadonlySet<RuntimeEventType> | undefined;
}

/**
 * Fan-out of runtime events to subscribers. A throwing listener is isolated
 * (reported through `onListenerError`) so observability can never break the
 * actors.
 *
 * @example
 * ```ts
 * import { EventStream } from "./mod.ts";
 * const events = new EventStream();
 * const off = events.subscribe((e) => console.log(e.type), { types: ["started"] });
 * events.publish({ type: "started", path: "/app/a", kind: "a" });
 * off();
 * ```
 */
export class EventStream {
  #subs: Subscription[] = [];
  // A plain object, not a Map: hot paths read it per message and V8 inlines fixed-key reads.
  #wanted: Record<RuntimeEventType, number> = Object.fromEntries(
    ALL_TYPES.map((t) => [t, 0]),
  ) as Record<RuntimeEventType, number>;
  #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Registers `listener`; returns a function that unregisters it. */
  subscribe(
    listener: EventListener,
    options: SubscribeOptions = {},
  ): () => void {
    const sub: Subscription = {
      listener,
      types: options.types ? new Set(options.types) : undefined,
    };
    this.#subs = [...this.#subs, sub];
    this.#count(sub, 1);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.#subs = this.#subs.filter((s) => s !== sub);
      this.#count(sub, -1);
    };
  }

  /** True when at least one subscriber wants events of `type`. */
  wants(type: RuntimeEventType): boolean {
    return this.#wanted[type] > 0;
  }

  /** Delivers `event` to every subscriber that wants its type. */
  publish(event: RuntimeEvent): void {
    for (const sub of this.#subs) {
      if (sub.types && !sub.types.has(event.type)) continue;
      try {
        sub.listener(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  #count(sub: Subscription, delta: number): void {
    for (const type of sub.types ?? ALL_TYPES) {
      this.#wanted[type] += delta;
    }
  }
}
