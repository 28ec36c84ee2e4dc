/**
 * What a plugin's worker may do: the grants of its sandbox.
 *
 * @module
 */

/**
 * What a plugin's worker may do. Keys left out are denied. Relative paths are resolved
 * against the working directory.
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
