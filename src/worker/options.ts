/**
 * The options of a {@link WorkerRunner} ({@link WorkerRunnerOptions}), the plugin reference it
 * takes ({@link WorkerPluginSource}), the events it reports ({@link WorkerRunnerEvent}), and
 * their checking and defaults ({@link settingsOf}, {@link pluginOf}).
 *
 * @module
 */
import type { AlgoContext } from "../algo/algo.ts";
import { PluginError } from "../errors.ts";
import { resolvePlugin } from "../plugin/integrity.ts";
import type { PluginPermissions } from "../algo/permissions.ts";
import { type WorkerPermissions, workerPermissions } from "./sandbox.ts";

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
 * A {@link WorkerRunnerOptions} checked, with its defaults applied.
 *
 * @example
 * ```ts
 * import { type RunnerSettings, settingsOf } from "./options.ts";
 * const settings: RunnerSettings = settingsOf({ timeoutMs: 5000 });
 * ```
 */
export interface RunnerSettings {
  /** See {@link WorkerRunnerOptions.timeoutMs}. */
  timeoutMs: number;
  /** See {@link WorkerRunnerOptions.initTimeoutMs}. */
  initTimeoutMs: number;
  /** See {@link WorkerRunnerOptions.disposeTimeoutMs}. */
  disposeTimeoutMs: number;
  /** See {@link WorkerRunnerOptions.maxRestarts}. */
  maxRestarts: number;
  /** See {@link WorkerRunnerOptions.poolSize}. */
  poolSize: number;
  /** See {@link WorkerRunnerOptions.context}. */
  context: AlgoContext;
  /** See {@link WorkerRunnerOptions.sandbox}. */
  sandbox: boolean | "force";
  /** The worker's permissions when sandboxed: `permissions` + `extraRead`. */
  grants: WorkerPermissions;
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

/**
 * Checks a runner's options and applies the defaults.
 *
 * @throws {PluginError} for a limit that is not a number > 0, or a count that is not an
 *   integer >= 0.
 *
 * @example
 * ```ts
 * import { settingsOf } from "./options.ts";
 * console.log(settingsOf({}).timeoutMs); // 30000
 * ```
 */
export function settingsOf(options: WorkerRunnerOptions): RunnerSettings {
  return {
    timeoutMs: positive(options.timeoutMs, 30000, "timeoutMs"),
    initTimeoutMs: positive(options.initTimeoutMs, 60000, "initTimeoutMs"),
    disposeTimeoutMs: positive(options.disposeTimeoutMs, 2000, "disposeTimeoutMs"),
    maxRestarts: count(options.maxRestarts, 3, "maxRestarts"),
    poolSize: count(options.poolSize, 2, "poolSize"),
    context: options.context ?? { instance: 0, instances: 1 },
    sandbox: options.sandbox ?? true,
    grants: workerPermissions(options.permissions ?? {}, options.extraRead ?? []),
  };
}

/**
 * How messages name a plugin by default: its file name, or `data: plugin` / `blob: plugin`.
 *
 * @example
 * ```ts
 * import { defaultLabel } from "./options.ts";
 * console.log(defaultLabel(new URL("file:///srv/plugins/motion.ts"))); // "motion.ts"
 * ```
 */
export function defaultLabel(url: URL): string {
  if (url.protocol === "data:") return "data: plugin";
  if (url.protocol === "blob:") return "blob: plugin";
  const file = url.pathname.split("/").filter(Boolean).at(-1);
  return file ? decodeURIComponent(file) : url.href;
}

/**
 * A runner's plugin reference resolved: the module URL to import, how messages name it, and
 * where it came from (when it was fetched).
 *
 * @example
 * ```ts
 * import { pluginOf } from "./options.ts";
 * const { url, label } = pluginOf("./plugins/motion.ts");
 * console.log(url.protocol, label); // "file:" "./plugins/motion.ts"
 * ```
 */
export function pluginOf(
  plugin: string | URL | WorkerPluginSource,
): { url: URL; label: string; sourceUrl?: string } {
  let url: URL;
  if (plugin instanceof URL) url = plugin;
  else if (typeof plugin === "object") url = new URL(plugin.url);
  else if (/^(https?|file|blob|data):/i.test(plugin)) url = new URL(plugin);
  else url = resolvePlugin(plugin);
  if (typeof plugin === "object" && !(plugin instanceof URL)) {
    const label = plugin.spec ?? defaultLabel(new URL(plugin.sourceUrl ?? plugin.url));
    return { url, label, sourceUrl: plugin.sourceUrl };
  }
  const label = typeof plugin === "string" && !/^(data|blob):/i.test(plugin)
    ? plugin
    : defaultLabel(url);
  return { url, label };
}

/**
 * Checks that a `file:` plugin exists, for a clear message before a worker starts. Other
 * errors (no permission to look) are left for the worker's import to report.
 *
 * @throws {PluginError} `<label>: plugin not found (<path>)`.
 *
 * @example
 * ```ts
 * import { checkPluginFound } from "./options.ts";
 * await checkPluginFound(new URL("file:///srv/plugins/motion.ts"), "./plugins/motion.ts");
 * ```
 */
export async function checkPluginFound(url: URL, label: string): Promise<void> {
  if (url.protocol !== "file:") return;
  try {
    await Deno.stat(url);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new PluginError(`${label}: plugin not found (${decodeURIComponent(url.pathname)})`);
    }
  }
}

/**
 * Reports one of a runner's events (see {@link reporter}).
 *
 * @example
 * ```ts
 * import type { Reporter } from "./options.ts";
 * const report: Reporter = (type, message) => console.error(`[${type}] ${message}`);
 * ```
 */
export type Reporter = (type: WorkerRunnerEvent["type"], message: string) => void;

let warnedOnConsole = false;

/**
 * A runner's event reporting: each event goes to `onEvent` (a callback that throws is
 * ignored); without `onEvent`, the first warning of the process goes to `console.warn` and
 * other events are dropped.
 *
 * @example
 * ```ts
 * import { reporter } from "./options.ts";
 * const report = reporter((e) => console.error(e.message), () => "things");
 * report("restart", "things: restarting the worker");
 * ```
 */
export function reporter(
  onEvent: ((event: WorkerRunnerEvent) => void) | undefined,
  name: () => string,
): Reporter {
  return (type, message) => {
    if (onEvent) {
      try {
        onEvent({ type, name: name(), message });
      } catch {
        // A failing callback must not break the runner.
      }
    } else if (type === "warning" && !warnedOnConsole) {
      warnedOnConsole = true;
      console.warn(message);
    }
  };
}
