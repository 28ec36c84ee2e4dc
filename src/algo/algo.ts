/**
 * The algorithm contract: {@link BaseAlgo} and the scheduling options of a loaded algorithm.
 *
 * @module
 */
import type { Frame } from "../frame.ts";
import type { PluginPermissions } from "./permissions.ts";

/**
 * Base class of a user's algorithm. Override `init` to load models and `run` to infer.
 *
 * A result must be plain, structured-cloneable and JSON-serializable data.
 *
 * @example
 * ```ts
 * import { BaseAlgo, type Frame } from "@stream-infer/stream-infer";
 *
 * export default class Brightness extends BaseAlgo<{ scale?: number }, number> {
 *   #scale = 1;
 *   override init(options: { scale?: number }) {
 *     this.#scale = options?.scale ?? 1;
 *   }
 *   run(frames: Frame[]): number {
 *     const { data } = frames[0];
 *     let sum = 0;
 *     for (let i = 0; i < data.length; i++) sum += data[i];
 *     return (sum / data.length) * this.#scale;
 *   }
 * }
 * ```
 */
export abstract class BaseAlgo<Options = unknown, Result = unknown> {
  /** Name used in records and result lookups. Defaults to the class name. */
  readonly name: string;

  /** Creates the algorithm; `name` defaults to the class name. */
  constructor(name?: string) {
    this.name = name ?? this.constructor.name;
  }

  /**
   * Loads models and other state. Called once before the first `run`. `context` says which
   * of the algorithm's parallel instances this is (see `LoadAlgoOptions.instances`).
   */
  init(_options: Options, _context?: AlgoContext): void | Promise<void> {}

  /** Infers on exactly `frameCount` frames, oldest first. */
  abstract run(frames: Frame[]): Result | Promise<Result>;

  /** Releases resources. Called once when the pipeline ends. */
  dispose(): void | Promise<void> {}
}

/**
 * What `init` learns about where it runs: this instance's number and how many instances of
 * the algorithm run side by side (a plugin loaded with `instances: 2` is initialised twice,
 * in two workers). Plugins that size thread pools divide the cores by `instances`.
 *
 * @example
 * ```ts
 * import type { AlgoContext } from "@stream-infer/stream-infer";
 * const context: AlgoContext = { instance: 0, instances: 2 };
 * const threads = Math.max(1, Math.floor(navigator.hardwareConcurrency / context.instances));
 * ```
 */
export interface AlgoContext {
  /** This instance's number, from 0. */
  instance: number;
  /** How many instances of the algorithm run side by side (>= 1). */
  instances: number;
}

/**
 * The shape the runtime needs of an algorithm instance. {@link BaseAlgo} instances fit it,
 * and so does any object of a plugin class with a `run` method.
 *
 * @example
 * ```ts
 * import type { AlgoLike, Frame } from "@stream-infer/stream-infer";
 * const counter: AlgoLike = { run: (frames: Frame[]) => frames.length };
 * ```
 */
export interface AlgoLike {
  /** Optional display name. */
  readonly name?: string;
  /** Optional initialiser. */
  init?(options: unknown, context?: AlgoContext): unknown;
  /** Infers on the given frames. */
  run(frames: Frame[]): unknown;
  /** Optional clean-up. */
  dispose?(): unknown;
}

/**
 * How often an algorithm runs and which frames it gets (see docs/contract.md §3).
 *
 * @example
 * ```ts
 * import type { ScheduleOptions } from "@stream-infer/stream-infer";
 * const oncePerSecond: ScheduleOptions = { frameCount: 1, frameStep: 0, interval: 1 };
 * ```
 */
export interface ScheduleOptions {
  /** How many frames `run` receives (integer >= 1). */
  frameCount: number;
  /** Step between the frames: 0 or 1 for consecutive frames, s > 1 for every s-th frame. */
  frameStep: number;
  /** Seconds between runs (> 0). */
  interval: number;
}

/**
 * Options of `Inference.loadAlgo`: a schedule, plus an optional name and `init` options.
 *
 * @example
 * ```ts
 * import type { LoadAlgoOptions } from "@stream-infer/stream-infer";
 * const opts: LoadAlgoOptions = { frameCount: 2, frameStep: 5, interval: 0.5, name: "motion" };
 * ```
 */
export interface LoadAlgoOptions extends ScheduleOptions {
  /** Overrides the algorithm's name. */
  name?: string;
  /** Passed to `init(options)`. */
  options?: unknown;
  /** Plugins only: run in a Web Worker (default `true`) or on the main thread (`false`). */
  worker?: boolean;
  /** Plugins only: SRI pin (`sha256-<base64>`) the module's bytes must match. */
  integrity?: string;
  /** Plugins only: allow a remote plugin without a pin (with a warning). */
  trust?: boolean;
  /**
   * Worker plugins only: what the plugin may do. Default: nothing, except reading files named
   * in `options`: a string there grants read access only when it names an existing file whose
   * real path (after symlinks) is under the plugin base directory (`pluginBase`; the config
   * file's folder in the CLI) or under the working directory. Directories are never granted;
   * any other file (`/etc/passwd`, a model elsewhere) must be listed in `permissions.read`.
   * Needs `--unstable-worker-options`.
   */
  permissions?: PluginPermissions;
  /**
   * A run taking longer becomes an error record (default 30000 ms). A worker is then
   * terminated and restarted; an inline run is no longer waited for (a synchronous endless
   * loop on the main thread cannot be interrupted: run such code in a worker).
   */
  timeoutMs?: number;
  /**
   * Worker plugins only: how many instances run side by side, each in its own worker with
   * the same `init` options (default 1). Offline, run k goes to instance k mod `instances`
   * and records are still handed on in frame order; realtime, a tick goes to an idle
   * instance. Meant for algorithms that keep no state between runs: each instance sees only
   * its share of the runs.
   */
  instances?: number;
}
