/**
 * {@link WorkerRunner}: runs a plugin algorithm in its own Web Worker, with the frames handed
 * over as transferable buffers, a per-run timeout, restarts after crashes and hangs, and
 * least-privilege permissions (REFERENCE §4, realtime mode).
 *
 * Sandboxing (per-worker permissions) needs Deno's `--unstable-worker-options` flag (or
 * `"unstable": ["worker-options"]` in deno.json). Without it, creating a worker with
 * permissions would end the whole process (exit code 70, not catchable), so the runner checks
 * first ({@link isWorkerSandboxAvailable}) and, when the flag is off, starts the worker
 * unsandboxed and warns once.
 *
 * @module
 */
import type { FrameLayout, FromWorker, RemoteError, ToWorker } from "./entry.ts";
import { PluginError, StreamInferError } from "../errors.ts";
import { type Frame, packFrames } from "../frame.ts";
import { resolvePlugin } from "../plugin/load.ts";
import type { AlgoRunner } from "../algo/runner.ts";
import type { AlgoContext } from "../algo/algo.ts";
import type { PluginPermissions } from "../plugin/permissions.ts";

export type { PluginPermissions } from "../plugin/permissions.ts";


/**
 * A plugin module to load in the worker, as `fetchPlugin()` returns it: the URL to import and
 * how to name it. A `FetchedPlugin` fits as it is.
 *
 * @example
 * ```ts
 * import { fetchPlugin, WorkerRunner, type WorkerPluginSource } from "@stream-infer/stream-infer";
 * const plugin: WorkerPluginSource = await fetchPlugin("./plugins/motion.ts");
 * const runner = new WorkerRunner(plugin);
 * ```
 */
export interface WorkerPluginSource {
  /** The module URL to import (`file:`, `https:`, `http:`, `blob:` or `data:`). */
  url: string;
  /** How messages name the plugin (default: the URL's file name). */
  spec?: string;
  /** Where the module came from, used in messages instead of a `data:` URL. */
  sourceUrl?: string;
}

/**
 * What a {@link WorkerRunner} reports through `onEvent`.
 *
 * - `restart`: the worker was terminated (a run timed out, or it crashed) and a new one is
 *   starting with the same `init` options.
 * - `disabled`: too many consecutive failures; every further `run()` rejects.
 * - `warning`: sandboxing is off (see {@link isWorkerSandboxAvailable}).
 *
 * @example
 * ```ts
 * import type { WorkerRunnerEvent } from "@stream-infer/stream-infer";
 * const log = (e: WorkerRunnerEvent) => console.error(`[${e.type}] ${e.message}`);
 * ```
 */
export interface WorkerRunnerEvent {
  /** What happened. */
  type: "restart" | "disabled" | "warning";
  /** The runner's name. */
  name: string;
  /** A one-line, readable description, starting with the name. */
  message: string;
}

/**
 * Options of {@link WorkerRunner}.
 *
 * @example
 * ```ts
 * import type { WorkerRunnerOptions } from "@stream-infer/stream-infer";
 * const opts: WorkerRunnerOptions = {
 *   name: "things",
 *   permissions: { ffi: true, env: ["ORT_LOG_LEVEL"] },
 *   extraRead: ["./models/yolov8n.onnx"],
 *   timeoutMs: 5000,
 *   onEvent: (e) => console.warn(e.message),
 * };
 * ```
 */
