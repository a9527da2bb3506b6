/**
 * What the parts of one actor cell share with each other, with the system and
 * with the parent: lifecycle states, system messages, the per-system context
 * and the link a child reports through. It lives apart from `actor_cell.ts`
 * so the parts (`dispatch.ts`, `children.ts`, `fault_handling.ts`,
 * `death_watch.ts`, `idle.ts`) can use it without importing the cell's code.
 *
 * @module
 */

import type { ActorCell } from "./actor_cell.ts";
import type { EventStream } from "./events.ts";
import type { Clock, Logger } from "./types.ts";

// Lifecycle states as small integers: the run loop compares them per message,
// and `state >= STOPPING` reads "stopping or stopped".
/** Built, not started yet. */
export const NEW = 0;
/** Handling messages. */
export const RUNNING = 1;
/** Suspended after a failure, waiting for its supervisor's directive. */
export const FAILED = 2;
/** Between teardown and a finished (re)start. */
export const RESTARTING = 3;
/** postStop and children are being stopped. */
export const STOPPING = 4;
/** Gone; only a supervisor's restart brings it back. */
export const STOPPED = 5;
/** One of the lifecycle states above. */
export type State = 0 | 1 | 2 | 3 | 4 | 5;

/** Why and after what delay a cell is restarted. */
export interface RestartInfo {
  error: unknown;
  delayMs: number;
}

/** Messages the run loop handles ahead of user messages, one at a time. */
export type SysMsg =
  | {
    t: "start";
    revive: boolean;
    restart: RestartInfo | undefined;
    done: () => void;
  }
  | { t: "stop"; selfStop: boolean }
  | { t: "resume" }
  | { t: "teardown"; error: unknown; done: () => void }
  | {
    t: "childFailed";
    child: ActorCell<never>;
    error: unknown;
    messageType: string;
  }
  | { t: "childStopped"; child: ActorCell<never>; selfStop: boolean }
  | { t: "restartGroup"; group: ActorCell<never>[]; info: RestartInfo }
  | { t: "idle" };

/** What every cell of one system shares (no globals: two systems never mix). */
export interface SystemContext {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: EventStream;
  readonly throughput: number;
  /** Counts and reports a message that could not be delivered. */
  deadLetter(path: string, msg: unknown): void;
  /** Counts a message dropped by an overflow policy. */
  dropped(): void;
}

/** How a cell reports to whoever supervises it (a parent cell or the system). */
export interface ParentLink {
  childFailed(
    child: ActorCell<never>,
    error: unknown,
    messageType: string,
  ): void;
  /** `selfStop`: stopped by stopSelf or idle passivation, not by its supervisor. */
  childStopped(child: ActorCell<never>, selfStop: boolean): void;
}
