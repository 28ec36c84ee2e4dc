/**
 * Checking a plugin's module graph against its grants before it runs in a sandboxed worker.
 *
 * Deno loads a module's static imports (and its `import("...")` calls with a literal string)
 * with the process's permissions, not the worker's: without this check a plugin with no `read`
 * grant could `import` any local JSON or TS file and return it, and any host would be fetched.
 * {@link checkPluginGraph} walks the graph itself, before the worker starts, and refuses:
 *
 * - a local file outside the plugin's own directory (after symlinks are resolved). The one
 *   exception is stream-infer itself (`mod.ts` and `src/` of this package), which plugins may
 *   import and which is not walked further. A remote plugin has no directory: it may import no
 *   local file at all;
 * - an `http:`/`https:` module whose host is not in the plugin's `permissions.import` or
 *   `permissions.net` (`host` or `host:port`). A remote plugin may import from its own origin
 *   without a grant. The source rule of `integrity.ts` applies too (`http:` on loopback only);
 * - `data:`, `blob:`, `npm:` and `jsr:` specifiers, and specifiers written with escape sequences.
 *   Bare specifiers (resolved through the project's import map) and `node:` built-ins are
 *   allowed and not walked.
 *
 * The scan is textual and conservative: an import-like string in a comment or a string literal
 * is checked like a real import.
 *
 * A remote plugin's graph is inlined: every remote module it reaches is fetched once, here,
 * checked, and handed to the worker as a `data:` URL with its imports rewritten to the `data:`
 * URLs of its dependencies. The worker then runs exactly the modules that were checked, fetches
 * nothing, and leaves the project's `deno.lock` alone. A local plugin whose graph reaches a
 * (granted) remote module is inlined the same way, its own files included (`import.meta.url`
 * keeps their file URLs); one that reaches none is imported from its file. An import cycle
 * between inlined modules cannot be inlined and is refused.
 *
 * @module
 */
import type { PluginPermissions } from "../algo/permissions.ts";
import { PluginError } from "../errors.ts";
import { checkPluginUrl, readPluginBytes } from "./integrity.ts";
import { type FetchedPlugin, mediaType, toDataUrl } from "./load.ts";

const GAP = String.raw`(?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)*`;
const QUOTED = String.raw`(["'\x60])([^"'\x60\r\n]*)\1`;
const SPECIFIERS = [
  new RegExp(String.raw`\b(?:from|import)${GAP}${QUOTED}`, "g"),
  new RegExp(String.raw`\bimport${GAP}\(${GAP}${QUOTED}`, "g"),
];
const CODE = /\.([mc]?[jt]sx?)$/i;
const MAX_MODULES = 1000;

/**
 * The module specifiers a module's source text may load: those of static `import` and
 * `export ... from` declarations and of `import()` calls with a literal string, comments allowed
 * between the keyword and the string. Conservative: text in comments and strings that looks like
 * an import is listed too.
 *
 * @example
 * ```ts
 * import { importSpecifiers } from "./graph.ts";
 * const source = 'import a from "./a.ts";\nexport * from /* x *\/ "../b.ts";\nawait import("c");';
 * console.log(importSpecifiers(source)); // ["./a.ts", "../b.ts", "c"]
 * ```
 */
export function importSpecifiers(source: string): string[] {
  const found: { at: number; spec: string }[] = [];
  for (const pattern of SPECIFIERS) {
    for (const match of source.matchAll(pattern)) {
      // a template literal with a substitution is not a literal: Deno checks it at run time
      if (match[1] === "`" && match[2].includes("${")) continue;
      found.push({ at: match.index, spec: match[2] });
    }
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.spec);
}

/** Where the plugin may import from. */
interface Scope {
  label: string;
  /** Real path of the local plugin's directory, with a trailing slash. */
  dir?: string;
  /** Origin of a remote plugin. */
  origin?: string;
  hosts: Set<string>;
  timeoutMs?: number;
}

const LIBRARY = new URL("../../", import.meta.url);

function realPath(path: string): string | undefined {
  try {
    return Deno.realPathSync(path);
  } catch {
    return undefined;
  }
}

