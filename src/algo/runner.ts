/**
 * Runners: how an algorithm's `init`, `run` and `dispose` are called. {@link InlineRunner}
 * calls them on the current thread.
 *
 * @module
 */
import type { AlgoContext, AlgoLike } from "./algo.ts";
import type { Frame } from "../frame.ts";
import { StreamInferError } from "../errors.ts";

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
 * An inline run took longer than its `timeoutMs`. Exit code 1.
 *
 * @example
 * ```ts
 * import { InlineTimeoutError } from "./runner.ts";
 * const e = new InlineTimeoutError("det: run timed out after 30000 ms");
 * console.log(e.name); // "InlineTimeoutError"
 * ```
 */
export class InlineTimeoutError extends StreamInferError {}

/**
 * Options of an {@link InlineRunner}.
 *
 * @example
 * ```ts
 * import type { InlineRunnerOptions } from "./runner.ts";
 * const options: InlineRunnerOptions = { name: "det", timeoutMs: 5000 };
 * ```
 */
export interface InlineRunnerOptions {
  /** How errors name the algorithm (default: its `name`, else its class name). */
  name?: string;
  /**
   * How long a `run` may take before it rejects, in ms (default 30 000, as for workers).
   * Only a run that awaits can be given up on: see {@link InlineRunner}.
   */
  timeoutMs?: number;
}

/** The default `timeoutMs` of a run, for inline runners as for workers. */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Runs an algorithm instance on the current thread. A slow `run` stalls whatever else runs
 * on this thread.
 *
 * A `run` whose promise has not settled after `timeoutMs` rejects with a timeout error (the
 * run becomes an error record) and is no longer waited for; what it does later is ignored.
 * A `run` that never returns at all (a synchronous endless loop) cannot be interrupted on the
 * thread it blocks: run such code in a worker, whose runner terminates it.
 *
 * @example
 * ```ts
 * import { InlineRunner } from "@stream-infer/stream-infer";
 * const runner = new InlineRunner({ run: (frames) => frames.length }, { timeoutMs: 5000 });
 * console.log(await runner.run([])); // 0
 * ```
 */
export class InlineRunner implements AlgoRunner {
  readonly #algo: AlgoLike;
  readonly #name: string;
  readonly #timeoutMs: number;

  /** Wraps an algorithm instance. */
  constructor(algo: AlgoLike, options: InlineRunnerOptions = {}) {
    this.#algo = algo;
    this.#name = options.name ?? algo.name ?? algo.constructor?.name ?? "algo";
    const ms = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#timeoutMs = Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_TIMEOUT_MS;
  }

  /** How long a run may take, in ms. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Calls `init(options, context)` if the algorithm has it (a single instance). */
  async init(options: unknown): Promise<void> {
    const context: AlgoContext = { instance: 0, instances: 1 };
    await this.#algo.init?.(options, context);
  }

  /**
   * Calls `run(frames)`; rejects with an {@link InlineTimeoutError} when its promise has not
   * settled after `timeoutMs`.
   */
  async run(frames: Frame[]): Promise<unknown> {
    const running = this.#algo.run(frames);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ms = this.#timeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new InlineTimeoutError(
              `${this.#name}: run timed out after ${ms} ms (it runs on this thread and cannot ` +
                "be stopped; it is no longer waited for)",
            ),
          ),
        ms,
      );
    });
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls `dispose()` if the algorithm has it. */
  async dispose(): Promise<void> {
    await this.#algo.dispose?.();
  }
}