export interface WorkerRunnerOptions {
  /** Name used in messages and events (default: the algorithm's name once loaded, else the
   * plugin's file name). */
  name?: string;
  /** What the plugin may do when sandboxed (default: nothing). */
  permissions?: PluginPermissions;
  /** More paths the plugin may read, typically model files named in its options. */
  extraRead?: string[];
  /**
   * `true` (default): the worker gets exactly `permissions` + `extraRead` when sandboxing is
   * available, and falls back to an unsandboxed worker with a warning when it is not.
   * `false`: the worker inherits all of this process's permissions (no warning).
   * `"force"`: pass the permissions without checking that the flag is on (for compiled
   * binaries or platforms where the check cannot see it; if the flag is in fact off, Deno
   * ends the process with exit code 70).
   */
  sandbox?: boolean | "force";
  /**
   * A run taking longer than this many milliseconds is a failure (default 30000): the
   * worker is terminated and replaced. Caveat (Deno 2.9): `terminate()` cannot interrupt
   * synchronous code, so a plugin stuck in an endless loop keeps its thread (and a CPU core)
   * busy until the process exits, and keeps `deno run` from exiting by itself; end such a
   * process with `Deno.exit()`.
   */
  timeoutMs?: number;
  /** Limit for loading the module and `init` (default 60000 ms). */
  initTimeoutMs?: number;
  /** Passed to the plugin's `init(options, context)` (default: instance 0 of 1). */
  context?: AlgoContext;
  /** How long `dispose()` waits for the plugin's `dispose()` (default 2000 ms). */
  disposeTimeoutMs?: number;
  /**
   * Consecutive failures (timeouts, crashes, failed restarts) after which the runner is
   * disabled (default 3). Every failure before that restarts the worker. A run that
   * completes (with a result or with an error thrown by the plugin) resets the count.
   */
  maxRestarts?: number;
  /** Pixel buffers kept for reuse by `run()` (default 2; 0 allocates one per run). */
  poolSize?: number;
  /** Receives restart, disabled and warning events. Without it, warnings go to console.warn
   * (once per process). */
  onEvent?: (event: WorkerRunnerEvent) => void;
}

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

