/**
 * The worker side of {@link WorkerRunner}: runs one plugin algorithm inside a Web Worker.
 *
 * {@link WorkerRunner} starts each worker from a tiny generated entry module that statically
 * imports the plugin module and this one, then calls {@link serve}. Because the plugin is part
 * of the worker's static module graph, loading it needs no permission inside the sandbox: the
 * worker gets only the permissions its runner grants.
 *
 * The protocol (all messages are plain objects with a `type`):
 * - worker → host `loaded` once the module graph has been evaluated;
 * - host → worker `init` `{options}` → `ready` `{name}` or `failed` `{error}`;
 * - host → worker `run` `{id, frames, buffers}` → `result` `{id, ok, value | error, buffers}`,
 *   the pixel buffers transferred back so the host can reuse them;
 * - host → worker `dispose` → `disposed` `{error?}`;
 * - worker → host `crashed` `{message}` on an uncaught error or unhandled rejection.
 *
 * @module
 */
import type { AlgoContext, AlgoLike } from "../algo/algo.ts";
import type { Frame, PixelFormat } from "../frame.ts";
import { algoClassOf } from "../plugin/load.ts";
import { errorMessage } from "../errors.ts";

/**
 * Where one frame's pixels are in the buffers of a `run` message.
 *
 * @example
 * ```ts
 * import type { FrameLayout } from "./entry.ts";
 * const layout: FrameLayout = {
 *   buffer: 0, offset: 0, length: 6, width: 2, height: 1, format: "rgb24", index: 0, source: "main",
 *   time: 0,
 * };
 * ```
 */
export interface FrameLayout {
  /** Index of the buffer in the message's `buffers`. */
  buffer: number;
  /** Byte offset of the frame's pixels in that buffer. */
  offset: number;
  /** Byte length of the frame's pixels. */
  length: number;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixel layout. */
  format: PixelFormat;
  /** 0-based index among the frames played. */
  index: number;
  /** The source's id. */
  source: string;
  /** Presentation time in seconds. */
  time: number;
}

/**
 * An error as it crosses the worker boundary.
 *
 * @example
 * ```ts
 * import type { RemoteError } from "./entry.ts";
 * const e: RemoteError = { name: "TypeError", message: "bad input" };
 * ```
 */
export interface RemoteError {
  /** The error's class name (`Error`, `TypeError`, ...). */
  name: string;
  /** The error's message. */
  message: string;
  /** `plugin` for a contract violation (missing default export, no `run`...). */
  kind?: "plugin";
}

/**
 * A message from the host to the worker.
 *
 * @example
 * ```ts
 * import type { ToWorker } from "./entry.ts";
 * const msg: ToWorker = { type: "init", options: { threshold: 0.5 } };
 * ```
 */
export type ToWorker =
  | { type: "init"; options: unknown; context: AlgoContext }
  | { type: "run"; id: number; frames: FrameLayout[]; buffers: ArrayBufferLike[] }
  | { type: "dispose" };

/**
 * A message from the worker to the host.
 *
 * @example
 * ```ts
 * import type { FromWorker } from "./entry.ts";
 * const msg: FromWorker = { type: "ready", name: "Motion" };
 * ```
 */
export type FromWorker =
  | { type: "loaded" }
  | { type: "ready"; name?: string }
  | { type: "failed"; error: RemoteError }
  | {
    type: "result";
    id: number;
    ok: boolean;
    value?: unknown;
    error?: RemoteError;
    buffers: ArrayBufferLike[];
  }
  | { type: "disposed"; error?: RemoteError }
  | { type: "crashed"; message: string };

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  addEventListener(
    type: "unhandledrejection",
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
}

function remote(error: unknown, kind?: "plugin"): RemoteError {
  const e = error instanceof Error ? error : undefined;
  return {
    name: e?.name ?? "Error",
    message: e ? e.message : String(error),
    ...(kind ? { kind } : {}),
  };
}

function transferable(buffers: ArrayBufferLike[]): ArrayBuffer[] {
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer && !b.detached);
}

