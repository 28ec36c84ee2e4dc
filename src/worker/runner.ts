/**
 * {@link WorkerRunner}: runs a plugin algorithm in its own Web Worker, with the frames handed
 * over as transferable buffers, a per-run timeout, restarts after crashes and hangs, and
 * least-privilege permissions (docs/contract.md §2.5, §4.2).
 *
 * Sandboxing (per-worker permissions) needs Deno's `--unstable-worker-options` flag (or
 * `"unstable": ["worker-options"]` in deno.json). Without it, creating a worker with
 * permissions would end the whole process (exit code 70, not catchable), so the runner checks
 * first ({@link isWorkerSandboxAvailable}) and, when the flag is off, starts the worker
 * unsandboxed and warns once.
 *
 * The pieces live next to this module: `sandbox.ts` (is sandboxing available, the worker's
 * permissions), `channel.ts` (one worker and its requests, timeouts and crashes),
 * `packer.ts` (frames into messages), `protocol.ts` (the messages), `entry.ts` (the worker
 * side), `options.ts` and `errors.ts`. This module keeps the runner: its queue of runs,
 * restarts and disabling, and disposal.
 *
 * @module
 */
import { PluginError, StreamInferError } from "../errors.ts";
import type { Frame } from "../frame.ts";
import type { AlgoRunner } from "../algo/runner.ts";
import { Failure, WorkerChannel } from "./channel.ts";
import { WorkerDisabledError, WorkerRunnerError } from "./errors.ts";
import {
  checkPluginFound,
  defaultLabel,
  pluginOf,
  type Reporter,
  reporter,
  type RunnerSettings,
  settingsOf,
  type WorkerPluginSource,
  type WorkerRunnerOptions,
} from "./options.ts";
import { FramePacker } from "./packer.ts";
import { type FromWorker, remoteError } from "./protocol.ts";
import { ResultError } from "./result.ts";
import { isWorkerSandboxAvailable, SANDBOX_FLAG, type WorkerPermissions } from "./sandbox.ts";

export type { PluginPermissions } from "../algo/permissions.ts";
export type { WorkerPluginSource, WorkerRunnerEvent, WorkerRunnerOptions } from "./options.ts";
export { isWorkerSandboxAvailable } from "./sandbox.ts";
export { ResultError } from "./result.ts";
export {
  WorkerCrashError,
  WorkerDisabledError,
  WorkerRunnerError,
  WorkerTimeoutError,
} from "./errors.ts";

/**
 * Runs a plugin algorithm in a dedicated Web Worker.
 *
 * - The worker imports the plugin module (a path, or a `file:`, `https:`, `http:`, `blob:` or
 *   `data:` URL), checks it against the plugin contract and constructs the algorithm;
 *   `init(options)` calls the algorithm's `init`. Load, contract and init errors reject
 *   `init()` with a {@link PluginError}.
 * - `run(frames)` copies the frames' pixels into one transferable buffer (taken from a small
 *   pool: the worker hands it back with the result), so the caller's buffers stay valid.
 *   `runTransfer(frames)` hands over the frames' own buffers instead (no copy; they are
 *   detached on this side).
 * - An error thrown by the plugin's `run` rejects that run; the worker stays up. So does a
 *   result JSON cannot encode (a BigInt, a circular object...): {@link ResultError}.
 * - A run longer than `timeoutMs`, or a crash (an uncaught error in the worker, or the plugin
 *   calling `Deno.exit()`, noticed at once), terminates the worker, rejects the run with
 *   {@link WorkerTimeoutError} / {@link WorkerCrashError} and starts a new worker with the
 *   same `init` options. After `maxRestarts` consecutive
 *   failures the runner is disabled: runs reject with {@link WorkerDisabledError}.
 * - Sandboxed (the default when available), the worker has exactly the permissions given:
 *   none unless `permissions` / `extraRead` grant them. See {@link WorkerRunnerOptions.sandbox}.
 *
 * Runs are serialised: a `run()` called while another is in flight waits for it.
 *
 * @example
 * ```ts
 * import { type Frame, WorkerRunner } from "@stream-infer/stream-infer";
 *
 * const runner = new WorkerRunner("./plugins/motion.ts", {
 *   timeoutMs: 5000,
 *   onEvent: (e) => console.warn(e.message),
 * });
 * await runner.init({ threshold: 25 });
 * const frame: Frame = {
 *   data: new Uint8Array(320 * 240 * 3), width: 320, height: 240, format: "bgr24", index: 0,
 *   source: "main", time: 0,
 * };
 * console.log(await runner.run([frame]));
 * await runner.dispose();
 * ```
 */