const SANDBOX_FLAG = "--unstable-worker-options";
let sandboxAvailable: Promise<boolean> | undefined;
let warnedOnConsole = false;

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function readIfAllowed(path: string): string | undefined {
  if (!granted({ name: "read", path })) return undefined;
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

function dirOf(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function configEnables(text: string | undefined): boolean {
  return !!text && /"unstable"\s*:\s*\[[^\]]*"worker-options"/.test(text);
}

/** Whether the deno.json Deno uses for this process (as far as we can tell) enables it. */
function configFlag(runtimeArgs: string[] | undefined): boolean {
  let explicit: string | undefined;
  if (runtimeArgs) {
    if (runtimeArgs.includes("--no-config")) return false;
    for (let i = 0; i < runtimeArgs.length; i++) {
      const a = runtimeArgs[i];
      if (a === "--config" || a === "-c") explicit = runtimeArgs[i + 1];
      else if (a.startsWith("--config=")) explicit = a.slice(9);
      else if (/^-c./.test(a)) explicit = a.slice(2);
    }
  }
  if (explicit !== undefined) {
    const path = explicit.startsWith("/") ? explicit : `${Deno.cwd()}/${explicit}`;
    return configEnables(readIfAllowed(path));
  }
  // Where Deno 2 discovers the config: `deno run` / `deno serve` from the main module's
  // directory, `deno test` / `deno bench` from the working directory.
  const sub = runtimeArgs?.[1];
  let start: string | undefined;
  if (sub === "test" || sub === "bench") start = Deno.cwd();
  else if (Deno.mainModule.startsWith("file:")) start = dirOf(new URL(Deno.mainModule).pathname);
  if (!start) return false;
  let nearest = true;
  for (let dir = start;; dir = dirOf(dir)) {
    const text = readIfAllowed(`${dir}/deno.json`) ?? readIfAllowed(`${dir}/deno.jsonc`);
    if (text !== undefined) {
      // The nearest config counts; an outer one only as the root of a workspace.
      if ((nearest || /"workspace"\s*:/.test(text)) && configEnables(text)) return true;
      nearest = false;
    }
    if (dir === "/") return false;
  }
}

/** This process's runtime arguments (`deno run --flags... script`), without `Deno.args`. */
async function runtimeArgs(): Promise<string[] | undefined> {
  // Deno 2.9 only lets an --allow-all process read /proc/self/cmdline.
  const cmdline = readIfAllowed("/proc/self/cmdline");
  if (cmdline !== undefined) {
    const all = cmdline.split("\0");
    if (all.at(-1) === "") all.pop();
    return all.slice(0, Math.max(1, all.length - Deno.args.length));
  }
  // Otherwise ask ps, if this process may run it.
  if (!granted({ name: "run", command: "ps" })) return undefined;
  try {
    const out = await new Deno.Command("ps", {
      args: ["-ww", "-o", "args=", "-p", String(Deno.pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    let line = new TextDecoder().decode(out.stdout).trim();
    const own = Deno.args.join(" ");
    if (own && line.endsWith(own)) line = line.slice(0, -own.length);
    return line.split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * Whether per-worker permissions (sandboxing) are available in this process, i.e. whether
 * Deno runs with `--unstable-worker-options` or a deno.json with
 * `"unstable": ["worker-options"]`.
 *
 * Deno offers no API for this, and creating a worker with permissions when the flag is off
 * ends the process (exit code 70, not catchable). So this looks at the command line (from
 * `/proc/self/cmdline` with `--allow-all`, else from `ps` when the process may run it) and at
 * the config file, without prompting. Where it cannot tell (no permission to look, a compiled
 * binary) it answers `false`. The answer is cached.
 *
 * @example
 * ```ts
 * import { isWorkerSandboxAvailable } from "@stream-infer/stream-infer";
 * if (!(await isWorkerSandboxAvailable())) {
 *   console.warn("plugins run unsandboxed: add --unstable-worker-options");
 * }
 * ```
 */
export function isWorkerSandboxAvailable(): Promise<boolean> {
  sandboxAvailable ??= runtimeArgs().then((args) =>
    !!args?.includes(SANDBOX_FLAG) || configFlag(args)
  );
  return sandboxAvailable;
}

type ListPermission = string[] | false;

interface WorkerPermissions {
  read: ListPermission;
  write: ListPermission;
  net: ListPermission;
  env: ListPermission;
  ffi: boolean | string[];
  sys: boolean;
  run: false;
  import: ListPermission;
}

function list(values: string[] | undefined): ListPermission {
  return values && values.length ? [...values] : false;
}

function workerPermissions(p: PluginPermissions, extraRead: string[]): WorkerPermissions {
  return {
    read: list([...(p.read ?? []), ...extraRead]),
    write: list(p.write),
    net: list(p.net),
    env: list(p.env),
    ffi: p.ffi === true ? true : list(p.ffi || undefined),
    sys: p.sys === true,
    run: false,
    import: list(p.import),
  };
}

/** The permissions this process lacks among those the worker would get. */
function missingPermissions(p: WorkerPermissions): string[] {
  const missing: string[] = [];
  const check = (descriptor: Deno.PermissionDescriptor, label: string) => {
    if (!granted(descriptor)) missing.push(label);
  };
  for (const path of p.read || []) check({ name: "read", path }, `read ${path}`);
  for (const path of p.write || []) check({ name: "write", path }, `write ${path}`);
  for (const host of p.net || []) check({ name: "net", host }, `net ${host}`);
  for (const variable of p.env || []) check({ name: "env", variable }, `env ${variable}`);
  if (p.ffi === true) check({ name: "ffi" }, "ffi");
  for (const path of Array.isArray(p.ffi) ? p.ffi : []) check({ name: "ffi", path }, `ffi ${path}`);
  if (p.sys) check({ name: "sys" }, "sys");
  for (const host of p.import || []) check({ name: "import", host }, `import ${host}`);
  return missing;
}

function pluginUrl(plugin: string | URL | WorkerPluginSource): URL {
  if (plugin instanceof URL) return plugin;
  if (typeof plugin === "object") return new URL(plugin.url);
  if (/^(https?|file|blob|data):/i.test(plugin)) return new URL(plugin);
  return resolvePlugin(plugin);
}

function defaultLabel(url: URL): string {
  if (url.protocol === "data:") return "data: plugin";
  if (url.protocol === "blob:") return "blob: plugin";
  const file = url.pathname.split("/").filter(Boolean).at(-1);
  return file ? decodeURIComponent(file) : url.href;
}

function firstLine(message: string): string {
  // deno-lint-ignore no-control-regex
  const plain = message.replace(/\x1b\[[0-9;]*m/g, "");
  return (plain.split("\n")[0] ?? "").replace(/^Uncaught (\(in promise\) )?/, "").trim();
}

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** Rebuilds a plugin's error: same class for built-in errors, else an Error with its name. */
function remoteError(error: RemoteError | undefined): Error {
  const name = error?.name ?? "Error";
  const Cls = Object.hasOwn(BUILTIN_ERRORS, name) ? BUILTIN_ERRORS[name] : Error;
  const e = new Cls(error?.message ?? "unknown error");
  if (name !== e.name) e.name = name;
  return e;
}

/** What a failure (timeout, crash) carries: the error and a message without the name. */
class Failure extends Error {
  constructor(readonly error: WorkerRunnerError, readonly reason: string) {
    super(error.message);
  }
}

interface Pending {
  resolve(reply: FromWorker): void;
  reject(error: Failure | WorkerRunnerError): void;
  timer?: ReturnType<typeof setTimeout>;
}

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
 * - An error thrown by the plugin's `run` rejects that run; the worker stays up.
 * - A run longer than `timeoutMs`, or a crash (an uncaught error in the worker), terminates
 *   the worker, rejects the run with {@link WorkerTimeoutError} / {@link WorkerCrashError} and
 *   starts a new worker with the same `init` options. After `maxRestarts` consecutive
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
 *   data: new Uint8Array(320 * 240 * 3), width: 320, height: 240, format: "bgr24", index: 0, source: "main", time: 0,
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
  readonly #grants: WorkerPermissions;
  #permissions?: WorkerPermissions;
  #sandboxed = false;
  readonly #sandboxOption: boolean | "force";
  readonly #timeoutMs: number;
  readonly #initTimeoutMs: number;
  readonly #disposeTimeoutMs: number;
  readonly #maxRestarts: number;
  readonly #poolSize: number;
  readonly #onEvent?: (event: WorkerRunnerEvent) => void;

  #algoName?: string;
  #worker?: Worker;
  #loaded = false;
  #pending?: Pending;
  #initOptions: unknown;
  #initialized = false;
  #ready: Promise<void> = Promise.resolve();
  #queue: Promise<void> = Promise.resolve();
  readonly #context: AlgoContext;
  #nextId = 1;
  #pool: ArrayBuffer[] = [];
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
    const url = pluginUrl(plugin);
    this.plugin = url.href;
    if (typeof plugin === "object" && !(plugin instanceof URL)) {
      this.#label = plugin.spec ?? defaultLabel(new URL(plugin.sourceUrl ?? plugin.url));
      this.#sourceUrl = plugin.sourceUrl;
    } else {
      this.#label = typeof plugin === "string" && !/^(data|blob):/i.test(plugin)
        ? plugin
        : defaultLabel(url);
    }
    this.#name = options.name;
    this.#timeoutMs = positive(options.timeoutMs, 30000, "timeoutMs");
    this.#initTimeoutMs = positive(options.initTimeoutMs, 60000, "initTimeoutMs");
    this.#disposeTimeoutMs = positive(options.disposeTimeoutMs, 2000, "disposeTimeoutMs");
    this.#maxRestarts = count(options.maxRestarts, 3, "maxRestarts");
    this.#poolSize = count(options.poolSize, 2, "poolSize");
    this.#onEvent = options.onEvent;
    this.#context = options.context ?? { instance: 0, instances: 1 };
    this.#sandboxOption = options.sandbox ?? true;
    this.#grants = workerPermissions(options.permissions ?? {}, options.extraRead ?? []);
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
    this.#sandboxed = this.#sandboxOption === "force" ||
      (this.#sandboxOption === true && await isWorkerSandboxAvailable());
    this.#permissions = this.#sandboxed ? this.#grants : undefined;
    if (!this.#sandboxed && this.#sandboxOption === true) {
      this.#warn(
        `${this.name}: sandboxing is off: run with ${SANDBOX_FLAG} ` +
          "(the plugin's worker has all of this process's permissions)",
      );
    }
    this.#initOptions = options;
    const url = new URL(this.plugin);
    if (url.protocol === "file:") {
      try {
        await Deno.stat(url);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw new PluginError(
            `${this.#label}: plugin not found (${decodeURIComponent(url.pathname)})`,
          );
        }
      }
    }
    try {
      await this.#boot();
    } catch (e) {
      this.#terminate();
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
   *   data: new Uint8Array(64 * 48 * 3), width: 64, height: 48, format: "rgb24", index: 0, source: "main", time: 0,
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
      ? this.#transferLayout(frames)
      : this.#copyLayout(frames);
    const id = this.#nextId++;
    let reply: FromWorker;
    try {
      reply = await this.#call(
        { type: "run", id, frames: layouts, buffers },
        transferList,
        this.#timeoutMs,
        `run timed out after ${this.#timeoutMs} ms; the worker was terminated`,
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
      if (pooled) this.#release(buffer);
      else recycle?.(buffer);
    }
    if (!reply.ok) throw remoteError(reply.error);
    return reply.value;
  }

  #copyLayout(frames: Frame[]) {
    let total = 0;
    for (const f of frames) total += checkFrame(f, this.name).byteLength;
    const index = this.#pool.findIndex((b) => b.byteLength === total);
    const packed = packFrames(frames, index >= 0 ? this.#pool.splice(index, 1)[0] : undefined);
    return { ...this.#transferLayout(packed), pooled: true };
  }

  #transferLayout(frames: Frame[]) {
    const buffers: ArrayBufferLike[] = [];
    const layouts: FrameLayout[] = [];
    for (const f of frames) {
      const data = checkFrame(f, this.name);
      if (data.buffer instanceof ArrayBuffer && data.buffer.detached) {
        throw new TypeError(`${this.name}: frame ${f.index} has a detached buffer`);
      }
      let at = buffers.indexOf(data.buffer);
      if (at < 0) at = buffers.push(data.buffer) - 1;
      layouts.push(layoutOf(f, at, data.byteOffset));
    }
    const transferList = buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    return { layouts, buffers, transferList, pooled: false };
  }

  #release(buffer: ArrayBuffer): void {
    if (this.#poolSize === 0) return;
    this.#pool.push(buffer);
    if (this.#pool.length > this.#poolSize) this.#pool.shift();
  }

  // ---- failures and restarts ---------------------------------------------------------------

  /** Counts a failure; restarts the worker or disables the runner (and returns the error). */
  #onFailure(reason: string): WorkerDisabledError | undefined {
    this.#terminate();
    this.#lastError = reason;
    if (this.#disposing || this.#disabled) return this.#disabled;
    this.#failures++;
    if (this.#failures >= this.#maxRestarts) {
      const message =
        `${this.name}: disabled after ${this.#failures} consecutive failures: ${reason}`;
      this.#disabled = new WorkerDisabledError(message);
      this.#ready = Promise.resolve();
      this.#emit("disabled", message);
      return this.#disabled;
    }
    this.#restarts++;
    this.#emit(
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
    this.#spawn();
    const reply = await this.#call(
      { type: "init", options: this.#initOptions, context: this.#context },
      [],
      this.#initTimeoutMs,
      `loading the plugin and init timed out after ${this.#initTimeoutMs} ms`,
    );
    if (reply.type === "failed") {
      this.#terminate();
      const message = reply.error.kind === "plugin"
        ? reply.error.message
        : `${this.#label}: ${reply.error.message}`;
      throw new PluginError(message);
    }
    if (reply.type === "ready") this.#algoName = reply.name;
  }

  #spawn(): void {
    const workerUrl = new URL("./entry.ts", import.meta.url).href;
    const entry = `import * as plugin from ${JSON.stringify(this.plugin)};\n` +
      `import { serve } from ${JSON.stringify(workerUrl)};\n` +
      `serve(plugin, ${JSON.stringify(this.#label)});\n`;
    const options: WorkerOptions & { deno?: { permissions: WorkerPermissions } } = {
      type: "module",
      name: this.name,
    };
    if (this.#permissions) {
      const missing = missingPermissions(this.#permissions);
      if (missing.length) {
        throw new PluginError(
          `${this.name}: cannot grant the plugin ${missing.join(", ")}: ` +
            "this process does not have that permission itself",
        );
      }
      options.deno = { permissions: this.#permissions };
    }
    let worker: Worker;
    try {
      worker = new Worker(`data:text/javascript,${encodeURIComponent(entry)}`, options);
    } catch (e) {
      throw new PluginError(`${this.name}: cannot start the worker: ${(e as Error).message}`);
    }
    this.#worker = worker;
    this.#loaded = false;
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      if (worker !== this.#worker) return;
      if (event.data.type === "loaded") {
        this.#loaded = true;
        return;
      }
      if (event.data.type === "crashed") {
        this.#crash(`the worker crashed: ${event.data.message}`);
        return;
      }
      const pending = this.#settle();
      pending?.resolve(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      if (worker !== this.#worker) return;
      let message = firstLine(event.message ?? String(event.error));
      if (this.#sourceUrl) message = message.replaceAll(this.plugin, this.#sourceUrl);
      const reason = this.#loaded
        ? `the worker crashed: ${message}`
        : `cannot load the plugin: ${message}`;
      this.#crash(reason);
    };
    worker.onmessageerror = () => {
      if (worker !== this.#worker) return;
      this.#crash("the worker crashed: a message could not be deserialized");
    };
  }

  #crash(reason: string): void {
    const pending = this.#settle();
    this.#terminate();
    const failure = new Failure(new WorkerCrashError(`${this.name}: ${reason}`), reason);
    if (pending) pending.reject(failure);
    else if (this.#initialized) this.#onFailure(reason); // crashed while idle
  }

  /** Sends a message and waits for the reply, at most `timeoutMs`. */
  #call(
    message: ToWorker,
    transfer: Transferable[],
    timeoutMs: number,
    timeoutReason: string,
  ): Promise<FromWorker> {
    const worker = this.#worker;
    if (!worker) {
      const reason = this.#lastError ?? "the worker is not running";
      return Promise.reject(new Failure(new WorkerCrashError(`${this.name}: ${reason}`), reason));
    }
    return new Promise<FromWorker>((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      pending.timer = setTimeout(() => {
        if (this.#pending !== pending) return;
        this.#pending = undefined;
        this.#terminate();
        const error = new WorkerTimeoutError(`${this.name}: ${timeoutReason}`);
        reject(new Failure(error, timeoutReason));
      }, timeoutMs);
      this.#pending = pending;
      try {
        worker.postMessage(message, transfer);
      } catch (e) {
        // The message itself is at fault (a buffer that cannot be transferred, options that
        // cannot be cloned): not the worker's failure, so no restart.
        this.#settle();
        reject(
          new WorkerRunnerError(`${this.name}: cannot send to the worker: ${(e as Error).message}`),
        );
      }
    });
  }

  #settle(): Pending | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending?.timer !== undefined) clearTimeout(pending.timer);
    return pending;
  }

  #terminate(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    worker?.terminate();
  }

  async #dispose(): Promise<void> {
    const deadline = performance.now() + this.#disposeTimeoutMs;
    const left = () => Math.max(0, deadline - performance.now());
    // Let a run in flight finish, within the time allowed.
    await within(this.#queue, left());
    await within(this.#ready, left());
    if (this.#worker && this.#initialized && !this.#pending) {
      await this.#call({ type: "dispose" }, [], Math.max(1, left()), "dispose timed out")
        .catch(() => {});
    }
    this.#terminate();
    const pending = this.#settle();
    pending?.reject(
      new Failure(new WorkerRunnerError(`${this.name}: the runner is disposed`), "disposed"),
    );
    this.#pool = [];
  }

  #emit(type: WorkerRunnerEvent["type"], message: string): void {
    try {
      this.#onEvent?.({ type, name: this.name, message });
    } catch {
      // A failing callback must not break the runner.
    }
  }

  #warn(message: string): void {
    if (this.#onEvent) this.#emit("warning", message);
    else if (!warnedOnConsole) {
      warnedOnConsole = true;
      console.warn(message);
    }
  }
}

function positive(value: number | undefined, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  if (!(typeof value === "number" && value > 0)) {
    throw new PluginError(`${key} must be a number > 0 (got ${value})`);
  }
  return value;
}

function count(value: number | undefined, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new PluginError(`${key} must be an integer >= 0 (got ${value})`);
  }
  return value;
}

function checkFrame(frame: Frame, name: string): Uint8Array {
  if (!frame || !(frame.data instanceof Uint8Array)) {
    throw new TypeError(`${name}: every frame needs its pixels in a Uint8Array 'data'`);
  }
  return frame.data;
}

function layoutOf(frame: Frame, buffer: number, offset: number): FrameLayout {
  return {
    buffer,
    offset,
    length: frame.data.byteLength,
    width: frame.width,
    height: frame.height,
    format: frame.format,
    index: frame.index,
    source: frame.source,
    time: frame.time,
  };
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
