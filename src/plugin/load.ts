/**
 * Loading an algorithm class from a plugin module and checking it against the contract
 * (docs/contract.md §2.3): the default export is a class whose instances have `run(frames)`, and
 * optionally `init(options)` and `dispose()`.
 *
 * Loading happens in two steps, so the same verified code can run in the main thread or in a
 * Web Worker:
 *
 * 1. {@link fetchPlugin} reads the plugin's bytes itself (local file, `file:`, `https:`, or
 *    loopback `http:`; see `integrity.ts`), verifies them against the `integrity` pin before
 *    anything runs, applies the trust rule to unpinned remote plugins, and returns a
 *    {@link FetchedPlugin}: plain, structured-cloneable data whose `url` is the module URL to
 *    import.
 * 2. {@link importPlugin} imports that URL (in whichever thread) and validates the contract.
 *
 * {@link loadPlugin} does both.
 *
 * **What is imported.** A local plugin is imported from its `file:` URL, so its relative imports
 * keep working (a pin is checked against the file's bytes just before the import). A remote
 * plugin is imported from a `data:` URL holding the verified bytes, so what runs is exactly what
 * was hashed, never a second download. In that copy, relative import specifiers (`./x.ts`,
 * `../x.ts`, `/x.ts` in static `import`/`export ... from` and literal `import("...")`) and
 * `import.meta.url` are rewritten to absolute URLs against the plugin's own URL, so the module
 * behaves as if it were imported from where it was fetched. Note:
 * - The pin covers the plugin's own module, not the modules it imports. For a plugin that is
 *   pinned as a whole, publish it as one self-contained file (`deno bundle`, esbuild).
 * - A plugin loaded into a sandboxed worker (`loadAlgo`) has its module graph checked against
 *   its grants first, and a remote plugin's graph is fetched once and inlined, so the worker
 *   fetches nothing (see `graph.ts`). {@link importPlugin} on its own does neither: imports are
 *   then fetched by Deno's module loader like any remote import (they need `--allow-import`).
 * - `import.meta.resolve`, `import.meta.dirname` and `import.meta.filename` are not available
 *   to a remote plugin.
 * - The rewrite is textual: a string literal that looks exactly like `from "../x"` is rewritten
 *   too.
 *
 * @module
 */
