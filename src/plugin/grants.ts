/**
 * A plugin's grants as people read and write them: a short text of a permission set, adding
 * grants together, and the config key to add when a plugin lacked a permission.
 *
 * @module
 */
import type { PluginPermissions } from "../algo/permissions.ts";

const DENO_REQUIRES =
  /Requires (read|write|net|env|ffi|sys|run|import) access(?: to "?([^",]*)"?)?,? (?:run again with|specify) (?:the )?--allow-[a-z]+(?: flag)?/i;

/**
 * For an error that says a plugin lacked a permission (Deno's "Requires ffi access ..., run
 * again with the --allow-ffi flag"), the line that names the algo entry's key to add, e.g.
 * `algo det: plugin needs FFI; add 'permissions: { ffi: true }' to its entry`. `undefined` when
 * the message is not about a permission.
 *
 * @example
 * ```ts
 * import { permissionHint } from "./grants.ts";
 * const message = 'Requires ffi access to "/x/onnxruntime.node", run again with the --allow-ffi flag';
 * console.log(permissionHint(message, "det"));
 * // algo det: plugin needs FFI; add 'permissions: { ffi: true }' to its entry
 * ```
 */
export function permissionHint(message: string, algo: string): string | undefined {
  const m = DENO_REQUIRES.exec(message);
  if (!m) return undefined;
  const kind = m[1].toLowerCase();
  const target = m[2]?.trim();
  const entry = `to its entry`;
  switch (kind) {
    case "ffi":
      return `algo ${algo}: plugin needs FFI; add 'permissions: { ffi: true }' ${entry}`;
    case "sys":
      return `algo ${algo}: plugin needs system information; add 'permissions: { sys: true }' ${entry}`;
    case "run":
      return `algo ${algo}: plugin wants to run a subprocess, which a plugin may never do`;
    default: {
      const value = target ? JSON.stringify(target) : kind === "env" ? "NAME" : "PATH";
      const what = {
        read: "to read",
        write: "to write",
        net: "network access to",
        env: "the variable",
        import: "to import from",
      }[kind] ?? kind;
      return `algo ${algo}: plugin needs ${what} ${target ?? ""}`.trimEnd() +
        `; add 'permissions: { ${kind}: [${value}] }' ${entry}`;
    }
  }
}

/**
 * One permission set as a short text: `ffi, read /models/a.onnx`.
 *
 * @example
 * ```ts
 * import { describePermissions } from "./grants.ts";
 * console.log(describePermissions({ ffi: true, read: ["/m.onnx"] })); // "ffi, read /m.onnx"
 * ```
 */
export function describePermissions(p: PluginPermissions): string {
  const parts: string[] = [];
  for (const key of ["ffi", "sys"] as const) {
    const value = p[key];
    if (value === true) parts.push(key);
    else if (Array.isArray(value)) { for (const v of value) parts.push(`${key} ${v}`); }
  }
  for (const key of ["read", "write", "net", "env", "import"] as const) {
    for (const value of p[key] ?? []) parts.push(`${key} ${value}`);
  }
  return parts.join(", ");
}

/**
 * Adds `extra` grants to `base` (lists are joined without repeats; `true` wins).
 *
 * @example
 * ```ts
 * import { mergePermissions } from "./grants.ts";
 * console.log(mergePermissions({ read: ["/a"] }, { ffi: true, read: ["/b"] }));
 * // { read: ["/a", "/b"], ffi: true }
 * ```
 */
export function mergePermissions(
  base: PluginPermissions | undefined,
  extra: PluginPermissions,
): PluginPermissions {
  const out: PluginPermissions = { ...base };
  for (const key of ["read", "write", "net", "env", "import"] as const) {
    if (extra[key]) out[key] = [...new Set([...(out[key] ?? []), ...extra[key]!])];
  }
  if (extra.sys) out.sys = true;
  if (extra.ffi === true || out.ffi === true) {
    if (extra.ffi !== undefined || out.ffi !== undefined) out.ffi = true;
  } else if (Array.isArray(extra.ffi)) {
    out.ffi = [...new Set([...(Array.isArray(out.ffi) ? out.ffi : []), ...extra.ffi])];
  }
  return out;
}
