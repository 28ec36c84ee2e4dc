/**
 * Runners: how an algorithm's `init`, `run` and `dispose` are called. {@link InlineRunner}
 * calls them on the current thread.
 *
 * @module
 */
import type { AlgoContext, AlgoLike } from "./algo.ts";
import type { Frame } from "../frame.ts";

/**
 * Calls an algorithm. Every call is asynchronous so that an algorithm may live elsewhere
 * (in a worker) behind the same interface.
 *
 * @example
 * ```ts
 * import type { AlgoRunner, Frame } from "@stream-infer/stream-infer";
 * const runner: AlgoRunner = {
 *   init: async () => {},
 *   run: async (frames: Frame[]) => frames.length,
 *   dispose: async () => {},
 * };
 * ```
 */
export interface AlgoRunner {
  /** Calls the algorithm's `init(options, context)`. */
  init(options: unknown): Promise<void>;
  /** Calls the algorithm's `run(frames)`. */
  run(frames: Frame[]): Promise<unknown>;
  /** Calls the algorithm's `dispose()`. */
  dispose(): Promise<void>;
  /** Whether the runner gave up on the algorithm (runners that restart it have this). */
  readonly disabled?: boolean;
  /** How many times the algorithm was restarted (runners that restart it have this). */
  readonly restarts?: number;
}

/**
 * Runs an algorithm instance on the current thread. A slow `run` stalls whatever else runs
 * on this thread.
 *
 * @example
 * ```ts
 * import { InlineRunner } from "@stream-infer/stream-infer";
 * const runner = new InlineRunner({ run: (frames) => frames.length });
 * console.log(await runner.run([])); // 0
 * ```
 */
export class InlineRunner implements AlgoRunner {
  readonly #algo: AlgoLike;

  /** Wraps an algorithm instance. */
  constructor(algo: AlgoLike) {
    this.#algo = algo;
  }

  /** Calls `init(options, context)` if the algorithm has it (a single instance). */
  async init(options: unknown): Promise<void> {
    const context: AlgoContext = { instance: 0, instances: 1 };
    await this.#algo.init?.(options, context);
  }

  /** Calls `run(frames)`. */
  async run(frames: Frame[]): Promise<unknown> {
    return await this.#algo.run(frames);
  }

  /** Calls `dispose()` if the algorithm has it. */
  async dispose(): Promise<void> {
    await this.#algo.dispose?.();
  }
}