function isLibrary(url: URL): boolean {
  if (LIBRARY.protocol !== "file:") return false;
  // fall back to the plain paths where there is no real path (a `deno compile` binary)
  const plainRoot = decodeURIComponent(LIBRARY.pathname).replace(/\/$/, "");
  const plainPath = decodeURIComponent(url.pathname);
  const root = realPath(plainRoot) ?? plainRoot;
  const path = realPath(plainPath) ?? plainPath;
  return path === `${root}/mod.ts` || path.startsWith(`${root}/src/`);
}

function refuse(scope: Scope, spec: string, why: string): never {
  throw new PluginError(`refusing plugin ${scope.label}: it imports '${spec}', ${why}`);
}

/** Resolves one specifier of `parent`; returns the URL to walk, or undefined for a leaf. */
function admit(scope: Scope, spec: string, parent: URL): URL | undefined {
  if (spec.includes("\\")) refuse(scope, spec, "written with an escape sequence");
  const relative = /^\.{0,2}\//.test(spec);
  if (!relative && !/^[a-z][a-z0-9+.-]*:/i.test(spec)) return undefined; // bare: import map
  let url: URL;
  try {
    url = new URL(spec, parent);
  } catch {
    return undefined; // Deno refuses it when it loads
  }
  switch (url.protocol) {
    case "node:":
      return undefined;
    case "file:": {
      if (scope.dir === undefined) {
        refuse(scope, spec, "a local file; a remote plugin may not import local files");
      }
      const path = decodeURIComponent(url.pathname);
      const real = realPath(path) ?? path;
      if (real.startsWith(scope.dir)) return CODE.test(real) ? url : undefined;
      if (isLibrary(url)) return undefined;
      return refuse(
        scope,
        spec,
        `a file outside the plugin's directory ${scope.dir} (resolved: ${real}); ` +
          `a plugin may import only files in its own directory, or stream-infer itself`,
      );
    }
    case "http:":
    case "https:": {
      checkPluginUrl(url, `${scope.label} (import of ${url.href})`);
      if (url.origin === scope.origin) return url;
      if (scope.hosts.has(url.host) || scope.hosts.has(url.hostname)) return url;
      return refuse(
        scope,
        spec,
        `from host ${url.host}, which is not granted; add it to the entry's ` +
          `permissions.import to allow it`,
      );
    }
    case "npm:":
    case "jsr:":
      return refuse(
        scope,
        spec,
        `a ${url.protocol} package; a sandboxed plugin may import packages only through the ` +
          `project's import map (a bare specifier)`,
      );
    default:
      return refuse(scope, spec, `a ${url.protocol} URL, which a sandboxed plugin may not import`);
  }
}

/** A module of the graph: where it ended up (after redirects), its text and media type. */
interface Module {
  url: URL;
  source: string;
  media: string;
}

async function moduleOf(url: URL, scope: Scope): Promise<Module> {
  if (url.protocol === "file:") {
    let source = "";
    try {
      source = await Deno.readTextFile(url);
    } catch { /* missing: Deno's import fails with its own message */ }
    return {
      url,
      source,
      media: /\.json$/i.test(url.pathname) ? "application/json" : mediaType(url),
    };
  }
  const read = await readPluginBytes(url.href, { timeoutMs: scope.timeoutMs });
  let source: string;
  try {
    source = new TextDecoder("utf-8", { fatal: true }).decode(read.bytes);
  } catch {
    throw new PluginError(
      `refusing plugin ${scope.label}: its import ${url.href} is not UTF-8 text`,
    );
  }
  const json = /^application\/(.+\+)?json\b/i.test(read.contentType ?? "") ||
    (!read.contentType && /\.json$/i.test(read.url.pathname));
  return {
    url: read.url,
    source,
    media: json ? "application/json" : mediaType(read.url, read.contentType),
  };
}

const IMPORT_META_URL = /\bimport\s*\.\s*meta\s*\.\s*url\b/g;

