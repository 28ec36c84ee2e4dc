/**
 * The errors a {@link WorkerRunner} raises on its own (not the plugin's): a base class and one
 * class per failure (timeout, crash, disabled).
 *
 * @module
 */
import { StreamInferError } from "../errors.ts";

/**
 * Base class of the errors a {@link WorkerRunner} raises on its own (not the plugin's).
 * Exit code 1.
 *
 * @example
 * ```ts
 * import { WorkerRunnerError } from "@stream-infer/stream-infer";
 * const err = new WorkerRunnerError("things: run() before init()");
 * console.log(err instanceof Error, err.exitCode); // true 1
 * ```
 */
export class WorkerRunnerError extends StreamInferError {}

/**
 * A run took longer than `timeoutMs`; the worker was terminated.
 *
 * @example
 * ```ts
 * import { WorkerTimeoutError } from "@stream-infer/stream-infer";
 * const err = new WorkerTimeoutError("things: run timed out after 30000 ms");
 * console.log(err.name); // "WorkerTimeoutError"
 * ```
 */
export class WorkerTimeoutError extends WorkerRunnerError {}

/**
 * The worker crashed: an uncaught error or unhandled rejection in the plugin.
 *
 * @example
 * ```ts
 * import { WorkerCrashError } from "@stream-infer/stream-infer";
 * const err = new WorkerCrashError("things: the worker crashed: Error: boom");
 * console.log(err.name); // "WorkerCrashError"
 * ```
 */
export class WorkerCrashError extends WorkerRunnerError {}

/**
 * The runner failed `maxRestarts` times in a row and no longer runs the plugin.
 *
 * @example
 * ```ts
 * import { WorkerDisabledError } from "@stream-infer/stream-infer";
 * const err = new WorkerDisabledError(
 *   "things: disabled after 3 consecutive failures: run timed out after 30000 ms",
 * );
 * console.log(err.message);
 * ```
 */
export class WorkerDisabledError extends WorkerRunnerError {}
