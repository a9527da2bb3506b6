/**
 * Teardown of everything a benchmark started, also when it is interrupted:
 * each part opens a registered `AsyncDisposableStack` and disposes it when
 * done; on SIGINT or SIGTERM every stack not yet disposed is disposed (last
 * opened first) before the process exits.
 *
 * @module
 */

/** Registered disposable stacks; see the module doc. */
export class Teardown {
  readonly #stacks: AsyncDisposableStack[] = [];

  /**
   * A stack that {@linkcode Teardown.disposeAll} also disposes.
   *
   * @example
   * ```ts
   * import { Teardown } from "./cleanup.ts";
   * const teardown = new Teardown();
   * {
   *   await using stack = teardown.open();
   *   stack.defer(() => console.log("released"));
   * }
   * ```
   */
  open(): AsyncDisposableStack {
    const stack = new AsyncDisposableStack();
    this.#stacks.push(stack);
    return stack;
  }

  /** Disposes every stack not disposed yet, last opened first; errors are reported, not thrown. */
  async disposeAll(report: (msg: string) => void): Promise<void> {
    for (const stack of [...this.#stacks].reverse()) {
      await stack.disposeAsync().catch((e) =>
        report(`cleanup failed: ${String(e)}`)
      );
    }
    this.#stacks.length = 0;
  }

  /** On SIGINT or SIGTERM: dispose everything, then exit with 130. */
  disposeOnSignals(report: (msg: string) => void): void {
    let stopping = false;
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(sig, async () => {
        if (stopping) return;
        stopping = true;
        report(`${sig}: stopping the children, deleting the topics`);
        await this.disposeAll(report);
        Deno.exit(130);
      });
    }
  }
}
