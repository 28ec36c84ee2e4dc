/**
 * The YAML pipeline config (docs/contract.md §6): parsing and validation with file and line in every
 * error.
 *
 * @module
 */
import { LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../errors.ts";
import type { Mode } from "../observe/observer.ts";
import { isIntegrity } from "../plugin/integrity.ts";
import type { PluginPermissions } from "../algo/permissions.ts";
import { parseListen } from "../control/listen.ts";
import {
  checkSourceId,
  parseProducerSpec,
  parseSourceSpec,
  type ProducerSpec,
  type SourceSpec,
} from "../source/spec.ts";
import {
  bool,
  checkConfigSize,
  checkDuplicateKeys,
  checkKeys,
  describe,
  isRecord,
  list,
  Locator,
  mapping,
  num,
  type Path,
  readConfigText,
  resolvePath,
  str,
} from "./yaml_check.ts";

/**
 * One algorithm entry of a pipeline config.
 *
 * @example
 * ```ts
 * import type { AlgoConfig } from "@stream-infer/stream-infer";
 * const a: AlgoConfig = { plugin: "./plugins/motion.ts", frameCount: 2, frameStep: 0, interval: 0.5 };
 * ```
 */
export interface AlgoConfig {
  /** Local path (resolved against the config's directory) or URL of the plugin module. */
  plugin: string;
  /** Name in records (default: the class name). */
  name?: string;
  /** Frames per run (default 1). */
  frameCount: number;
  /** Step between frames (default 0). */
  frameStep: number;
  /** Seconds between runs (default 1). */
  interval: number;
  /** Passed to `init(options)`. */
  options?: unknown;
  /** SRI pin of the plugin's bytes (`sha256-<base64>`; see `stream-infer plugin hash`). */
  integrity?: string;
  /** Load a remote plugin without an `integrity` pin (with a warning). */
  trust?: boolean;
  /** What the plugin may access when it runs in a worker (relative paths resolved). */
  permissions?: PluginPermissions;
  /** Instances of the plugin running side by side, each in its own worker (default 1). */
  instances?: number;
}

/**
 * One sink entry of a pipeline config.
 *
 * @example
 * ```ts
 * import type { SinkConfig } from "@stream-infer/stream-infer";
 * const s: SinkConfig = { type: "jsonl", path: "results.jsonl" };
 * ```
 */
export interface SinkConfig {
  /** Sink type; `jsonl` writes JSON Lines. */
  type: "jsonl";
  /** Output path (resolved against the config's directory). */
  path: string;
}

/**
 * The `control:` key: where the control API listens, and its token.
 *
 * @example
 * ```ts
 * import type { ControlConfig } from "@stream-infer/stream-infer";
 * const c: ControlConfig = { listen: "127.0.0.1:8600" };
 * ```
 */
export interface ControlConfig {
  /** `[HOST:]PORT`; the host defaults to 127.0.0.1. */
  listen: string;
  /** Bearer token every request must carry (required off loopback). */
  token?: string;
}

/**
 * A validated pipeline config. Relative paths are already resolved.
 *
 * @example
 * ```ts
 * import { parseConfig } from "@stream-infer/stream-infer";
 * const config = parseConfig("source: clip.mp4\nalgos: []\n", "/tmp/p.yaml");
 * console.log(config.sources[0], config.mode); // { id: "main", url: "/tmp/clip.mp4" } "offline"
 * ```
 */
export interface PipelineConfig {
  /**
   * The sources, paths resolved: `sources:` as given, or a lone `source:` as the source
   * `main`. Empty when the config names none (the CLI's `--source` then gives one).
   */
  sources: SourceSpec[];
  /** `offline` (default) or `realtime`. */
  mode: Mode;
  /** Requested fps (default: the source's). */
  fps?: number;
  /** Start position in seconds (default 0). */
  position: number;
  /** Producer options (a source's own `producer` keys override them). */
  producer: ProducerSpec;
  /** The algorithms, in load order. */
  algos: AlgoConfig[];
  /** The sinks. */
  sinks: SinkConfig[];
  /** Path of an annotated recording, if any. */
  record?: string;
  /** Bytes of frames one source may hold (default 512 MiB; see `ringBudget` of Inference). */
  ringBudget?: number;
  /** The control API, if enabled. */
  control?: ControlConfig;
  /** Directory relative paths were resolved against. */
  baseDir: string;
}

/** The `integrity`, `trust` and `permissions` keys of an algo entry. */
function pluginKeys(
  at: Locator,
  path: Path,
  entry: Record<string, unknown>,
  baseDir: string,
): Pick<AlgoConfig, "integrity" | "trust" | "permissions"> {
  const out: Pick<AlgoConfig, "integrity" | "trust" | "permissions"> = {};
  if (entry.integrity !== undefined) {
    const value = entry.integrity;
    if (typeof value !== "string" || !isIntegrity(value)) {
      at.fail(
        [...path, "integrity"],
        `must be an SRI hash like sha256-<base64> (got ${describe(value)}); ` +
          `get it with: stream-infer plugin hash <plugin>`,
      );
    }
    out.integrity = value.trim();
  }
  if (entry.trust !== undefined) out.trust = bool(at, [...path, "trust"], entry.trust);
  if (entry.permissions !== undefined) {
    const where: Path = [...path, "permissions"];
    const raw = mapping(at, where, entry.permissions);
    checkKeys(at, where, raw, ["read", "write", "net", "env", "ffi", "sys"]);
    const permissions: PluginPermissions = {};
    for (const key of ["read", "write", "net", "env"] as const) {
      if (raw[key] === undefined) continue;
      permissions[key] = list(at, [...where, key], raw[key]).map((item, i) => {
        const value = str(at, [...where, key, i], item);
        return key === "read" || key === "write" ? resolvePath(baseDir, value) : value;
      });
    }
    for (const key of ["ffi", "sys"] as const) {
      if (raw[key] === undefined) continue;
      permissions[key] = bool(at, [...where, key], raw[key]);
    }
    out.permissions = permissions;
  }
  return out;
}

/**
 * Parses and validates a pipeline config. Throws {@link ConfigError} naming the file, line
 * and key of the first problem.
 *
 * @example
 * ```ts
 * import { parseConfig } from "@stream-infer/stream-infer";
 * try {
 *   parseConfig("source: a.mp4\nfsp: 3\n", "p.yaml");
 * } catch (e) {
 *   console.log((e as Error).message); // p.yaml:2: fsp: unknown key 'fsp' (allowed: ...)
 * }
 * ```
 */
export function parseConfig(text: string, file: string): PipelineConfig {
  checkConfigSize(text, file);
  const lines = new LineCounter();
  // uniqueKeys off: its check is quadratic in a mapping's size; checkDuplicateKeys is linear
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = lines.linePos(e.pos[0]).line;
    throw new ConfigError(`${file}:${line}: invalid YAML: ${e.message.split("\n")[0]}`);
  }
  const at: Locator = new Locator(file, doc, lines);
  checkDuplicateKeys(at);
  const raw = doc.toJS() as unknown;
  if (!isRecord(raw)) at.fail([], `the config must be a mapping (got ${describe(raw)})`);
  checkKeys(at, [], raw, [
    "source",
    "sources",
    "control",
    "mode",
    "fps",
    "position",
    "producer",
    "algos",
    "sinks",
    "record",
    "ringBudget",
  ]);
  const slash = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  const baseDir = slash >= 0 ? file.slice(0, slash) || "/" : ".";

  const config: PipelineConfig = {
    sources: [],
    mode: "offline",
    position: 0,
    producer: {},
    algos: [],
    sinks: [],
    baseDir,
  };
  if (raw.source !== undefined && raw.sources !== undefined) {
    at.fail(["sources"], "give either 'source' or 'sources', not both");
  }
  if (raw.source !== undefined) {
    config.sources.push({ id: "main", url: resolvePath(baseDir, str(at, ["source"], raw.source)) });
  }
  if (raw.sources !== undefined) {
    const seen = new Set<string>();
    list(at, ["sources"], raw.sources).forEach((item, i) => {
      const path: Path = ["sources", i];
      const entry = mapping(at, path, item);
      if (entry.id !== undefined) at.check([...path, "id"], () => checkSourceId(entry.id));
      const spec = at.check(path, () => parseSourceSpec(entry));
      if (seen.has(spec.id)) at.fail([...path, "id"], `duplicate source id '${spec.id}'`);
      seen.add(spec.id);
      config.sources.push({ ...spec, url: resolvePath(baseDir, spec.url) });
    });
  }
  if (raw.control !== undefined) {
    const c = mapping(at, ["control"], raw.control);
    checkKeys(at, ["control"], c, ["listen", "token"]);
    const listen = c.listen === undefined ? "8600" : c.listen;
    config.control = {
      listen: typeof listen === "number" ? String(listen) : str(at, ["control", "listen"], listen),
      ...(c.token !== undefined ? { token: str(at, ["control", "token"], c.token) } : {}),
    };
    at.check(["control"], () => parseListen(config.control!.listen, config.control!.token));
  }
  if (raw.mode !== undefined) {
    if (raw.mode !== "offline" && raw.mode !== "realtime") {
      at.fail(["mode"], `must be offline or realtime (got ${describe(raw.mode)})`);
    }
    config.mode = raw.mode;
  }
  if (raw.fps !== undefined && raw.fps !== null) {
    config.fps = num(at, ["fps"], raw.fps, { above: 0 });
  }
  if (raw.position !== undefined) {
    config.position = num(at, ["position"], raw.position, { min: 0 });
  }
  if (raw.producer !== undefined && raw.producer !== null) {
    config.producer = at.check(["producer"], () => parseProducerSpec(raw.producer));
  }
  if (raw.algos !== undefined && raw.algos !== null) {
    list(at, ["algos"], raw.algos).forEach((item, i) => {
      const path: Path = ["algos", i];
      const entry = mapping(at, path, item);
      checkKeys(at, path, entry, [
        "plugin",
        "name",
        "frameCount",
        "frameStep",
        "interval",
        "options",
        "integrity",
        "trust",
        "permissions",
        "instances",
      ]);
      if (entry.plugin === undefined) at.fail(path, "missing key 'plugin'");
      const plugin = str(at, [...path, "plugin"], entry.plugin);
      config.algos.push({
        plugin: /^(https?|file):/i.test(plugin) ? plugin : resolvePath(baseDir, plugin),
        ...(entry.name !== undefined ? { name: str(at, [...path, "name"], entry.name) } : {}),
        frameCount: entry.frameCount === undefined
          ? 1
          : num(at, [...path, "frameCount"], entry.frameCount, { integer: true, min: 1 }),
        frameStep: entry.frameStep === undefined
          ? 0
          : num(at, [...path, "frameStep"], entry.frameStep, { integer: true, min: 0 }),
        interval: entry.interval === undefined
          ? 1
          : num(at, [...path, "interval"], entry.interval, { above: 0 }),
        ...(entry.options !== undefined ? { options: entry.options } : {}),
        ...(entry.instances !== undefined
          ? {
            instances: num(at, [...path, "instances"], entry.instances, { integer: true, min: 1 }),
          }
          : {}),
        ...pluginKeys(at, path, entry, baseDir),
      });
    });
  }
  if (raw.sinks !== undefined && raw.sinks !== null) {
    list(at, ["sinks"], raw.sinks).forEach((item, i) => {
      const path: Path = ["sinks", i];
      const entry = mapping(at, path, item);
      checkKeys(at, path, entry, ["type", "path"]);
      if (entry.type !== "jsonl") {
        at.fail([...path, "type"], `must be jsonl (got ${describe(entry.type)})`);
      }
      config.sinks.push({
        type: "jsonl",
        path: resolvePath(baseDir, str(at, [...path, "path"], entry.path)),
      });
    });
  }
  if (raw.ringBudget !== undefined) {
    config.ringBudget = num(at, ["ringBudget"], raw.ringBudget, { integer: true, min: 1 });
  }
  if (raw.record !== undefined && raw.record !== null) {
    config.record = resolvePath(baseDir, str(at, ["record"], raw.record));
  }
  return config;
}

/**
 * Reads and validates a pipeline config file.
 *
 * @example
 * ```ts
 * import { loadConfig } from "@stream-infer/stream-infer";
 * const config = await loadConfig("examples/pipeline.yaml");
 * console.log(config.algos.map((a) => a.plugin));
 * ```
 */
export async function loadConfig(file: string): Promise<PipelineConfig> {
  return parseConfig(await readConfigText(file), file);
}