/**
 * Serves a plugin module inside a worker: validates its default export with `algoClassOf`,
 * constructs and initialises the algorithm on `init`, runs it on `run` and disposes it on
 * `dispose`. Call it once, from the worker's entry module.
 *
 * Errors thrown by the plugin's `init`, `run` or `dispose` are reported back as messages; the
 * worker stays alive. Uncaught errors (from a timer, say) crash the worker, and the host
 * restarts it.
 *
 * @param module The plugin module's namespace object.
 * @param label How messages name the plugin (its path or URL).
 *
 * @example
 * ```ts ignore
 * // The entry module WorkerRunner generates for each worker:
 * import * as plugin from "file:///srv/plugins/motion.ts";
 * import { serve } from "./entry.ts";
 * serve(plugin, "./plugins/motion.ts");
 * ```
 */
export function serve(module: Record<string, unknown>, label: string): void {
  const scope = globalThis as unknown as WorkerScope;
  let algo: AlgoLike | undefined;

  const post = (message: FromWorker, transfer: Transferable[] = []): void => {
    scope.postMessage(message, transfer);
  };

  const init = async (options: unknown, context: AlgoContext): Promise<void> => {
    let Cls;
    try {
      Cls = algoClassOf(module, label);
    } catch (e) {
      post({ type: "failed", error: remote(e, "plugin") });
      return;
    }
    let instance: AlgoLike;
    try {
      instance = new Cls();
    } catch (e) {
      const message = `${label}: constructing the algorithm failed: ${errorMessage(e)}`;
      post({ type: "failed", error: { name: "PluginError", message, kind: "plugin" } });
      return;
    }
    const name = typeof instance.name === "string" && instance.name
      ? instance.name
      : instance.constructor?.name || undefined;
    try {
      await instance.init?.(options, context);
    } catch (e) {
      const message = `${name ?? label}: init failed: ${errorMessage(e)}`;
      post({ type: "failed", error: { name: "PluginError", message, kind: "plugin" } });
      return;
    }
    algo = instance;
    post({ type: "ready", name });
  };

  const run = async (id: number, layouts: FrameLayout[], buffers: ArrayBufferLike[]) => {
    const back = transferable(buffers);
    if (!algo) {
      const error = { name: "Error", message: `${label}: run() before init()` };
      post({ type: "result", id, ok: false, error, buffers }, back);
      return;
    }
    const frames: Frame[] = layouts.map((l) => ({
      data: new Uint8Array(buffers[l.buffer], l.offset, l.length),
      width: l.width,
      height: l.height,
      format: l.format,
      index: l.index,
      source: l.source,
      time: l.time,
    }));
    let value: unknown;
    try {
      value = await algo.run(frames);
    } catch (e) {
      post({ type: "result", id, ok: false, error: remote(e), buffers }, back);
      return;
    }
    try {
      post({ type: "result", id, ok: true, value, buffers }, back);
    } catch (e) {
      // The result could not be cloned (a function, a class instance with private state...).
      const error = {
        name: "DataCloneError",
        message: `${label}: the result is not structured-cloneable: ${errorMessage(e)}`,
      };
      const still = transferable(buffers);
      post({ type: "result", id, ok: false, error, buffers: still }, still);
    }
  };

  const dispose = async (): Promise<void> => {
    try {
      await algo?.dispose?.();
      post({ type: "disposed" });
    } catch (e) {
      post({ type: "disposed", error: remote(e) });
    } finally {
      algo = undefined;
    }
  };

  // An uncaught error or unhandled rejection (from a plugin's timer, say) is a crash: report
  // it and let the host terminate and restart the worker.
  let crashed = false;
  const crash = (message: string): void => {
    if (crashed) return;
    crashed = true;
    post({ type: "crashed", message });
  };
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    crash(event.error !== undefined ? errorMessage(event.error) : event.message);
  });
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    crash(`unhandled rejection: ${errorMessage(event.reason)}`);
  });

  scope.onmessage = (event: MessageEvent<ToWorker>) => {
    const msg = event.data;
    switch (msg.type) {
      case "init":
        void init(msg.options, msg.context);
        break;
      case "run":
        void run(msg.id, msg.frames, msg.buffers);
        break;
      case "dispose":
        void dispose();
        break;
    }
  };
  post({ type: "loaded" });
}
