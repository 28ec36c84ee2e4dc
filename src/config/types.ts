/**
 * The types of a validated pipeline config (docs/contract.md §6): what `parseConfig` and
 * `loadConfig` return. Relative paths in them are already resolved against the config's
 * folder (see `paths.ts`).
 *
 * @module
 */
import type { PluginPermissions } from "../algo/permissions.ts";
import type { AnalyticsOptions, CropInput } from "../analytics/config.ts";
import type { TrackOptions } from "../track/options.ts";
import type { Mode } from "../observe/observer.ts";
import type { SinkEntry } from "../sinks/config.ts";
import type { ProducerSpec, SourceSpec } from "../source/spec.ts";

/**
 * One algorithm entry of a pipeline config.
 *
 * @example
 * ```ts
 * import type { AlgoConfig } from "@stream-infer/stream-infer";
 * const a: AlgoConfig = { plugin: "motion", frameCount: 2, frameStep: 0, interval: 0.5 };
 * ```
 */
export interface AlgoConfig {
  /**
   * A built-in plugin's name (`yolo`, `motion`), a local path (resolved against the config's
   * folder) or a URL of the plugin module.
   */
  plugin: string;
  /** Name in records (default: the class name). */
  name?: string;
  /** Frames per run (default 1). */
  frameCount: number;
  /** Step between frames (default 0). */
  frameStep: number;
  /** Seconds between runs (default 1). */
  interval: number;
  /** Passed to `init(options)`; strings starting with `./` or `../` are resolved paths. */
  options?: unknown;
  /** SRI pin of the plugin's bytes (`sha256-<base64>`; see `stream-infer plugin hash`). */
  integrity?: string;
  /** Load a remote plugin without an `integrity` pin (with a warning). */
  trust?: boolean;
  /** What the plugin may access when it runs in a worker (relative paths resolved). */
  permissions?: PluginPermissions;
  /** Instances of the plugin running side by side, each in its own worker (default 1). */
  instances?: number;
  /** Tracker settings (`track:`; owned by the analytics fragment). */
  track?: TrackOptions;
  /** Crops of another algo's detections as input (`input:`; owned by the analytics fragment). */
  input?: CropInput;
}

/**
 * One sink entry of a pipeline config (`jsonl`, `webhook`, `mqtt`, `redis` or `stdout`; the
 * sinks fragment, src/sinks/config.ts).
 *
 * @example
 * ```ts
 * import type { SinkConfig } from "@stream-infer/stream-infer";
 * const s: SinkConfig = { type: "mqtt", url: "mqtt://127.0.0.1:1883", topic: "si/{source}/{algo}" };
 * ```
 */
export type SinkConfig = SinkEntry;

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
 * One source of a config: a {@link SourceSpec} plus the per-source video-out keys.
 *
 * @example
 * ```ts
 * import type { SourceConfig } from "@stream-infer/stream-infer";
 * const s: SourceConfig = { id: "gate", url: "rtsp://127.0.0.1:8554/gate" };
 * ```
 */
export interface SourceConfig extends SourceSpec {
  /** This source's recording (`record:`; owned by the video fragment). */
  record?: unknown;
  /** This source's live restream (`restream:`; owned by the video fragment). */
  restream?: unknown;
  /** This source's HLS output (`hls:`; owned by the video fragment). */
  hls?: unknown;
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
  sources: SourceConfig[];
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
  /** The sinks (`sinks:`; owned by the sinks fragment). */
  sinks: SinkConfig[];
  /** The annotated recording of every source (`record:`; owned by the video fragment). */
  record?: unknown;
  /** Live restream of every source (`restream:`; owned by the video fragment). */
  restream?: unknown;
  /** HLS output of every source (`hls:`; owned by the video fragment). */
  hls?: unknown;
  /** Annotated snapshots (`snapshot:`; owned by the video fragment). */
  snapshot?: unknown;
  /** Event clips (`clips:`; owned by the video fragment). */
  clips?: unknown;
  /** Line and zone analytics (`analytics:`; owned by the analytics fragment). */
  analytics?: AnalyticsOptions[];
  /** Bytes of frames one source may hold (default 512 MiB; see `ringBudget` of Inference). */
  ringBudget?: number;
  /** The control API, if enabled. */
  control?: ControlConfig;
  /** The folder relative paths were resolved against (absolute). */
  baseDir: string;
}
