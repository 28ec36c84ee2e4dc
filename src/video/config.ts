/**
 * The video part of the pipeline config: zod schema fragments for `record:`, `restream:`,
 * `hls:`, `snapshot:` and `clips:` (plugged into the config schema), and
 * {@link attachVideo}, which turns the parsed keys into observers of a run.
 *
 * `record:`, `restream:` and `hls:` may sit at the top level (every source; `{source}` in a
 * path or URL is replaced by the source id) or in a source entry of `sources:` (that source
 * only; it then replaces the top-level key for that source). `snapshot:` and `clips:` sit at
 * the top level. Path keys are resolved against the config file's folder by the `path`
 * schema the config passes in.
 *
 * ```yaml
 * record: out/{source}.mp4
 * hls: { dir: hls/{source}, segmentSeconds: 2, listSize: 6 }
 * snapshot: { when: { algo: det, class: person, minScore: 0.5 }, dir: snaps, cooldown: 10 }
 * clips: { when: { algo: det, class: person }, pre: 5, post: 5, dir: clips }
 * sources:
 *   - { id: gate, url: rtsp://cam/gate, restream: rtmp://127.0.0.1/live/gate }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { InputError } from "../errors.ts";
import type { RunObserver } from "../observe/observer.ts";
import type { AlgoRecord } from "../record.ts";
import { Annotation, type FrameDrawer } from "./annotation.ts";
import { Clips } from "./clips.ts";
import { Recorder } from "./recorder.ts";
import { Restream } from "./restream.ts";
import type { SourceEncoders } from "./source_encoders.ts";
import { Snapshots } from "./snapshot.ts";
import type { When } from "./when.ts";

/** A path key's schema: a string in, the path resolved against the config's folder out. */
type PathSchema = z.ZodType<string, string>;

function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key '${issue.keys[0]}' (allowed: ${allowed})`
        : undefined,
  });
}

const preset = z.enum([
  "ultrafast",
  "superfast",
  "veryfast",
  "faster",
  "fast",
  "medium",
  "slow",
]);

/**
 * The `record:` key: a path, or `{ path, preset }` (parsed as given; paths resolved).
 *
 * @example
 * ```ts
 * import { recordSchema } from "./config.ts";
 * import { z } from "zod";
import { InputError } from "../errors.ts";
 * console.log(recordSchema(z.string()).parse({ path: "out.mp4" })); // { path: "out.mp4" }
 * ```
 */
export function recordSchema(path: PathSchema): z.ZodType<string | RecordConfig, unknown> {
  return z.union([
    path,
    strict({ path, preset: preset.optional() }),
  ], { error: "must be a path, or { path, preset }" }) as unknown as z.ZodType<
    RecordConfig,
    unknown
  >;
}

const PUSH_URL = /^(rtmps?|rtsp):\/\/\S+$/i;

/**
 * The `restream:` key: an `rtmp://`, `rtmps://` or `rtsp://` URL, or `{ url, preset }`.
 *
 * @example
 * ```ts
 * import { restreamSchema } from "./config.ts";
 * console.log(restreamSchema().parse("rtmp://127.0.0.1/live/x")); // "rtmp://127.0.0.1/live/x"
 * ```
 */
export function restreamSchema(): z.ZodType<string | RestreamConfig, unknown> {
  const url = z.string().regex(PUSH_URL, "must be an rtmp://, rtmps:// or rtsp:// URL");
  return z.union([
    url,
    strict({ url, preset: preset.optional() }),
  ], {
    error: "must be an rtmp://, rtmps:// or rtsp:// URL, or { url, preset }",
  }) as unknown as z.ZodType<string | RestreamConfig, unknown>;
}

/**
 * The `hls:` key: a folder, or `{ dir, segmentSeconds, listSize, preset }`.
 *
 * @example
 * ```ts
 * import { hlsSchema } from "./config.ts";
 * import { z } from "zod";
import { InputError } from "../errors.ts";
 * console.log(hlsSchema(z.string()).parse({ dir: "hls", listSize: 4 })); // { dir: "hls", listSize: 4 }
 * ```
 */