export class WorkerRunner implements AlgoRunner, AsyncDisposable {
  /** The plugin module's URL. */
  readonly plugin: string;

  readonly #label: string;
  readonly #sourceUrl?: string;
  readonly #name?: string;
  readonly #settings: RunnerSettings;
  readonly #report: Reporter;
  readonly #channel: WorkerChannel;
  readonly #packer: FramePacker;
  #permissions?: WorkerPermissions;
  #sandboxed = false;

  #algoName?: string;
  #initOptions: unknown;
  #initialized = false;
  #ready: Promise<void> = Promise.resolve();
  #queue: Promise<void> = Promise.resolve();
  #nextId = 1;
  #restarts = 0;
  #failures = 0;
  #lastError?: string;
  #disabled?: WorkerDisabledError;
  #disposing?: Promise<void>;

  /**
   * Prepares a runner for a plugin module; nothing starts before `init()`.
   *
   * @param plugin A local path (resolved against the working directory), a URL, or what
   *   `fetchPlugin()` returns (a verified plugin; messages then use its `spec`).
   * @param options Permissions, limits and the event callback.
   */
  constructor(plugin: string | URL | WorkerPluginSource, options: WorkerRunnerOptions = {}) {
    const { url, label, sourceUrl } = pluginOf(plugin);
    this.plugin = url.href;
    this.#label = label;
    this.#sourceUrl = sourceUrl;
    this.#name = options.name;
    this.#settings = settingsOf(options);
    this.#report = reporter(options.onEvent, () => this.name);
    this.#packer = new FramePacker(this.#settings.poolSize);
    this.#channel = new WorkerChannel({
      plugin: this.plugin,
      label,
      sourceUrl,
      name: () => this.name,
      lastError: () => this.#lastError,
      onIdleCrash: (reason) => {
        if (this.#initialized) this.#onFailure(reason);
      },
    });
  }

  /**
   * Whether the worker runs with only the granted permissions. Decided by `init()`
   * (`false` before).
   */
  get sandboxed(): boolean {
    return this.#sandboxed;
  }

  /** The name used in messages: the `name` option, else the algorithm's, else the file's. */
  get name(): string {
    return this.#name ?? this.#algoName ?? defaultLabel(new URL(this.#sourceUrl ?? this.plugin));
  }

  /** The algorithm's own name (its `name` property or class name), known after `init()`. */
  get algoName(): string | undefined {
    return this.#algoName;
  }

  /** How many times the worker was restarted. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Whether the runner gave up after too many consecutive failures. */
  get disabled(): boolean {
    return this.#disabled !== undefined;
  }

  /** The last failure's description (timeout, crash, failed restart), if any. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /**
   * Starts the worker, loads and checks the plugin, and calls its `init(options)`.
   *
   * @throws {PluginError} when the module cannot be loaded, breaks the plugin contract,
   *   cannot be constructed, or its `init` throws or takes longer than `initTimeoutMs`.
   */
  async init(options?: unknown): Promise<void> {
    if (this.#disposing) throw new WorkerRunnerError(`${this.name}: init() after dispose()`);
    if (this.#initialized) throw new WorkerRunnerError(`${this.name}: init() called twice`);
    const { sandbox } = this.#settings;
    this.#sandboxed = sandbox === "force" || (sandbox === true && await isWorkerSandboxAvailable());
    this.#permissions = this.#sandboxed ? this.#settings.grants : undefined;
    if (!this.#sandboxed && sandbox === true) {
      this.#report(
        "warning",
        `${this.name}: sandboxing is off: run with ${SANDBOX_FLAG} ` +
          "(the plugin's worker has all of this process's permissions)",
      );
    }
    this.#initOptions = options;
    await checkPluginFound(new URL(this.plugin), this.#label);
    try {
      await this.#boot();
    } catch (e) {
      this.#channel.terminate();
      if (e instanceof StreamInferError) throw e;
      throw new PluginError(`${this.#label}: ${e instanceof Failure ? e.reason : String(e)}`);
    }
    this.#initialized = true;
  }

  /**
   * Runs the algorithm on copies of the frames (one transferable buffer, reused across runs).
   * The frames' own buffers are not touched.
   *
   * @throws the plugin's error (same name and message) when its `run` throws;
   *   {@link WorkerTimeoutError}, {@link WorkerCrashError} or {@link WorkerDisabledError}.
   */
  run(frames: Frame[]): Promise<unknown> {
    return this.#enqueue(frames, false);
  }

  /**
   * Runs the algorithm on the frames' own buffers, without copying: each distinct buffer
   * behind `frame.data` is transferred to the worker and is detached here
   * (`byteLength === 0`) from then on. If `recycle` is given, it receives each buffer back
   * after the run (a new `ArrayBuffer` object over the same memory), to reuse.
   * `SharedArrayBuffer`s are shared, not transferred.
   *
   * @example
   * ```ts
   * import { type Frame, WorkerRunner } from "@stream-infer/stream-infer";
   * const runner = new WorkerRunner("./plugins/motion.ts");
   * await runner.init({});
   * const frame: Frame = {
   *   data: new Uint8Array(64 * 48 * 3), width: 64, height: 48, format: "rgb24", index: 0,
   *   source: "main", time: 0,
   * };
   * await runner.runTransfer([frame]);
   * console.log(frame.data.byteLength); // 0: the buffer went to the worker
   * await runner.dispose();
   * ```
   */
  runTransfer(frames: Frame[], recycle?: (buffer: ArrayBuffer) => void): Promise<unknown> {
    return this.#enqueue(frames, true, recycle);
  }

  /**
   * Calls the plugin's `dispose()` (waiting at most `disposeTimeoutMs`), then terminates the
   * worker. Safe to call more than once; runs still queued reject.
   */
  dispose(): Promise<void> {
    this.#disposing ??= this.#dispose();
    return this.#disposing;
  }

  /** Same as `dispose()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  // ---- runs ------------------------------------------------------------------------------

  #enqueue(
    frames: Frame[],
    transfer: boolean,
    recycle?: (buffer: ArrayBuffer) => void,
  ): Promise<unknown> {
    const early = this.#unavailable();
    if (early) return Promise.reject(early);
    const result = this.#queue.then(() => this.#dispatch(frames, transfer, recycle));
    this.#queue = result.then(() => {}, () => {});
    return result;
  }

  #unavailable(): Error | undefined {
    if (this.#disabled) return this.#disabled;
    if (this.#disposing) return new WorkerRunnerError(`${this.name}: the runner is disposed`);
    if (!this.#initialized) return new WorkerRunnerError(`${this.name}: run() before init()`);
    return undefined;
  }

  async #dispatch(
    frames: Frame[],
    transfer: boolean,
    recycle?: (buffer: ArrayBuffer) => void,
  ): Promise<unknown> {
    // Wait for a restart in progress (it may itself fail and schedule another).
    for (let ready = this.#ready;; ready = this.#ready) {
      await ready;
      if (ready === this.#ready) break;
    }
    const unavailable = this.#unavailable();
    if (unavailable) throw unavailable;
    if (!Array.isArray(frames)) {
      throw new TypeError(`${this.name}: run() expects an array of frames`);
    }

    const { layouts, buffers, transferList, pooled } = transfer
      ? this.#packer.transfer(frames, this.name)
      : this.#packer.copy(frames, this.name);
    const id = this.#nextId++;
    let reply: FromWorker;
    try {
      const { timeoutMs } = this.#settings;
      reply = await this.#channel.call(
        { type: "run", id, frames: layouts, buffers },
        transferList,
        timeoutMs,
        `run timed out after ${timeoutMs} ms; the worker was terminated`,
      );
    } catch (e) {
      if (!(e instanceof Failure)) throw e;
      if (this.#disposing) throw new WorkerRunnerError(`${this.name}: the runner is disposed`);
      throw this.#onFailure(e.reason) ?? e.error;
    }
    this.#failures = 0;
    if (reply.type !== "result") {
      throw new WorkerRunnerError(`${this.name}: unexpected reply '${reply.type}' to run`);
    }
    for (const buffer of reply.buffers) {
      if (!(buffer instanceof ArrayBuffer)) continue;
      if (pooled) this.#packer.release(buffer);
      else recycle?.(buffer);
    }
    if (!reply.ok) {
      if (reply.error?.kind === "result") {
        throw new ResultError(`${this.name}: ${reply.error.message}`);
      }
      throw remoteError(reply.error);
    }
    return reply.value;
  }

  // ---- failures and restarts ---------------------------------------------------------------

  /** Counts a failure; restarts the worker or disables the runner (and returns the error). */
  #onFailure(reason: string): WorkerDisabledError | undefined {
    this.#channel.terminate();
    this.#lastError = reason;
    if (this.#disposing || this.#disabled) return this.#disabled;
    this.#failures++;
    if (this.#failures >= this.#settings.maxRestarts) {
      const message =
        `${this.name}: disabled after ${this.#failures} consecutive failures: ${reason}`;
      this.#disabled = new WorkerDisabledError(message);
      this.#ready = Promise.resolve();
      this.#report("disabled", message);
      return this.#disabled;
    }
    this.#restarts++;
    this.#report(
      "restart",
      `${this.name}: restarting the worker (restart ${this.#restarts}, ${this.#failures} ` +
        `consecutive failure${this.#failures === 1 ? "" : "s"}): ${reason}`,
    );
    this.#ready = this.#boot().catch((e) => {
      if (this.#disposing) return;
      const why = e instanceof Failure ? e.reason : e instanceof Error ? e.message : String(e);
      this.#onFailure(`restart failed: ${why}`);
    });
    return undefined;
  }

  // ---- the worker ------------------------------------------------------------------------

  /** Starts a worker and initialises the plugin in it; rejects with a Failure or PluginError. */
  async #boot(): Promise<void> {
    if (this.#disposing) throw new WorkerRunnerError(`${this.name}: the runner is disposed`);
    const { context, initTimeoutMs } = this.#settings;
    const init = { type: "init", options: this.#initOptions, context } as const;
    const reply = await this.#channel.start(this.#permissions, init, initTimeoutMs);
    if (reply.type === "ready") this.#algoName = reply.name;
  }

  async #dispose(): Promise<void> {
    const deadline = performance.now() + this.#settings.disposeTimeoutMs;
    const left = () => Math.max(0, deadline - performance.now());
    // Let a run in flight finish, within the time allowed.
    await within(this.#queue, left());
    await within(this.#ready, left());
    if (this.#channel.running && this.#initialized && !this.#channel.busy) {
      await this.#channel.call({ type: "dispose" }, [], Math.max(1, left()), "dispose timed out")
        .catch(() => {});
    }
    this.#channel.close(
      new Failure(new WorkerRunnerError(`${this.name}: the runner is disposed`), "disposed"),
    );
    this.#packer.clear();
  }
}

/** Waits for a promise, at most `ms` milliseconds; never rejects. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      promise.catch(() => {}),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