/** Rewrites a remote graph into nested `data:` URLs, dependencies first. */
function inline(modules: Map<string, Module>, root: string, label: string): string {
  const done = new Map<string, string>();
  const visiting = new Set<string>();
  const dataUrl = (href: string): string => {
    const cached = done.get(href);
    if (cached !== undefined) return cached;
    if (visiting.has(href)) {
      throw new PluginError(
        `refusing plugin ${label}: its remote modules import each other in a cycle (${href}); ` +
          `bundle the plugin into one file`,
      );
    }
    visiting.add(href);
    const module = modules.get(href)!;
    let text = module.source;
    if (module.media !== "application/json") {
      for (const pattern of SPECIFIERS) {
        text = text.replace(pattern, (match: string, quote: string, spec: string) => {
          if (quote === "\x60" && spec.includes("${")) return match;
          let url: URL;
          try {
            url = new URL(spec, module.url);
          } catch {
            return match; // bare: the import map
          }
          url.hash = "";
          const target = modules.has(url.href)
            ? dataUrl(url.href)
            : /^\.{0,2}\//.test(spec)
            ? url.href
            : spec;
          return match.slice(0, match.length - spec.length - 2) + quote + target + quote;
        });
      }
      text = text.replace(IMPORT_META_URL, JSON.stringify(module.url.href));
    }
    const url = toDataUrl(text, module.media);
    visiting.delete(href);
    done.set(href, url);
    return url;
  };
  return dataUrl(root);
}

/**
 * Walks a fetched plugin's module graph and throws {@link PluginError} (one line, naming the
 * import and the rule) when a module imports something its grants do not allow; see the module
 * documentation for the rules. `permissions` are the entry's worker grants. Returns the plugin to
 * hand to the worker: the same one for a local plugin, and for a remote one a copy whose `url`
 * holds the whole checked graph inlined.
 *
 * @example
 * ```ts
 * import { fetchPlugin } from "./load.ts";
 * import { checkPluginGraph } from "./graph.ts";
 * const plugin = await fetchPlugin("https://cdn.example.com/algo.ts", { trust: true });
 * const checked = await checkPluginGraph(plugin, { import: ["cdn.example.com"] });
 * console.log(checked.url); // data:application/typescript;base64,...
 * ```
 */
export async function checkPluginGraph(
  plugin: FetchedPlugin,
  permissions: PluginPermissions = {},
  options: { timeoutMs?: number } = {},
): Promise<FetchedPlugin> {
  if (plugin.builtin) return plugin; // the package's own code: trusted like the package
  const root = new URL(plugin.sourceUrl);
  const scope: Scope = {
    label: plugin.spec,
    hosts: new Set([...(permissions.import ?? []), ...(permissions.net ?? [])]),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
  if (plugin.remote) scope.origin = root.origin;
  else {
    const file = decodeURIComponent(root.pathname);
    const dir = file.slice(0, file.lastIndexOf("/")) || "/";
    const real = realPath(dir) ?? dir;
    scope.dir = real.endsWith("/") ? real : `${real}/`;
  }
  const media = /^data:([^;,]+)/.exec(plugin.url)?.[1] ?? mediaType(root);
  const modules = new Map<string, Module>([
    [root.href, { url: root, source: plugin.source, media }],
  ]);
  const queue = [root.href];
  while (queue.length > 0) {
    const module = modules.get(queue.shift()!)!;
    if (module.media === "application/json") continue;
    for (const spec of importSpecifiers(module.source)) {
      const next = admit(scope, spec, module.url);
      if (next === undefined) continue;
      next.hash = "";
      if (modules.has(next.href)) continue;
      if (modules.size >= MAX_MODULES) {
        throw new PluginError(
          `refusing plugin ${scope.label}: its module graph has more than ${MAX_MODULES} modules`,
        );
      }
      const loaded = await moduleOf(next, scope);
      // a redirect to another host needs that host granted too
      if (loaded.url.origin !== next.origin) admit(scope, loaded.url.href, loaded.url);
      modules.set(next.href, loaded);
      queue.push(next.href);
    }
  }
  // A local plugin is imported from its file, unless it reaches remote modules: then it is
  // inlined too, so that the worker fetches nothing and the project's deno.lock is untouched.
  const reachesRemote = [...modules.values()].some((m) => m.url.protocol !== "file:");
  if (!plugin.remote && !reachesRemote) return plugin;
  return { ...plugin, url: inline(modules, root.href, plugin.spec) };
}
