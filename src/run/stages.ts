/**
 * {@link RunStages}: the record stages an {@link Inference} holds (trackers, secondary
 * algorithms on crops, analytics, custom stages), checked as they are added and listed in
 * the order records go through them.
 *
 * @module
 */
import type { z } from "zod";
import {
  analyticsEntrySchema,
  type AnalyticsOptions,
  type CropInput,
  inputSchema,
  trackSchema,
} from "../analytics/config.ts";
import { InputError } from "../errors.ts";
import type { FramePool } from "../frame_pool.ts";
import { resolveTrackOptions, type TrackOptions } from "../track/options.ts";
import type { AlgoPool } from "./algo_pool.ts";
import { analyticsStage } from "./analytics_stage.ts";
import { cropStage } from "./crop_stage.ts";
import type { RecordStage } from "./stage.ts";
import { trackStage } from "./track_stage.ts";

/**
 * Validates `value` with a schema; a failure is an {@link InputError} naming `label` and the
 * first problem's key.
 *
 * @example
 * ```ts
 * import { trackSchema } from "../analytics/config.ts";
 * import { checked } from "./stages.ts";
 * checked(trackSchema(), { maxAge: 1 }, "det: track"); // { maxAge: 1 }
 * ```
 */
export function checked<T>(schema: z.ZodType<T, unknown>, value: unknown, label: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue.path.length ? `.${issue.path.join(".")}` : "";
  throw new InputError(`${label}${key}: ${issue.message}`);
}

/**
 * The stages of a pipeline, in the order records go through them: trackers, then secondary
 * algorithms on crops (so their results can join by track), then analytics, then custom
 * stages.
 *
 * @example
 * ```ts
 * import { RunStages } from "./stages.ts";
 * const stages = new RunStages();
 * stages.addTrack("det", { type: "iou" });
 * console.log(stages.list().map((s) => s.name)); // ["det.track"]
 * ```
 */
export class RunStages {
  /** Tracked algorithms, with their tracker's `maxAge`. */
  readonly #tracked = new Map<string, number>();
  readonly #trackers: RecordStage[] = [];
  readonly #crops: RecordStage[] = [];
  readonly #analytics: RecordStage[] = [];
  readonly #custom: RecordStage[] = [];
  readonly #names = new Set<string>();

  /** Checks `track:` options (throws {@link InputError}); returns them resolved. */
  static checkTrack(algo: string, options: unknown): TrackOptions {
    return checked(trackSchema(), options, `${algo}: track`);
  }

  /** Checks `input:` options against the algorithms loaded so far. */
  static checkInput(algo: string, input: unknown, loaded: (name: string) => boolean): CropInput {
    const crop = checked(inputSchema(), input, `${algo}: input`);
    if (!loaded(crop.from)) {
      throw new InputError(
        `${algo}: input.from: no algorithm named '${crop.from}' is loaded before it`,
      );
    }
    return crop;
  }

  /** Tracks the detections of `algo`. */
  addTrack(algo: string, options: TrackOptions): void {
    this.#tracked.set(algo, resolveTrackOptions(options).maxAge);
    this.#trackers.push(trackStage(algo, options));
  }

  /** Runs `pool` on crops of the detections of `input.from`. */
  addCrops(pool: AlgoPool, input: CropInput, framePool: FramePool): void {
    this.#crops.push(cropStage(pool, input, framePool));
  }

  /**
   * Adds a line or zone reading a tracked algorithm; `taken` says whether a name is an
   * algorithm's. Throws {@link InputError} for bad options.
   */
  addAnalytics(options: unknown, taken: (name: string) => boolean): AnalyticsOptions {
    const label = `analytics '${(options as { name?: unknown })?.name ?? "?"}'`;
    const entry = checked(analyticsEntrySchema(), options, label);
    if (this.#names.has(entry.name) || taken(entry.name)) {
      throw new InputError(`${label}: the name is taken (by an algorithm or another entry)`);
    }
    if (!taken(entry.on)) throw new InputError(`${label}: on: no algorithm named '${entry.on}'`);
    if (!this.#tracked.has(entry.on)) {
      throw new InputError(`${label}: on: '${entry.on}' is not tracked (give it a track: key)`);
    }
    this.#names.add(entry.name);
    // a track unseen for longer than the tracker keeps it will not come back
    entry.lostAfter ??= this.#tracked.get(entry.on);
    this.#analytics.push(analyticsStage(entry));
    return entry;
  }

  /** Adds a custom stage, after the others. */
  add(stage: RecordStage): void {
    this.#custom.push(stage);
  }

  /** Every stage, in the order records go through them. */
  list(): RecordStage[] {
    return [...this.#trackers, ...this.#crops, ...this.#analytics, ...this.#custom];
  }
}
