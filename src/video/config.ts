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
import {
  type ClipsConfig,
  clipsSchema,
  type HlsConfig,
  hlsSchema,
  type PathSchema,
  type RecordConfig,
  recordSchema,
  type RestreamConfig,
  restreamSchema,
  type SnapshotConfig,
  snapshotSchema,
} from "./schema.ts";

// the fragments, for src/config/schema.ts
export {
  clipsSchema,
  hlsSchema,
  recordSchema,
  restreamSchema,
  snapshotSchema,
  whenSchema,
} from "./schema.ts";
export type { ClipsConfig, HlsConfig, RecordConfig, RestreamConfig, SnapshotConfig };

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
