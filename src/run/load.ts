/**
 * Loading an algorithm into an {@link AlgoPool}: an instance on this thread, or a plugin in
 * `instances` sandboxed workers.
 *
 * @module
 */
import type { AlgoLike, LoadAlgoOptions } from "../algo/algo.ts";
import { type AlgoRunner, InlineRunner } from "../algo/runner.ts";
import { errorMessage, InputError, PluginError } from "../errors.ts";
import { fetchPlugin, loadPlugin } from "../plugin/load.ts";
import { Schedule } from "../schedule/schedule.ts";
import { WorkerRunner } from "../worker/runner.ts";
import type { AlgoEvent } from "../observe/observer.ts";
import { AlgoPool, disposeAll } from "./algo_pool.ts";

/** What loading needs from the pipeline. */
export interface LoadContext {
  /** Directory that relative plugin paths are resolved against. */
  pluginBase?: string | URL;
  /** Receives warnings, restarts and disabled plugins. */
  onEvent: (event: AlgoEvent) => void;
  /** Whether a name is taken already. */
  taken: (name: string) => boolean;
}

/**
 * Validates the schedule, starts the algorithm's runners and calls `init` on each; returns
 * the pool. Throws {@link InputError} for bad options and {@link PluginError} when the plugin
 * cannot be loaded or its `init` fails (every runner started is then ended).
 */
export async function loadPool(
  algo: AlgoLike | string | URL,
  options: LoadAlgoOptions,
  context: LoadContext,
): Promise<AlgoPool> {
  const plugin = typeof algo === "string" || algo instanceof URL ? String(algo) : undefined;
  const label = options.name ?? plugin ?? (algo as AlgoLike).name ?? "algo";
  const schedule = new Schedule(options, label);
  const instances = options.instances ?? 1;
  if (!Number.isInteger(instances) || instances < 1) {
    throw new InputError(`${label}: instances must be an integer >= 1 (got ${instances})`);
  }
  if (instances > 1 && (plugin === undefined || options.worker === false)) {
    throw new InputError(
      `${label}: instances > 1 needs a plugin run in workers (a path or URL, not worker: false)`,
    );
  }
  const assertFree = (name: string | undefined) => {
    if (name !== undefined && context.taken(name)) {
      throw new InputError(`an algorithm named '${name}' is already loaded (set a unique name)`);
    }
  };
  assertFree(options.name);
  const verify = {
    base: context.pluginBase,
    integrity: options.integrity,
    trust: options.trust,
    onWarning: (message: string) => context.onEvent({ algo: label, type: "warning", message }),
  };
  const runners: AlgoRunner[] = [];
  let ownName: string | undefined;
  if (plugin !== undefined && options.worker !== false) {
    const source = await fetchPlugin(plugin, verify);
    const extraRead = existingPaths(options.options);
    const workers = Array.from({ length: instances }, (_, instance) =>
      new WorkerRunner(source, {
        name: options.name,
        permissions: options.permissions,
        extraRead,
        timeoutMs: options.timeoutMs,
        context: { instance, instances },
        onEvent: (event) =>
          context.onEvent({
            algo: options.name ?? event.name,
            type: event.type,
            message: instances > 1 ? `[instance ${instance}] ${event.message}` : event.message,
            ...(instances > 1 ? { instance } : {}),
          }),
      }));
    runners.push(...workers);
    await initAll(runners, options.options, label);
    ownName = workers[0].algoName;
  } else {
    let instance: AlgoLike;
    if (plugin !== undefined) {
      const AlgoClass = await loadPlugin(plugin, context.pluginBase, verify);
      try {
        instance = new AlgoClass();
      } catch (e) {
        throw new PluginError(`${plugin}: constructing the algorithm failed: ${errorMessage(e)}`);
      }
    } else {
      instance = algo as AlgoLike;
      if (!instance || typeof instance.run !== "function") {
        throw new PluginError(`${label}: the algorithm has no run(frames) method`);
      }
    }
    runners.push(new InlineRunner(instance));
    ownName = instance.name ?? instance.constructor?.name;
    assertFree(options.name ?? ownName);
    await initAll(runners, options.options, options.name ?? ownName ?? label);
  }
  const name = options.name ?? ownName ?? "algo";
  try {
    assertFree(name);
  } catch (e) {
    await disposeAll(runners);
    throw e;
  }
  return new AlgoPool(name, schedule, runners, plugin);
}

/**
 * Calls every instance's `init` side by side, disposing them all when one fails; errors
 * become {@link PluginError}s.
 */
async function initAll(runners: AlgoRunner[], options: unknown, name: string): Promise<void> {
  const settled = await Promise.allSettled(runners.map((r) => r.init(options)));
  const failed = settled.find((s) => s.status === "rejected");
  if (!failed) return;
  await disposeAll(runners);
  const e = (failed as PromiseRejectedResult).reason;
  if (e instanceof PluginError) throw e;
  throw new PluginError(`${name}: init failed: ${errorMessage(e)}`);
}

/** Strings in plugin options that name existing files (granted for reading). */
function existingPaths(options: unknown, found: string[] = [], depth = 0): string[] {
  if (typeof options === "string") {
    if (options.length < 4096 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(options)) {
      try {
        // files only: a directory (even "/") must be granted explicitly in `permissions`
        if (Deno.statSync(options).isFile) found.push(options);
      } catch { /* not a path */ }
    }
  } else if (options && typeof options === "object" && depth < 4) {
    for (const value of Object.values(options)) existingPaths(value, found, depth + 1);
  }
  return found;
}
