/**
 * {@link WorkerChannel}: one plugin worker at a time, seen from the host: starting it (with
 * its permissions), sending a request and waiting for the reply within a time limit, and
 * turning timeouts, crashes and load errors into {@link Failure}s. What to do about a failure
 * (restart, disable) is the {@link WorkerRunner}'s business.
 *
 * @module
 */
import { PluginError } from "../errors.ts";
import { WorkerCrashError, WorkerRunnerError, WorkerTimeoutError } from "./errors.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { missingPermissions, type WorkerPermissions } from "./sandbox.ts";

/**
 * What a failure of the worker (timeout, crash) carries: the error to reject with, and the
 * reason without the runner's name (for events and `lastError`).
 *
 * @example
 * ```ts
 * import { Failure } from "./channel.ts";
 * import { WorkerCrashError } from "./errors.ts";
 * const reason = "the worker crashed: boom";
 * const f = new Failure(new WorkerCrashError(`things: ${reason}`), reason);
 * console.log(f.reason);
 * ```
 */
export class Failure extends Error {
  /** Wraps `error`; `reason` is its message without the runner's name. */
  constructor(readonly error: WorkerRunnerError, readonly reason: string) {
    super(error.message);
  }
}

/**
 * What a {@link WorkerChannel} needs to know about the plugin and its runner.
 *
 * @example
 * ```ts
 * import type { WorkerChannelOptions } from "./channel.ts";
 * const opts: WorkerChannelOptions = {
 *   plugin: "file:///srv/plugins/motion.ts",
 *   label: "./plugins/motion.ts",
 *   name: () => "motion",
 *   lastError: () => undefined,
 *   onIdleCrash: (reason) => console.error(reason),
 * };
 * ```
 */
export interface WorkerChannelOptions {
  /** The plugin module's URL, imported by the worker's entry module. */
  plugin: string;
  /** How the worker's messages name the plugin (its path or URL). */
  label: string;
  /** Where the module came from, shown in load errors instead of `plugin` (a `data:` URL). */
  sourceUrl?: string;
  /** The runner's current name, for messages and the worker's name. */
  name(): string;
  /** The runner's last failure, reported when a request finds no worker running. */
  lastError(): string | undefined;
  /** Called when the worker crashes while no request is waiting for it. */
  onIdleCrash(reason: string): void;
}

interface Pending {
  resolve(reply: FromWorker): void;
  reject(error: Failure | WorkerRunnerError): void;
  timer?: ReturnType<typeof setTimeout>;
}

