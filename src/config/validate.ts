/**
 * `stream-infer validate`: everything about a config that can be checked without running it.
 * The schema (with `${VAR}` references), then the files it names: local sources exist, plugins
 * resolve, read, pass their integrity pin and the module-graph check against their grants
 * (remote ones are fetched only when pinned: an unpinned `trust: true` plugin is not fetched),
 * absolute paths in `options` (a model file) exist, and output folders exist. Each problem is
 * one line, `FILE:LINE: key.path: problem`.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { checkPluginGraph } from "../plugin/graph.ts";
import { fetchPlugin } from "../plugin/load.ts";
import { ConfigProblems } from "./issues.ts";
import { parseConfigDocument } from "./load.ts";
import type { AlgoConfig, PipelineConfig } from "./types.ts";
import { type Locator, type Path, readConfigText } from "./yaml.ts";

/**
 * The outcome of {@link validateConfigFile}: the config and the problems found (none: valid).
 *
 * @example
 * ```ts
 * import type { Validation } from "./validate.ts";
 * const v: Validation = { problems: [] };
 * ```
 */
export interface Validation {
  /** The parsed config, when the schema accepted it. */
  config?: PipelineConfig;
  /** One line per problem, in file order. */
  problems: string[];
}

function kindOf(path: string): "file" | "dir" | undefined {
  try {
    const info = Deno.statSync(path);
    return info.isDirectory ? "dir" : "file";
  } catch {
    return undefined;
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Whether a source URL is a local file to check (not a URL, a device or stdin). */
function isLocalFile(url: string): boolean {
  return url.startsWith("/") && !url.startsWith("/dev/");
}

/**
 * What {@link validateConfigFile} checks beyond the schema (everything by default). `run`
 * turns off what it finds out itself anyway (remote plugins are fetched when they load, and
 * `--source` replaces the config's sources).
 *
 * @example
 * ```ts
 * import type { ValidateOptions } from "./validate.ts";
 * const quick: ValidateOptions = { remote: false, sources: false };
 * ```
 */
export interface ValidateOptions {
  /**
   * Fetch pinned remote plugins and check their pins, and check every plugin's module graph
   * against its grants (which fetches the remote modules a local plugin imports) (default
   * true). Off, local plugins are only read.
   */
  remote?: boolean;
  /** Check that local source files exist (default true). */
  sources?: boolean;
  /** Check that absolute and `./`/`../` paths in algo options (model files) exist (default true). */
  options?: boolean;
}

/**
 * Validates a config file; never throws for a bad config (the problems say what is wrong).
 *
 * @example
 * ```ts
 * import { validateConfigFile } from "./validate.ts";
 * const { problems } = await validateConfigFile("examples/pipeline.yaml");
 * console.log(problems.length ? problems.join("\n") : "OK");
 * ```
 */
export async function validateConfigFile(
  file: string,
  options: ValidateOptions = {},
): Promise<Validation> {
  let config: PipelineConfig;
  let at: Locator;
  try {
    ({ config, at } = parseConfigDocument(await readConfigText(file), file));
  } catch (e) {
    if (e instanceof ConfigProblems) return { problems: e.problems };
    return { problems: [errorMessage(e).split("\n")[0]] };
  }
  const found: { line: number; text: string }[] = [];
  const problem = (path: Path, message: string) =>
    found.push({ line: at.line(path), text: at.message(path, message) });

  if (options.sources !== false) {
    config.sources.forEach((source, i) => {
      const path: Path = at.doc.has("sources") ? ["sources", i, "url"] : ["source"];
      if (isLocalFile(source.url) && kindOf(source.url) !== "file") {
        problem(path, `no such file: ${source.url}`);
      }
    });
  }
  for (const [i, algo] of config.algos.entries()) {
    await checkAlgo(config, algo, ["algos", i], problem, options);
  }
  config.sinks.forEach((sink, i) => {
    const path = (sink as { path?: unknown }).path; // file sinks (jsonl)
    if (typeof path === "string" && kindOf(parentOf(path)) !== "dir") {
      problem(["sinks", i, "path"], `no such folder: ${parentOf(path)}`);
    }
  });
  if (typeof config.record === "string" && kindOf(parentOf(config.record)) !== "dir") {
    problem(["record"], `no such folder: ${parentOf(config.record)}`);
  }
  found.sort((a, b) => a.line - b.line);
  return { config, problems: found.map((f) => f.text) };
}

/** The plugin of an algo entry, and the absolute paths in its options. */
async function checkAlgo(
  config: PipelineConfig,
  algo: AlgoConfig,
  path: Path,
  problem: (path: Path, message: string) => void,
  options: ValidateOptions,
): Promise<void> {
  const fetchRemote = options.remote !== false;
  const remote = /^https?:/i.test(algo.plugin);
  const unpinnedTrusted = remote && algo.integrity === undefined && algo.trust === true;
  if (!unpinnedTrusted && (fetchRemote || !remote)) {
    try {
      const fetched = await fetchPlugin(algo.plugin, {
        base: config.baseDir,
        integrity: algo.integrity,
        trust: algo.trust,
        onWarning: () => {},
      });
      if (fetchRemote) await checkPluginGraph(fetched, algo.permissions);
    } catch (e) {
      const where = /integrity/i.test(errorMessage(e)) && algo.integrity ? "integrity" : "plugin";
      problem([...path, where], errorMessage(e).split("\n")[0]);
    }
  }
  const visit = (value: unknown, at: Path, depth: number) => {
    if (typeof value === "string") {
      if (value.startsWith("/") && value.length < 4096 && kindOf(value) === undefined) {
        problem(at, `no such file: ${value}`);
      }
    } else if (value && typeof value === "object" && depth < 4) {
      for (const [k, v] of Object.entries(value)) {
        visit(v, [...at, Array.isArray(value) ? Number(k) : k], depth + 1);
      }
    }
  };
  if (options.options !== false) visit(algo.options, [...path, "options"], 0);
}
