/**
 * The worker side of {@link WorkerRunner}: runs one plugin algorithm inside a Web Worker.
 *
 * {@link WorkerRunner} starts each worker from a tiny generated entry module that statically
 * imports the plugin module and this one, then calls {@link serve}. Because the plugin is part
 * of the worker's static module graph, loading it needs no permission inside the sandbox: the
 * worker gets only the permissions its runner grants.
 *
 * The messages exchanged with the host are described in `protocol.ts`.
 *
 * A plugin that calls `Deno.exit()` (or `self.close()`) would end its worker silently: Deno
 * gives the host no event for it, so the run would only fail at its timeout. Evaluating this
 * module therefore replaces both, in a worker, with functions that first report a crash to the
 * host and then end the worker. The generated entry imports this module before the plugin, so
 * the replacements are in place before any plugin code runs (see {@link guardExit}).
 *
 * @module
 */
import type { AlgoContext, AlgoLike } from "../algo/algo.ts";
import { algoClassOf } from "../plugin/load.ts";
import { errorMessage } from "../errors.ts";
import { jsonProblem } from "./result.ts";
import {
  type FrameLayout,
  framesOf,
  type FromWorker,
  toRemoteError,
  type ToWorker,
  transferable,
} from "./protocol.ts";

/**
 * In a worker, replaces `Deno.exit` and `close` with versions that post a `crashed` message
 * (naming the call) before they end the worker, so the host notices at once and restarts it.
 * The replacements cannot be reassigned. Returns whether it installed them (`false` outside a
 * worker, or when already installed). This module calls it as it is evaluated.
 *
 * @example
 * ```ts ignore
 * // inside a worker, before the plugin module is evaluated:
 * import { guardExit } from "./entry.ts";
 * guardExit(); // false: evaluating entry.ts already did it
 * ```
 */
export function guardExit(): boolean {
  const scope = globalThis as unknown as Partial<WorkerScope> & { close?: () => void };
  const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope ===
      "function" && typeof scope.postMessage === "function";
  if (!inWorker || guarded) return false;
  guarded = true;
  const report = (message: string): void => {
    try {
      scope.postMessage!({ type: "crashed", message });
    } catch { /* the host will see the worker gone at its timeout */ }
  };
  const exit = Deno.exit;
  const close = scope.close;
  const lock = (target: object, key: string, value: unknown) =>
    Object.defineProperty(target, key, { value, writable: false, configurable: false });
  lock(Deno, "exit", (code?: number): never => {
    report(`the plugin called Deno.exit(${code ?? ""})`);
    return exit(code);
  });
  if (typeof close === "function") {
    lock(globalThis, "close", () => {
      report("the plugin closed its worker (self.close())");
      close.call(globalThis);
    });
  }
  return true;
}

let guarded = false;
guardExit();

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  addEventListener(
    type: "unhandledrejection",
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
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
 * import { serve } from "./entry.ts";
 * import * as plugin from "file:///srv/plugins/motion.ts";
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
      post({ type: "failed", error: toRemoteError(e, "plugin") });
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
    const frames = framesOf(layouts, buffers);
    let value: unknown;
    try {
      value = await algo.run(frames);
    } catch (e) {
      post({ type: "result", id, ok: false, error: toRemoteError(e), buffers }, back);
      return;
    }
    // A result JSON cannot encode would fail in every sink later: refuse it here.
    const problem = jsonProblem(value);
    if (problem !== undefined) {
      const error = {
        name: "ResultError",
        message: `the result is not JSON: ${problem}`,
        kind: "result" as const,
      };
      post({ type: "result", id, ok: false, error, buffers }, back);
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
      post({ type: "disposed", error: toRemoteError(e) });
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

/**
 * Starts a worker: imports the plugin with `load` and then {@link serve}s it. Messages that
 * arrive while the module loads are kept and handled once it has. A module that cannot be
 * imported (a syntax error, a failed import, a throw at load time) is reported to the host,
 * which refuses the plugin with a one-line error; Deno prints nothing of its own.
 *
 * @param label How messages name the plugin (its path or URL).
 * @param load Imports the plugin module; the generated entry passes a literal dynamic import,
 *   which belongs to the worker's module graph and so needs no permission in the sandbox.
 *
 * @example
 * ```ts ignore
 * // The entry module the host generates for each worker:
 * import { start } from "./entry.ts";
 * start("./plugins/motion.ts", () => import("file:///srv/plugins/motion.ts"));
 * ```
 */
export function start(label: string, load: () => Promise<Record<string, unknown>>): void {
  const scope = globalThis as unknown as WorkerScope;
  const early: MessageEvent<ToWorker>[] = [];
  scope.onmessage = (event) => void early.push(event);
  load().then(
    (module) => {
      serve(module, label);
      for (const event of early.splice(0)) scope.onmessage?.(event);
    },
    (error: unknown) => {
      const message = !(error instanceof Error)
        ? String(error)
        : /^[A-Z]\w*(Error|Exception): /.test(error.message)
        ? error.message // a loader error that already names its kind ("SyntaxError: ...")
        : `${error.name}: ${error.message}`;
      scope.postMessage({ type: "unloadable", message });
    },
  );
}