export function hlsSchema(path: PathSchema): z.ZodType<string | HlsConfig, unknown> {
  return z.union([
    path,
    strict({
      dir: path,
      segmentSeconds: z.number().min(0.5).max(60).optional(),
      listSize: z.int().min(1).max(1000).optional(),
      preset: preset.optional(),
    }),
  ], {
    error: "must be a folder, or { dir, segmentSeconds, listSize, preset }",
  }) as unknown as z.ZodType<string | HlsConfig, unknown>;
}

/**
 * The `when:` predicate of snapshots and clips.
 *
 * @example
 * ```ts
 * import { whenSchema } from "./config.ts";
 * console.log(whenSchema().parse({ algo: "det", class: "person" }));
 * ```
 */
export function whenSchema(): z.ZodType<When, unknown> {
  return strict({
    algo: z.string().min(1),
    class: z.string().min(1).optional(),
    minScore: z.number().min(0).optional(),
    minCount: z.int().min(0).optional(),
    event: z.string().min(1).optional(),
  }) as unknown as z.ZodType<When, unknown>;
}

/**
 * The `snapshot:` key: `{ when, dir, cooldown }`.
 *
 * @example
 * ```ts
 * import { snapshotSchema } from "./config.ts";
 * import { z } from "zod";
import { InputError } from "../errors.ts";
 * console.log(snapshotSchema(z.string()).parse({ when: { algo: "det" }, dir: "snaps" }));
 * ```
 */
export function snapshotSchema(path: PathSchema): z.ZodType<SnapshotConfig, unknown> {
  return strict({
    when: whenSchema(),
    dir: path,
    cooldown: z.number().min(0).optional(),
  }) as unknown as z.ZodType<SnapshotConfig, unknown>;
}

/**
 * The `clips:` key: `{ when, pre, post, dir, preset }`.
 *
 * @example
 * ```ts
 * import { clipsSchema } from "./config.ts";
 * import { z } from "zod";
import { InputError } from "../errors.ts";
 * console.log(clipsSchema(z.string()).parse({ when: { algo: "det" }, pre: 3, post: 3, dir: "clips" }));
 * ```
 */
export function clipsSchema(path: PathSchema): z.ZodType<ClipsConfig, unknown> {
  return strict({
    when: whenSchema(),
    pre: z.number().min(0).max(300).optional(),
    post: z.number().min(0).max(300).optional(),
    dir: path,
    preset: preset.optional(),
  }) as unknown as z.ZodType<ClipsConfig, unknown>;
}

/**
 * A parsed `record:` key.
 *
 * @example
 * ```ts
 * import type { RecordConfig } from "@stream-infer/stream-infer";
 * const r: RecordConfig = { path: "/srv/out/{source}.mp4" };
 * ```
 */
export interface RecordConfig {
  /** The mp4 path (resolved). */
  path: string;
  /** libx264 preset. */
  preset?: string;
}

/**
 * A parsed `restream:` key.
 *
 * @example
 * ```ts
 * import type { RestreamConfig } from "@stream-infer/stream-infer";
 * const r: RestreamConfig = { url: "rtmp://127.0.0.1/live/{source}" };
 * ```
 */
export interface RestreamConfig {
  /** The push URL. */
  url: string;
  /** libx264 preset. */
  preset?: string;
}

/**
 * A parsed `hls:` key.
 *
 * @example
 * ```ts
 * import type { HlsConfig } from "@stream-infer/stream-infer";
 * const h: HlsConfig = { dir: "/srv/hls/{source}", segmentSeconds: 2 };
 * ```
 */
export interface HlsConfig {
  /** The folder (resolved). */
  dir: string;
  /** Seconds per segment. */
  segmentSeconds?: number;
  /** Segments in the playlist. */
  listSize?: number;
  /** libx264 preset. */
  preset?: string;
}

/**
 * A parsed `snapshot:` key.
 *
 * @example
 * ```ts
 * import type { SnapshotConfig } from "@stream-infer/stream-infer";
 * const s: SnapshotConfig = { when: { algo: "det" }, dir: "/srv/snaps", cooldown: 5 };
 * ```
 */
export interface SnapshotConfig {
  /** Which records take a snapshot. */
  when: When;
  /** The folder (resolved). */
  dir: string;
  /** Seconds between two snapshots of a source. */
  cooldown?: number;
}

