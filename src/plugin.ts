/**
 * Loading an algorithm class from a plugin module and checking it against the contract
 * (REFERENCE §2): the default export is a class whose instances have `run(frames)`, and
 * optionally `init(options)` and `dispose()`.
 *
 * @module
 */
import type { AlgoLike } from "./algo.ts";
import { PluginError } from "./errors.ts";

/**
 * A class whose instances are algorithms.
 *
 * @example
 * ```ts
 * import type { AlgoClass } from "@stream-infer/stream-infer";
 * const Cls: AlgoClass = class { run() { return 1; } };
 * ```
 */
export type AlgoClass = new () => AlgoLike;

/**
 * Turns a plugin reference into a module URL: an `https:`/`http:`/`file:` URL as it is, or a
 * local path resolved against `base` (a directory path or URL; default: the working directory).
 *
 * @example
 * ```ts
 * import { resolvePlugin } from "@stream-infer/stream-infer";
 * console.log(resolvePlugin("./motion.ts", "/srv/app/").href); // "file:///srv/app/motion.ts"
 * ```
 */
export function resolvePlugin(spec: string, base?: string | URL): URL {
  if (/^(https?|file):/i.test(spec)) return new URL(spec);
  let baseUrl: URL;
  if (base instanceof URL) baseUrl = base;
  else {
    const dir = base ?? Deno.cwd();
    baseUrl = new URL(`file://${dir.endsWith("/") ? dir : dir + "/"}`);
  }
  return new URL(spec.replaceAll("\\", "/").replace(/^(?!\.{0,2}\/)/, "./"), baseUrl);
}

/**
 * Checks a module's exports against the plugin contract and returns the algorithm class.
 * Throws {@link PluginError} naming what is missing.
 *
 * @example
 * ```ts
 * import { algoClassOf } from "@stream-infer/stream-infer";
 * const Cls = algoClassOf({ default: class { run() { return 1; } } }, "inline");
 * console.log(new Cls().run([])); // 1
 * ```
 */
export function algoClassOf(module: Record<string, unknown>, label: string): AlgoClass {
  if (!("default" in module) || module.default === undefined) {
    const named = Object.keys(module).filter((k) => typeof module[k] === "function");
    const hint = named.length ? ` (it exports ${named.join(", ")}; add 'export default')` : "";
    throw new PluginError(`${label}: the plugin has no default export${hint}`);
  }
  const exported = module.default;
  if (typeof exported !== "function" || !exported.prototype) {
    throw new PluginError(
      `${label}: the default export must be a class, got ${
        exported === null ? "null" : typeof exported
      }`,
    );
  }
  const proto = exported.prototype as Record<string, unknown>;
  if (typeof proto.run !== "function") {
    throw new PluginError(`${label}: the default export class has no run(frames) method`);
  }
  for (const optional of ["init", "dispose"]) {
    if (optional in proto && typeof proto[optional] !== "function") {
      throw new PluginError(`${label}: ${optional} must be a method`);
    }
  }
  return exported as AlgoClass;
}

/**
 * Imports a plugin module and returns its validated algorithm class.
 *
 * @example
 * ```ts
 * import { loadPlugin } from "@stream-infer/stream-infer";
 * const Motion = await loadPlugin("./plugins/motion.ts");
 * const algo = new Motion();
 * ```
 */
export async function loadPlugin(spec: string, base?: string | URL): Promise<AlgoClass> {
  const url = resolvePlugin(spec, base);
  if (url.protocol === "file:") {
    try {
      await Deno.stat(url);
    } catch {
      throw new PluginError(`${spec}: plugin not found (${decodeURIComponent(url.pathname)})`);
    }
  } else {
    throw new PluginError(`${spec}: only local plugins are supported so far`);
  }
  let module: Record<string, unknown>;
  try {
    module = await import(url.href);
  } catch (e) {
    const message = (e as Error).message?.split("\n")[0] ?? String(e);
    throw new PluginError(`${spec}: cannot load the plugin: ${message}`);
  }
  return algoClassOf(module, spec);
}
