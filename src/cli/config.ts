/**
 * The YAML pipeline config (REFERENCE §6): parsing and validation with file and line in every
 * error.
 *
 * @module
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../errors.ts";
import { PIXEL_FORMATS, type PixelFormat } from "../frame.ts";
import type { Mode } from "../run/inference.ts";
import { isIntegrity } from "../plugin/integrity.ts";
import type { PluginPermissions } from "../worker/runner.ts";

export type { PluginPermissions } from "../worker/runner.ts";

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
 * A validated pipeline config. Relative paths are already resolved.
 *
 * @example
 * ```ts
 * import { parseConfig } from "@stream-infer/stream-infer";
 * const config = parseConfig("source: clip.mp4\nalgos: []\n", "/tmp/p.yaml");
 * console.log(config.source, config.mode); // "/tmp/clip.mp4" "offline"
 * ```
 */
export interface PipelineConfig {
  /** Source path (resolved), URL or device; may be left out when given on the CLI. */
  source?: string;
  /** `offline` (default) or `realtime`. */
  mode: Mode;
  /** Requested fps (default: the source's). */
  fps?: number;
  /** Start position in seconds (default 0). */
  position: number;
  /** Producer options. */
  producer: { width?: number; height?: number; format?: PixelFormat };
  /** The algorithms, in load order. */
  algos: AlgoConfig[];
  /** The sinks. */
  sinks: SinkConfig[];
  /** Path of an annotated recording, if any. */
  record?: string;
  /** Directory relative paths were resolved against. */
  baseDir: string;
}

type Path = (string | number)[];

/** Where in the YAML text each key sits, for error messages. */
class Locator {
  constructor(
    readonly file: string,
    readonly doc: ReturnType<typeof parseDocument>,
    readonly lines: LineCounter,
  ) {}

  line(path: Path): number {
    let node: unknown = this.doc.contents;
    let offset = 0;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        if (!pair) break;
        offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
        offset = (node as { range?: [number] })?.range?.[0] ?? offset;
      } else break;
    }
    return this.lines.linePos(offset).line;
  }

  fail(path: Path, message: string): never {
    const where = path.reduce<string>(
      (s, k) => typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : k,
      "",
    );
    throw new ConfigError(
      `${this.file}:${this.line(path)}: ${where ? `${where}: ` : ""}${message}`,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function checkKeys(at: Locator, path: Path, value: Record<string, unknown>, allowed: string[]) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      at.fail([...path, key], `unknown key '${key}' (allowed: ${allowed.join(", ")})`);
    }
  }
}

function num(
  at: Locator,
  path: Path,
  value: unknown,
  rule: { integer?: boolean; min?: number; above?: number },
): number {
  const kind = rule.integer ? "an integer" : "a number";
  const bound = rule.above !== undefined
    ? ` > ${rule.above}`
    : rule.min !== undefined
    ? ` >= ${rule.min}`
    : "";
  const ok = typeof value === "number" && Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above);
  if (!ok) at.fail(path, `must be ${kind}${bound} (got ${describe(value)})`);
  return value as number;
}

function str(at: Locator, path: Path, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    at.fail(path, `must be a non-empty string (got ${describe(value)})`);
  }
  return value;
}

function mapping(at: Locator, path: Path, value: unknown): Record<string, unknown> {
  if (!isRecord(value)) at.fail(path, `must be a mapping (got ${describe(value)})`);
  return value;
}

function list(at: Locator, path: Path, value: unknown): unknown[] {
  if (!Array.isArray(value)) at.fail(path, `must be a list (got ${describe(value)})`);
  return value;
}

function bool(at: Locator, path: Path, value: unknown): boolean {
  if (typeof value !== "boolean") at.fail(path, `must be true or false (got ${describe(value)})`);
  return value;
}

function resolvePath(baseDir: string, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path) || path.startsWith("/") || path.startsWith("-")) {
    return path;
  }
  return `${baseDir}/${path.replace(/^\.\//, "")}`;
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
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = lines.linePos(e.pos[0]).line;
    throw new ConfigError(`${file}:${line}: invalid YAML: ${e.message.split("\n")[0]}`);
  }
  const at: Locator = new Locator(file, doc, lines);
  const raw = doc.toJS() as unknown;
  if (!isRecord(raw)) at.fail([], `the config must be a mapping (got ${describe(raw)})`);
  checkKeys(at, [], raw, [
    "source",
    "mode",
    "fps",
    "position",
    "producer",
    "algos",
    "sinks",
    "record",
  ]);
  const slash = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  const baseDir = slash >= 0 ? file.slice(0, slash) || "/" : ".";

  const config: PipelineConfig = {
    mode: "offline",
    position: 0,
    producer: {},
    algos: [],
    sinks: [],
    baseDir,
  };
  if (raw.source !== undefined) {
    config.source = resolvePath(baseDir, str(at, ["source"], raw.source));
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
    const p = mapping(at, ["producer"], raw.producer);
    checkKeys(at, ["producer"], p, ["width", "height", "format"]);
    for (const key of ["width", "height"] as const) {
      if (p[key] !== undefined) {
        config.producer[key] = num(at, ["producer", key], p[key], { integer: true, min: 2 });
      }
    }
    if (p.format !== undefined) {
      if (!PIXEL_FORMATS.includes(p.format as PixelFormat)) {
        at.fail(
          ["producer", "format"],
          `must be one of ${PIXEL_FORMATS.join(", ")} (got ${describe(p.format)})`,
        );
      }
      config.producer.format = p.format as PixelFormat;
    }
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
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new ConfigError(`${file}: no such file`);
    throw new ConfigError(`${file}: cannot read (${(e as Error).message})`);
  }
  return parseConfig(text, file);
}