/**
 * A parsed `clips:` key.
 *
 * @example
 * ```ts
 * import type { ClipsConfig } from "@stream-infer/stream-infer";
 * const c: ClipsConfig = { when: { algo: "det" }, pre: 5, post: 5, dir: "/srv/clips" };
 * ```
 */
export interface ClipsConfig {
  /** Which records start or extend a clip. */
  when: When;
  /** Seconds before the first match. */
  pre?: number;
  /** Seconds after the last match. */
  post?: number;
  /** The folder (resolved). */
  dir: string;
  /** libx264 preset of the segments. */
  preset?: string;
}

/**
 * The config keys {@link attachVideo} reads (a `PipelineConfig` has them; values not yet
 * parsed by the fragments above are parsed again).
 *
 * @example
 * ```ts
 * import type { VideoConfig } from "@stream-infer/stream-infer";
 * const c: VideoConfig = { record: { path: "out/{source}.mp4" }, sources: [{ id: "gate" }] };
 * ```
 */
export interface VideoConfig {
  /** Top-level `record:`. */
  record?: unknown;
  /** Top-level `restream:`. */
  restream?: unknown;
  /** Top-level `hls:`. */
  hls?: unknown;
  /** `snapshot:`. */
  snapshot?: unknown;
  /** `clips:`. */
  clips?: unknown;
  /** The sources, with their own `record:`, `restream:`, `hls:`. */
  sources?: readonly { id: string; record?: unknown; restream?: unknown; hls?: unknown }[];
}

/**
 * What {@link attachVideo} attaches to: an `Inference` (observers, record stages, `emit`).
 *
 * @example
 * ```ts
 * import { Inference, type VideoTarget } from "@stream-infer/stream-infer";
 * const target: VideoTarget = new Inference();
 * ```
 */
export interface VideoTarget {
  /** Attaches a run observer. */
  observe(observer: RunObserver): () => void;
  /** Adds a record stage (its `end` runs when a source ends, before the sinks close). */
  addStage(stage: {
    name: string;
    open(source: string): {
      record(record: AlgoRecord): AlgoRecord;
      end?(): Promise<void>;
    };
  }): void;
  /** Adds a record to the run's records. */
  emit(record: AlgoRecord): Promise<void>;
}

/**
 * The video outputs attached to a run.
 *
 * @example
 * ```ts
 * import type { VideoOutputs } from "@stream-infer/stream-infer";
 * function dropped(v: VideoOutputs): number {
 *   return v.encoders.reduce((n, e) => n + Object.values(e.stats()).reduce((m, s) => m + s.dropped, 0), 0);
 * }
 * ```
 */
export interface VideoOutputs {
  /** The shared annotation. */
  annotation: Annotation;
  /** Recorders and restreams. */
  encoders: SourceEncoders[];
  /** The snapshots, if configured. */
  snapshots?: Snapshots;
  /** The clips, if configured. */
  clips?: Clips;
}

/**
 * Options of {@link attachVideo}.
 *
 * @example
 * ```ts
 * import { Annotator, type AttachVideoOptions } from "@stream-infer/stream-infer";
 * const opts: AttachVideoOptions = { drawer: new Annotator({ overlay: false }) };
 * ```
 */
export interface AttachVideoOptions {
  /** What draws the annotations (default: a default `Annotator`). */
  drawer?: FrameDrawer;
  /** Receives one line per encoder failure or restart (default: stderr). */
  onMessage?: (message: string) => void;
}

/**
 * Attaches the configured video outputs to an inference (before `start`). Returns
 * `undefined` when the config has none. Keys are parsed with the schemas above when they are
 * still raw (paths then stay as given).
 *
 * @example
 * ```ts
 * import { attachVideo, Inference } from "@stream-infer/stream-infer";
 * const inference = new Inference();
 * const video = attachVideo(inference, { record: "out/{source}.mp4", sources: [{ id: "main" }] });
 * console.log(video?.encoders.length); // 1
 * ```
 */