import type { AlgoLike } from "../algo/algo.ts";
import { PluginError } from "../errors.ts";
import {
  checkPluginUrl,
  computeIntegrity,
  isIntegrity,
  readPluginBytes,
  resolvePlugin,
  verifyIntegrity,
} from "./integrity.ts";
import { isBuiltinPluginUrl } from "./builtin.ts";

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
 * Checks a module's exports against the plugin contract and returns the algorithm class.
 * Throws {@link PluginError} naming what is missing.
 *
 * @example
 * ```ts
 * import { algoClassOf } from "./load.ts";
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
 * Options of {@link loadPlugin} (and, with `base`, of {@link fetchPlugin}).
 *
 * @example
 * ```ts
 * import type { LoadPluginOptions } from "@stream-infer/stream-infer";
 * const opts: LoadPluginOptions = {
 *   integrity: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
 *   onWarning: (message) => console.error(message),
 * };
 * ```
 */
export interface LoadPluginOptions {
  /** SRI pin (`sha256-<base64>`) the plugin's bytes must match; checked before they run. */
  integrity?: string;
  /** Load a remote plugin without a pin (with a warning). Ignored when `integrity` is set. */
  trust?: boolean;
  /** Receives warnings, such as loading an unpinned trusted plugin (default: `console.warn`). */
  onWarning?: (message: string) => void;
  /** Time allowed for fetching a remote plugin, in milliseconds (default 30 000). */
  timeoutMs?: number;
}

/**
 * Options of {@link fetchPlugin}.
 *
 * @example
 * ```ts
 * import type { FetchPluginOptions } from "@stream-infer/stream-infer";
 * const opts: FetchPluginOptions = { base: "/srv/pipelines/", trust: true };
 * ```
 */
export interface FetchPluginOptions extends LoadPluginOptions {
  /** Directory (path or URL) that relative paths are resolved against (default: working dir). */
  base?: string | URL;
}

/**
 * A plugin whose bytes were read and verified, ready to import. Plain data: it can be posted to
 * a Web Worker, which then calls {@link importPlugin} on it.
 *
 * @example
 * ```ts
 * import { fetchPlugin, type FetchedPlugin } from "@stream-infer/stream-infer";
 * const plugin: FetchedPlugin = await fetchPlugin("./plugins/motion.ts");
 * console.log(plugin.url, plugin.integrity);
 * ```
 */
export interface FetchedPlugin {
  /** The plugin reference as given (used in messages). */
  spec: string;
  /**
   * The module URL to import: the `file:` URL of a local plugin, or a `data:` URL of the
   * verified bytes of a remote one.
   */
  url: string;
  /** Where the bytes came from: the `file:` URL, or the final URL after redirects. */
  sourceUrl: string;
  /** The plugin's source text, exactly as verified. */
  source: string;
  /** The SRI value of the bytes (the pin's algorithm when pinned, else SHA-256). */
  integrity: string;
  /** Whether the plugin came over the network. */
  remote: boolean;
  /** Whether the bytes were checked against an `integrity` pin. */
  pinned: boolean;
  /**
   * Whether it is one of the package's own plugins (`yolo`, `motion`): imported from its own
   * URL, with the package's trust (no pin needed, its module graph is not walked).
   */
  builtin?: boolean;
}

/** A built-in plugin: read (for its integrity value) and imported from its own URL. */
async function fetchBuiltin(spec: string, url: URL, remote: boolean): Promise<FetchedPlugin> {
  const read = await readPluginBytes(url.href);
  return {
    spec,
    url: url.href,
    sourceUrl: url.href,
    source: new TextDecoder().decode(read.bytes),
    integrity: await computeIntegrity(read.bytes),
    remote,
    pinned: false,
    builtin: true,
  };
}

const SPECIFIER = String.raw`(["'])((?:\.{1,2})?\/[^"'\r\n]*)\2`;
const STATIC_IMPORT = new RegExp(String.raw`(\bfrom\s*|\bimport\s*)` + SPECIFIER, "g");
const DYNAMIC_IMPORT = new RegExp(String.raw`(\bimport\s*\(\s*)` + SPECIFIER, "g");
const IMPORT_META_URL = /\bimport\s*\.\s*meta\s*\.\s*url\b/g;

/** Rewrites relative specifiers and `import.meta.url` against the plugin's URL. */
function rebase(source: string, base: URL): string {
  const absolute = (_: string, head: string, quote: string, spec: string) =>
    `${head}${quote}${new URL(spec, base).href}${quote}`;
  return source
    .replace(STATIC_IMPORT, absolute)
    .replace(DYNAMIC_IMPORT, absolute)
    .replace(IMPORT_META_URL, JSON.stringify(base.href));
}

const MEDIA_TYPES: [RegExp, string][] = [
  [
    /^(application|text)\/(x-)?typescript$|^video\/(vnd\.dlna\.mpeg-tts|mp2t)$/,
    "application/typescript",
  ],
  [/^(application|text)\/(x-)?(java|ecma)script$|^application\/node$/, "application/javascript"],
  [/^text\/tsx$/, "text/tsx"],
  [/^text\/jsx$/, "text/jsx"],
];
const EXTENSIONS: [RegExp, string][] = [
  [/\.[mc]?ts$/, "application/typescript"],
  [/\.[mc]?js$/, "application/javascript"],
  [/\.tsx$/, "text/tsx"],
  [/\.jsx$/, "text/jsx"],
];

/**
 * The media type Deno would give a module: its Content-Type, else its extension, else
 * TypeScript.
 *
 * @example
 * ```ts
 * import { mediaType } from "./load.ts";
 * console.log(mediaType(new URL("https://cdn.example.com/a.js"))); // "application/javascript"
 * ```
 */
export function mediaType(url: URL, contentType?: string): string {
  const type = contentType?.split(";")[0].trim().toLowerCase() ?? "";
  for (const [pattern, media] of MEDIA_TYPES) if (pattern.test(type)) return media;
  const path = url.pathname.toLowerCase();
  for (const [pattern, media] of EXTENSIONS) if (pattern.test(path)) return media;
  return "application/typescript";
}

/**
 * A base64 `data:` URL holding a module's source text.
 *
 * @example
 * ```ts
 * import { toDataUrl } from "./load.ts";
 * console.log(toDataUrl("export default 1;", "application/typescript")); // "data:application/typescript;base64,..."
 * ```
 */
export function toDataUrl(source: string, media: string): string {
  const bytes = new TextEncoder().encode(source);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return `data:${media};base64,${btoa(binary)}`;
}

/**
 * Reads a plugin and verifies it, without running it. Order of checks: the source rule (no
 * network traffic for a refused URL), the pin's form, the trust rule (an unpinned remote plugin
 * needs `trust: true`; it is refused before it is fetched), then the bytes are read and checked
 * against the pin. An unpinned trusted plugin loads with a warning naming the value to pin.
 *
 * @example
 * ```ts
 * import { fetchPlugin, importPlugin } from "@stream-infer/stream-infer";
 * const plugin = await fetchPlugin("https://cdn.example.com/algo.ts", {
 *   integrity: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
 * });
 * const Algo = await importPlugin(plugin); // or post `plugin` to a worker that does this
 * ```
 */
export async function fetchPlugin(
  spec: string,
  options: FetchPluginOptions = {},
): Promise<FetchedPlugin> {
  const { base, integrity, trust, timeoutMs } = options;
  const url = resolvePlugin(spec, base);
  checkPluginUrl(url, spec);
  const remote = url.protocol !== "file:";
  if (isBuiltinPluginUrl(url)) return await fetchBuiltin(spec, url, remote);
  if (integrity !== undefined && !isIntegrity(integrity)) {
    throw new PluginError(
      `invalid integrity for plugin ${spec}: expected sha256-<base64> (got '${integrity}'); ` +
        `get the value with: stream-infer plugin hash ${spec}`,
    );
  }
  if (remote && integrity === undefined && trust !== true) {
    throw new PluginError(
      `refusing to load unpinned remote plugin ${spec}: pin it by adding ` +
        `'integrity: <value>' to its algo entry (get the value with: stream-infer plugin hash ` +
        `${spec}), or set 'trust: true' to load it unverified`,
    );
  }
  const read = await readPluginBytes(spec, { base, ...(timeoutMs ? { timeoutMs } : {}) });
  const actual = integrity !== undefined
    ? await verifyIntegrity(read.bytes, integrity, spec)
    : await computeIntegrity(read.bytes);
  let source: string;
  try {
    source = new TextDecoder("utf-8", { fatal: true }).decode(read.bytes);
  } catch {
    throw new PluginError(`plugin ${spec} is not UTF-8 text`);
  }
  if (remote && integrity === undefined) {
    const warning = `plugin ${spec} is not pinned and loads unverified (trust: true); ` +
      `to pin it, add to its algo entry: integrity: ${actual}`;
    if (options.onWarning) options.onWarning(warning);
    else console.warn(`stream-infer: warning: ${warning}`);
  }
  return {
    spec,
    url: remote
      ? toDataUrl(rebase(source, read.url), mediaType(read.url, read.contentType))
      : read.url.href,
    sourceUrl: read.url.href,
    source,
    integrity: actual,
    remote,
    pinned: integrity !== undefined,
  };
}

/**
 * Imports a fetched plugin's module and returns its validated algorithm class. Works the same in
 * the main thread and in a Web Worker. Throws {@link PluginError}: `syntax error in plugin ...`
 * when the code does not parse, `cannot import a dependency of plugin ...` when one of its
 * imports fails, `plugin ... threw while loading: ...` when its top-level code throws, and the
 * contract errors of {@link algoClassOf}.
 *
 * @example
 * ```ts
 * import { fetchPlugin, importPlugin } from "@stream-infer/stream-infer";
 * const Motion = await importPlugin(await fetchPlugin("./plugins/motion.ts"));
 * const algo = new Motion();
 * ```
 */
export async function importPlugin(plugin: FetchedPlugin): Promise<AlgoClass> {
  let module: Record<string, unknown>;
  try {
    module = await import(plugin.url);
  } catch (e) {
    throw pluginImportError(e, plugin);
  }
  return algoClassOf(module, plugin.spec);
}

/**
 * Reads, verifies, imports and validates a plugin; returns its algorithm class. `base` is the
 * directory relative paths are resolved against (default: the working directory).
 *
 * @example
 * ```ts
 * import { loadPlugin } from "@stream-infer/stream-infer";
 * const Motion = await loadPlugin("./plugins/motion.ts");
 * const algo = new Motion();
 * const Remote = await loadPlugin("https://cdn.example.com/algo.ts", undefined, {
 *   integrity: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
 * });
 * ```
 */
export async function loadPlugin(
  spec: string,
  base?: string | URL,
  options: LoadPluginOptions = {},
): Promise<AlgoClass> {
  return await importPlugin(await fetchPlugin(spec, { ...options, base }));
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Turns an error from importing a fetched plugin's module into the error {@link importPlugin}
 * throws: a {@link PluginError} for a syntax error, a failed dependency import or a top-level
 * throw, with the `data:` URL replaced by the plugin's URL and terminal colours removed.
 * Permission errors are returned as they are. For code that imports `plugin.url` itself, such
 * as a worker's entry module.
 *
 * @example
 * ```ts
 * import { fetchPlugin } from "@stream-infer/stream-infer";
 * import { pluginImportError } from "./load.ts";
 * const plugin = await fetchPlugin("./plugins/motion.ts");
 * try {
 *   await import(plugin.url);
 * } catch (e) {
 *   throw pluginImportError(e, plugin);
 * }
 * ```
 */
export function pluginImportError(
  e: unknown,
  plugin: Pick<FetchedPlugin, "spec" | "url" | "sourceUrl">,
): Error {
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return e;
  }
  const raw = String((e as Error)?.message ?? e).replace(ANSI, "")
    .replaceAll(plugin.url, plugin.sourceUrl);
  const lines = raw.split("\n");
  const at = lines.find((l) => /^\s+at /.test(l))?.trim().replace(/^at /, "");
  const summary = lines[0] + (at && !lines[0].includes(at) ? ` (at ${at})` : "");
  const code = (e as { code?: string })?.code;
  if (/^SyntaxError: /.test(raw) || (e instanceof SyntaxError && !/does not provide/.test(raw))) {
    return new PluginError(
      `syntax error in plugin ${plugin.spec}: ${summary.replace(/^SyntaxError: /, "")}`,
      { cause: e },
    );
  }
  if (code === "ERR_MODULE_NOT_FOUND" || e instanceof SyntaxError) {
    return new PluginError(`cannot import a dependency of plugin ${plugin.spec}: ${summary}`, {
      cause: e,
    });
  }
  return new PluginError(`plugin ${plugin.spec} threw while loading: ${summary}`, { cause: e });
}
