/**
 * Loading an algorithm into an {@link AlgoPool}: an instance on this thread, or a plugin in
 * `instances` sandboxed workers.
 *
 * @module
 */
import type { AlgoLike, LoadAlgoOptions } from "../algo/algo.ts";
import { type AlgoRunner, InlineRunner } from "../algo/runner.ts";
import { errorMessage, InputError, PluginError } from "../errors.ts";
import { checkPluginGraph } from "../plugin/graph.ts";
import { fetchPlugin, loadPlugin } from "../plugin/load.ts";
import { builtinPermissions } from "../plugin/builtin.ts";
import { describePermissions, mergePermissions, permissionHint } from "../plugin/grants.ts";
import { Schedule } from "../schedule/schedule.ts";
import { WorkerRunner } from "../worker/runner.ts";
import type { AlgoEvent } from "../observe/observer.ts";
import { checkSpanBudget } from "../schedule/budget.ts";
import { AlgoPool, disposeAll } from "./algo_pool.ts";

/** What loading needs from the pipeline. */
export interface LoadContext {
  /** Directory that relative plugin paths are resolved against. */
  pluginBase?: string | URL;
  /** Receives warnings, restarts and disabled plugins. */
  onEvent: (event: AlgoEvent) => void;
  /** Whether a name is taken already. */
  taken: (name: string) => boolean;
  /** Bytes of frames one source may hold: a schedule that cannot fit is refused here. */
  ringBudget: number;
}

/**
 * Validates the schedule, starts the algorithm's runners and calls `init` on each; returns
 * the pool. Throws {@link InputError} for bad options and {@link PluginError} when the plugin
 * cannot be loaded or its `init` fails (every runner started is then ended). A built-in
 * plugin (`yolo`, `motion`) gets the permissions it declares, announced as a `granted` event;
 * a plugin that lacked a permission fails with the `permissions` key to add.
 */
export async function loadPool(
  algo: AlgoLike | string | URL,
  options: LoadAlgoOptions,
  context: LoadContext,
): Promise<AlgoPool> {
  const plugin = typeof algo === "string" || algo instanceof URL ? String(algo) : undefined;
  const label = options.name ?? plugin ?? (algo as AlgoLike).name ?? "algo";
  const declared = plugin === undefined
    ? undefined
    : await builtinPermissions(plugin, options.options);
  if (declared) {
    options = { ...options, permissions: mergePermissions(options.permissions, declared) };
    const granted = describePermissions(declared);
    if (granted) {
      context.onEvent({ algo: label, type: "granted", message: `${label}: granted ${granted}` });
    }
  }
  try {
    return await loadGranted(algo, plugin, label, options, context);
  } catch (e) {
    const hint = permissionHint(errorMessage(e), label);
    if (hint) throw new PluginError(hint, { cause: e });
    throw e;
  }
}

async function loadGranted(
  algo: AlgoLike | string | URL,
  plugin: string | undefined,
  label: string,
  options: LoadAlgoOptions,
  context: LoadContext,
): Promise<AlgoPool> {
  const schedule = new Schedule(options, label);
  checkSpanBudget({ name: label, schedule }, context.ringBudget);
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
    // the worker loads the plugin's imports with this process's permissions: check them first
    const source = await checkPluginGraph(await fetchPlugin(plugin, verify), options.permissions);
    const extraRead = grantedOptionPaths(options.options, context.pluginBase);
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
    runners.push(new InlineRunner(instance, { name: options.name, timeoutMs: options.timeoutMs }));
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

/**
 * Strings in plugin options that name existing files under the plugin base directory or the
 * working directory: those are granted for reading. A relative string is taken against the
 * working directory, as the plugin itself would open it. The check uses the real path, so a
 * symlink or a `..` that leads out of both directories grants nothing; neither do directories,
 * nor a base or working directory that is the filesystem root. Anything else needs an explicit
 * `permissions.read`.
 */
function grantedOptionPaths(options: unknown, pluginBase?: string | URL): string[] {
  const roots = [baseDir(pluginBase), Deno.cwd()].flatMap((dir) => {
    if (dir === undefined) return [];
    try {
      const real = Deno.realPathSync(dir);
      return real === "/" ? [] : [real.endsWith("/") ? real : real + "/"];
    } catch {
      return [];
    }
  });
  const found: string[] = [];
  if (roots.length === 0) return found;
  const visit = (value: unknown, depth: number) => {
    if (typeof value === "string") {
      if (
        value.length < 4096 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && isFileUnder(value, roots)
      ) {
        found.push(value);
      }
    } else if (value && typeof value === "object" && depth < 4) {
      for (const item of Object.values(value)) visit(item, depth + 1);
    }
  };
  visit(options, 0);
  return found;
}

/** The local directory of a plugin base (a path or a `file:` URL); undefined for a remote one. */
function baseDir(base: string | URL | undefined): string | undefined {
  if (base === undefined) return undefined;
  if (base instanceof URL || /^[a-z][a-z0-9+.-]+:/i.test(base)) {
    const url = new URL(base);
    return url.protocol === "file:" ? decodeURIComponent(url.pathname) : undefined;
  }
  return base;
}

/** Whether `path` is an existing file whose real path lies under one of `roots`. */
function isFileUnder(path: string, roots: string[]): boolean {
  try {
    // files only: a directory (even "/") must be granted explicitly in `permissions`
    if (!Deno.statSync(path).isFile) return false;
    const real = Deno.realPathSync(path);
    return roots.some((root) => real.startsWith(root));
  } catch {
    return false; // not a path
  }
}