export function attachVideo(
  target: VideoTarget,
  config: VideoConfig,
  options: AttachVideoOptions = {},
): VideoOutputs | undefined {
  const plain = z.string() as PathSchema;
  const record = recordSchema(plain);
  const restream = restreamSchema();
  const hls = hlsSchema(plain);
  const sources = config.sources ?? [];
  const perSource = sources.some((s) => s.record != null || s.restream != null || s.hls != null);
  if (
    config.record == null && config.restream == null && config.hls == null &&
    config.snapshot == null && config.clips == null && !perSource
  ) return undefined;
  const annotation = new Annotation({ drawer: options.drawer ?? true });
  const common = { annotation, onMessage: options.onMessage };
  const encoders: SourceEncoders[] = [];
  const announce = (r: AlgoRecord) => target.emit(r);
  for (const key of ["record", "restream", "hls"] as const) {
    const own = sources.filter((s) => s[key] != null);
    const exclude = own.map((s) => s.id);
    const make = (value: unknown, only?: string[]) => {
      const scope = only ? { sources: only } : { exclude };
      if (key === "record") {
        const r = asObject(record.parse(value), "path");
        return new Recorder({ ...common, ...scope, path: r.path, preset: r.preset });
      }
      if (key === "restream") {
        const r = asObject(restream.parse(value), "url");
        return new Restream({ ...common, ...scope, url: r.url, preset: r.preset });
      }
      const h = asObject(hls.parse(value), "dir");
      return new Restream({ ...common, ...scope, hls: h.dir, ...h });
    };
    if (config[key] != null) {
      const shared = make(config[key]);
      const ids = sources.map((s) => s.id).filter((id) => !exclude.includes(id));
      const target = shared instanceof Recorder ? shared.path : (shared as Restream).target;
      if (ids.length > 1 && !target.includes("{source}")) {
        throw new InputError(
          `${key}: ${ids.length} sources would share '${target}': put {source} in it`,
        );
      }
      encoders.push(shared);
    }
    for (const s of own) encoders.push(make(s[key], [s.id]));
  }
  for (const e of encoders) target.observe(e);
  const outputs: VideoOutputs = { annotation, encoders };
  if (config.snapshot != null) {
    const s = snapshotSchema(plain).parse(config.snapshot);
    outputs.snapshots = new Snapshots({ ...s, ...common, announce });
    target.observe(outputs.snapshots);
  }
  if (config.clips != null) {
    const c = clipsSchema(plain).parse(config.clips);
    const clips = outputs.clips = new Clips({ ...c, ...common, announce });
    target.observe(clips);
    // a source's open clip is written when it ends, before the run's records are closed
    target.addStage({
      name: "clips",
      open: (source) => ({ record: (r) => r, end: () => clips.finish(source) }),
    });
  }
  return outputs;
}

/** The object form of a key given as a lone string. */
function asObject<K extends string, T extends Record<K, string>>(value: string | T, key: K): T {
  return typeof value === "string" ? { [key]: value } as T : value;
}

/**
 * One line per video output and source for the end of a run: frames written and dropped,
 * restarts; clips and snapshots written.
 *
 * @example
 * ```ts
 * import { attachVideo, Inference, videoSummary } from "@stream-infer/stream-infer";
 * const video = attachVideo(new Inference(), { record: "out.mp4" })!;
 * console.log(videoSummary(video)); // [] until a run has played frames
 * ```
 */
export function videoSummary(outputs: VideoOutputs): string[] {
  const lines: string[] = [];
  for (const encoder of outputs.encoders) {
    const kind = encoder instanceof Recorder ? "record" : "restream";
    for (const [source, s] of Object.entries(encoder.stats())) {
      const restarts = s.restarts ? `, ${s.restarts} restarts` : "";
      lines.push(
        `${kind} ${source} -> ${encoder.targetOf(source)}: ${s.written} frames written, ` +
          `${s.dropped} dropped${restarts}`,
      );
    }
  }
  if (outputs.clips) lines.push(`clips: ${outputs.clips.made.length} written`);
  if (outputs.snapshots) {
    const skipped = outputs.snapshots.skipped ? `, ${outputs.snapshots.skipped} skipped` : "";
    lines.push(`snapshots: ${outputs.snapshots.written.length} written${skipped}`);
  }
  return lines;
}
