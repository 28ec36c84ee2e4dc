/**
 * The package's own plugins by name: `plugin: yolo` and `plugin: motion`.
 *
 * A name resolves to the plugin module shipped with this package, found from this module's own
 * URL (`new URL("../../plugins/...", import.meta.url)`), so it works in a checkout (a `file:`
 * URL), from a JSR import (an `https:` URL) and in a `deno compile` binary (its embedded
 * `plugins/`, included by the compile task). Built-in plugins are part of the package, so they
 * load with the package's own trust: no `integrity` pin, no `trust: true`.
 *
 * A plugin module may declare the permissions it needs with a named export `permissions`, a
 * function of its options ({@link PermissionDeclaration}); for a built-in plugin they are
 * granted ({@link builtinPermissions}).
 *
 * @module
 */
import type { PermissionDeclaration, PluginPermissions } from "../algo/permissions.ts";
import { PluginError } from "../errors.ts";

const BUILTIN: Readonly<Record<string, string>> = {
  yolo: "../../plugins/yolo/mod.ts",
  motion: "../../plugins/motion.ts",
};

/**
 * The names of the built-in plugins.
 *
 * @example
 * ```ts
 * import { BUILTIN_PLUGINS } from "./builtin.ts";
 * console.log(BUILTIN_PLUGINS); // ["yolo", "motion"]
 * ```
 */
export const BUILTIN_PLUGINS: readonly string[] = Object.keys(BUILTIN);

/**
 * Whether a plugin reference is a built-in plugin's name.
 *
 * @example
 * ```ts
 * import { isBuiltinPlugin } from "./builtin.ts";
 * console.log(isBuiltinPlugin("yolo"), isBuiltinPlugin("./yolo.ts")); // true false
 * ```
 */
export function isBuiltinPlugin(spec: string): boolean {
  return Object.hasOwn(BUILTIN, spec);
}

/**
 * The module URL of a built-in plugin, or `undefined` when `spec` is not a built-in name.
 *
 * @example
 * ```ts
 * import { builtinPluginUrl } from "./builtin.ts";
 * console.log(builtinPluginUrl("motion")?.href); // file:///.../plugins/motion.ts
 * ```
 */
export function builtinPluginUrl(spec: string): URL | undefined {
  return isBuiltinPlugin(spec) ? new URL(BUILTIN[spec], import.meta.url) : undefined;
}

/**
 * Whether a module URL is one of the built-in plugins (as {@link builtinPluginUrl} gives it).
 *
 * @example
 * ```ts
 * import { builtinPluginUrl, isBuiltinPluginUrl } from "./builtin.ts";
 * console.log(isBuiltinPluginUrl(builtinPluginUrl("yolo")!)); // true
 * ```
 */
export function isBuiltinPluginUrl(url: URL | string): boolean {
  const href = String(url);
  return BUILTIN_PLUGINS.some((name) => builtinPluginUrl(name)!.href === href);
}

/** An absolute path for a path a plugin names in its options (relative: to the cwd). */
function absolute(path: string): string {
  if (path.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(path)) return path;
  try {
    return `${Deno.cwd()}/${path.replace(/^\.\//, "")}`;
  } catch {
    return path;
  }
}

/**
 * The permissions a built-in plugin declares for the given options (its `permissions`
 * export), with relative read/write paths made absolute, plus the host it is imported from
 * when the package itself is remote (a JSR import). `undefined` when `spec` is not a built-in.
 *
 * @example
 * ```ts
 * import { builtinPermissions } from "./builtin.ts";
 * const granted = await builtinPermissions("yolo", { model: "/models/yolov8n.onnx" });
 * console.log(granted); // { ffi: true, read: ["/models/yolov8n.onnx"] }
 * ```
 */
export async function builtinPermissions(
  spec: string,
  options: unknown,
): Promise<PluginPermissions | undefined> {
  const url = builtinPluginUrl(spec);
  if (!url) return undefined;
  let module: { permissions?: unknown };
  try {
    module = await import(url.href);
  } catch (e) {
    throw new PluginError(`built-in plugin ${spec}: cannot load ${url.href}: ${e}`, { cause: e });
  }
  const declare = module.permissions;
  const declared: PluginPermissions = typeof declare === "function"
    ? (declare as PermissionDeclaration)(options) ?? {}
    : {};
  const out: PluginPermissions = { ...declared };
  if (declared.read) out.read = declared.read.map(absolute);
  if (declared.write) out.write = declared.write.map(absolute);
  if (url.protocol === "https:" || url.protocol === "http:") {
    out.import = [...new Set([...(declared.import ?? []), url.host])];
  }
  return out;
}
