/**
 * What a plugin's worker may do: the grants of its sandbox.
 *
 * @module
 */

/**
 * What a plugin's worker may do. Keys left out are denied. Relative paths are resolved
 * against the working directory (a config resolves them against its own folder first).
 *
 * @example
 * ```ts
 * import type { PluginPermissions } from "@stream-infer/stream-infer";
 * const yolo: PluginPermissions = { read: ["./models"], ffi: true, env: ["ORT_LOG_LEVEL"] };
 * ```
 */
export interface PluginPermissions {
  /** Paths the plugin may read (files or directories). */
  read?: string[];
  /** Paths the plugin may write. */
  write?: string[];
  /** Hosts (`host` or `host:port`) the plugin may connect to. */
  net?: string[];
  /** Environment variables the plugin may read. */
  env?: string[];
  /** Native libraries the plugin may load: `true` for any, or a list of paths. */
  ffi?: boolean | string[];
  /** System information (`Deno.osRelease()`, `Deno.systemMemoryInfo()`, ...). */
  sys?: boolean;
  /**
   * Hosts the plugin's modules may be imported from, statically or dynamically (checked
   * before the worker starts). A remote plugin's own origin needs no grant.
   */
  import?: string[];
}

/**
 * What a plugin module declares it needs, as a named export `permissions`: a function of the
 * options its algo entry gives (`init(options)` receives the same). For a built-in plugin
 * (`plugin: yolo`) the declaration is granted; a third-party plugin gets only what its entry's
 * `permissions` key grants.
 *
 * @example
 * ```ts
 * import type { PermissionDeclaration } from "@stream-infer/stream-infer";
 * export const permissions: PermissionDeclaration = (options) => ({
 *   ffi: true,
 *   read: [(options as { model: string }).model],
 * });
 * ```
 */
export type PermissionDeclaration = (options: unknown) => PluginPermissions;
