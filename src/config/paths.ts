/**
 * The one rule for relative paths in a config: **relative to the config file**. It holds for
 * `source`/`sources`, `plugin`, sink paths, `record`, the snapshot/clip/HLS folders, the `read`
 * and `write` lists of `permissions`, and strings in an algo's `options` that start with `./` or
 * `../`. URLs (`rtsp://`, `https://`, ...), absolute paths, devices and `-` are left as they are;
 * a `file:` URL becomes its (percent-decoded) path.
 *
 * @module
 */
import { z } from "zod";

/**
 * The folder of a config file, absolute and normalised (relative paths in the config are
 * resolved against it).
 *
 * @example
 * ```ts
 * import { configDir } from "./paths.ts";
 * console.log(configDir("/srv/pipelines/p.yaml")); // "/srv/pipelines"
 * ```
 */
export function configDir(file: string): string {
  const slash = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  const dir = slash >= 0 ? file.slice(0, slash) || "/" : ".";
  if (dir.startsWith("/")) return normalizePath(dir);
  let cwd: string;
  try {
    cwd = Deno.cwd();
  } catch {
    return normalizePath(dir); // no read permission for the working directory: stay relative
  }
  return normalizePath(`${cwd}/${dir}`);
}

/**
 * Removes `.` segments, empty segments and the `..` segments that can be removed.
 *
 * @example
 * ```ts
 * import { normalizePath } from "./paths.ts";
 * console.log(normalizePath("/srv/a/../b/./c.mp4")); // "/srv/b/c.mp4"
 * ```
 */
export function normalizePath(path: string): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length && out.at(-1) !== "..") out.pop();
    else if (part !== ".." || !absolute) out.push(part);
  }
  const joined = out.join("/");
  return absolute ? `/${joined}` : joined || ".";
}

/** Whether a string is a URL with a scheme (`rtsp://`, `https://`, `file:`, ...). */
function isUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^file:/i.test(value);
}

/**
 * Resolves a config path against `baseDir`: a relative path becomes absolute; URLs, absolute
 * paths and `-` stay; a `file:` URL becomes its path. Throws on a bad `file:` URL.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./paths.ts";
 * console.log(resolvePath("/srv/p", "../clips/a.mp4")); // "/srv/clips/a.mp4"
 * console.log(resolvePath("/srv/p", "rtsp://cam/1")); // "rtsp://cam/1"
 * ```
 */
export function resolvePath(baseDir: string, path: string): string {
  if (/^file:/i.test(path)) {
    try {
      return decodeURIComponent(new URL(path).pathname);
    } catch {
      throw new Error(`not a valid file: URL: ${path}`);
    }
  }
  if (isUrl(path) || path.startsWith("/") || path.startsWith("-")) return path;
  return normalizePath(`${baseDir}/${path}`);
}

/**
 * Whether an `options` string is a path to resolve: it starts with `./` or `../`.
 *
 * @example
 * ```ts
 * import { isRelativeOption } from "./paths.ts";
 * console.log(isRelativeOption("./yolov8n.onnx"), isRelativeOption("car")); // true false
 * ```
 */
export function isRelativeOption(value: string): boolean {
  return value.startsWith("./") || value.startsWith("../");
}

/**
 * A copy of an algo's `options` in which every string that starts with `./` or `../` (at any
 * depth, in mappings and lists) is resolved against `baseDir`.
 *
 * @example
 * ```ts
 * import { resolveOptionPaths } from "./paths.ts";
 * console.log(resolveOptionPaths({ model: "./m.onnx", classes: ["car"] }, "/srv/p"));
 * // { model: "/srv/p/m.onnx", classes: ["car"] }
 * ```
 */
export function resolveOptionPaths(value: unknown, baseDir: string): unknown {
  if (typeof value === "string") {
    return isRelativeOption(value) ? resolvePath(baseDir, value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveOptionPaths(v, baseDir));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveOptionPaths(v, baseDir);
    return out;
  }
  return value;
}

/**
 * The zod schema of a path key of a config (a non-empty string), resolved against `baseDir`
 * by {@link resolvePath}. Every path key of the config, including those of the schema
 * fragments (sinks, video, analytics), uses it.
 *
 * @example
 * ```ts
 * import { configPath } from "./paths.ts";
 * console.log(configPath("/srv/p").parse("out/r.jsonl")); // "/srv/p/out/r.jsonl"
 * ```
 */
export function configPath(baseDir: string): PathSchema {
  return z.string().min(1, "must be a non-empty string").transform((value, ctx) => {
    try {
      return resolvePath(baseDir, value);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  });
}

/**
 * The type of {@link configPath}'s schema: a string in, the resolved path out. Fragment
 * factories take it as their parameter.
 *
 * @example
 * ```ts
 * import type { PathSchema } from "./paths.ts";
 * import { z } from "zod";
 * const sink = (path: PathSchema) => z.strictObject({ type: z.literal("jsonl"), path });
 * ```
 */
export type PathSchema = z.ZodType<string, string>;