function firstLine(message: string): string {
  // deno-lint-ignore no-control-regex
  const plain = message.replace(/\x1b\[[0-9;]*m/g, "");
  return (plain.split("\n")[0] ?? "").replace(/^Uncaught (\(in promise\) )?/, "").trim();
}

/**
 * The host's end of a plugin worker: at most one worker and one request in flight at a time.
 *
 * @example
 * ```ts ignore
 * import { WorkerChannel } from "./channel.ts";
 * const channel = new WorkerChannel({
 *   plugin: new URL("../../plugins/motion.ts", import.meta.url).href,
 *   label: "motion.ts",
 *   name: () => "motion",
 *   lastError: () => undefined,
 *   onIdleCrash: () => {},
 * });
 * const context = { instance: 0, instances: 1 };
 * console.log(await channel.start(undefined, { type: "init", options: {}, context }, 5000));
 * const reply = await channel.call({ type: "dispose" }, [], 2000, "dispose timed out");
 * channel.terminate();
 * ```
 */
export class WorkerChannel {
  readonly #o: WorkerChannelOptions;
  #worker?: Worker;
  #loaded = false;
  #pending?: Pending;

  /** Prepares the channel; no worker starts before `start()`. */
  constructor(options: WorkerChannelOptions) {
    this.#o = options;
  }

  /** Whether a worker is running. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Whether a request is waiting for its reply. */
  get busy(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Starts a new worker (the previous one was terminated), with exactly `permissions` when
   * given, else with all of this process's permissions. Throws a {@link PluginError} when this
   * process lacks a permission to grant, or the worker cannot be created.
   */
  #spawn(permissions?: WorkerPermissions): void {
    const { plugin, label, sourceUrl } = this.#o;
    const name = this.#o.name();
    const workerUrl = new URL("./entry.ts", import.meta.url).href;
    // entry.ts first: evaluating it guards Deno.exit before any plugin code runs. The plugin
    // comes by a literal dynamic import (part of the worker's module graph, so it needs no
    // permission), caught here: a plugin that does not load (a syntax error, say) is reported
    // as a message, and Deno prints nothing of its own.
    const entry = `import { start } from ${JSON.stringify(workerUrl)};\n` +
      `start(${JSON.stringify(label)}, () => import(${JSON.stringify(plugin)}));\n`;
    const options: WorkerOptions & { deno?: { permissions: WorkerPermissions } } = {
      type: "module",
      name,
    };
    if (permissions) {
      const missing = missingPermissions(permissions);
      if (missing.length) {
        throw new PluginError(
          `${name}: cannot grant the plugin ${missing.join(", ")}: ` +
            "this process does not have that permission itself",
        );
      }
      options.deno = { permissions };
    }
    let worker: Worker;
    try {
      worker = new Worker(`data:text/javascript,${encodeURIComponent(entry)}`, options);
    } catch (e) {
      throw new PluginError(`${name}: cannot start the worker: ${(e as Error).message}`);
    }
    // a worker's error text: its first line, naming a remote plugin by its URL, not its data: URL
    const readable = (text: string) => {
      const line = firstLine(text);
      return sourceUrl ? line.replaceAll(plugin, sourceUrl) : line;
    };
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
      if (event.data.type === "unloadable") {
        this.#crash(`cannot load the plugin: ${readable(event.data.message)}`);
        return;
      }
      const pending = this.#settle();
      pending?.resolve(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      if (worker !== this.#worker) return;
      const message = readable(event.message ?? String(event.error));
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

  /**
   * Starts a new worker and sends it `init`, waiting at most `timeoutMs` for the plugin to
   * load and initialise. Resolves with the reply (`ready`, with the algorithm's name).
   *
   * @throws {PluginError} when the plugin breaks its contract or its `init` throws (the worker
   *   is then terminated), when this process lacks a permission to grant, or the worker
   *   cannot be created; a {@link Failure} as `call()`.
   */
  async start(
    permissions: WorkerPermissions | undefined,
    init: Extract<ToWorker, { type: "init" }>,
    timeoutMs: number,
  ): Promise<FromWorker> {
    this.#spawn(permissions);
    const reply = await this.call(
      init,
      [],
      timeoutMs,
      `loading the plugin and init timed out after ${timeoutMs} ms`,
    );
    if (reply.type === "failed") {
      this.terminate();
      const message = reply.error.kind === "plugin"
        ? reply.error.message
        : `${this.#o.label}: ${reply.error.message}`;
      throw new PluginError(message);
    }
    return reply;
  }

  /**
   * Sends a message and waits for the reply, at most `timeoutMs` (then the worker is
   * terminated). Rejects with a {@link Failure} on a timeout, a crash or no worker running,
   * and with a {@link WorkerRunnerError} when the message cannot be sent.
   */
  call(
    message: ToWorker,
    transfer: Transferable[],
    timeoutMs: number,
    timeoutReason: string,
  ): Promise<FromWorker> {
    const worker = this.#worker;
    const name = this.#o.name();
    if (!worker) {
      const reason = this.#o.lastError() ?? "the worker is not running";
      return Promise.reject(new Failure(new WorkerCrashError(`${name}: ${reason}`), reason));
    }
    return new Promise<FromWorker>((resolve, reject) => {
      const pending: Pending = { resolve, reject };
      pending.timer = setTimeout(() => {
        if (this.#pending !== pending) return;
        this.#pending = undefined;
        this.terminate();
        const error = new WorkerTimeoutError(`${this.#o.name()}: ${timeoutReason}`);
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
          new WorkerRunnerError(`${name}: cannot send to the worker: ${(e as Error).message}`),
        );
      }
    });
  }

  /** Terminates the worker, if any; a request in flight stays pending (see `close`). */
  terminate(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    worker?.terminate();
  }

  /** Terminates the worker and rejects the request in flight, if any, with `failure`. */
  close(failure: Failure): void {
    this.terminate();
    this.#settle()?.reject(failure);
  }

  #crash(reason: string): void {
    const pending = this.#settle();
    this.terminate();
    const failure = new Failure(new WorkerCrashError(`${this.#o.name()}: ${reason}`), reason);
    if (pending) pending.reject(failure);
    else this.#o.onIdleCrash(reason); // crashed while idle
  }

  #settle(): Pending | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending?.timer !== undefined) clearTimeout(pending.timer);
    return pending;
  }
}
