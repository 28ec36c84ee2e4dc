/**
 * The config of tracking and analytics, as zod schemas (the `track:` and `input:` keys of an
 * algo entry and the `analytics:` entries) and the types they give. The pipeline config and
 * the code API (`Inference.loadAlgo`, `Inference.addAnalytics`) both check with them.
 *
 * @module
 */
import { z } from "zod";
import { type Anchor, ANCHORS } from "./geometry.ts";

const unit = z.number().min(0).max(1);
const seconds = z.number().min(0).refine(Number.isFinite, { error: "must be finite" });
const point = z.tuple([z.number(), z.number()]);
const className = z.union([z.string().min(1), z.int().min(0)]).transform(String);
/** `bottom-centre` is accepted for `bottom-center` (and so on). */
const anchor = z.string().transform((s) => s.replace(/centre/g, "center")).pipe(
  z.enum(ANCHORS, { error: `must be one of ${ANCHORS.join(", ")}` }),
);

/**
 * The `track:` key of an algo entry (see `TrackOptions`).
 *
 * @example
 * ```ts
 * import { trackSchema } from "./config.ts";
 * console.log(trackSchema().parse({ type: "iou", maxAge: 2 })); // { type: "iou", maxAge: 2 }
 * ```
 */
export function trackSchema() {
  return z.strictObject({
    type: z.enum(["bytetrack", "iou"]).optional(),
    maxAge: seconds.optional(),
    minHits: z.int().min(1).optional(),
    lowScore: unit.optional(),
    highScore: unit.optional(),
    newTrackScore: unit.optional(),
    matchIou: unit.optional(),
    lowMatchIou: unit.optional(),
    sameClass: z.boolean().optional(),
  });
}

/**
 * The `input:` key of an algo entry: the algorithm runs on crops of another algorithm's
 * detections instead of whole frames.
 *
 * @example
 * ```ts
 * import type { CropInput } from "@stream-infer/stream-infer";
 * const input: CropInput = { from: "det", classes: ["car"], minScore: 0.5, pad: 0.1, maxCrops: 8 };
 * ```
 */
export interface CropInput {
  /** The detection algorithm whose boxes are cropped. */
  from: string;
  /** Only detections of these classes (default: all). */
  classes?: string[];
  /** Only detections at or above this score (default 0). */
  minScore?: number;
  /** Margin added on each side, as a fraction of the box's size (default 0). */
  pad?: number;
  /** Most crops per run of `from`, the best scored first (default 16). */
  maxCrops?: number;
}

/**
 * The schema of {@link CropInput}.
 *
 * @example
 * ```ts
 * import { inputSchema } from "./config.ts";
 * console.log(inputSchema().parse({ from: "det", classes: ["car", 2] }).classes); // ["car", "2"]
 * ```
 */
export function inputSchema(): z.ZodType<CropInput, unknown> {
  return z.strictObject({
    from: z.string().min(1),
    classes: z.array(className).optional(),
    minScore: unit.optional(),
    pad: z.number().min(0).max(4).optional(),
    maxCrops: z.int().min(1).max(1024).optional(),
  });
}

/**
 * What line and zone entries share.
 *
 * @example
 * ```ts
 * import type { AnalyticsBase } from "@stream-infer/stream-infer";
 * const base: AnalyticsBase = { name: "gate", on: "det", classes: ["car"], minFrames: 2 };
 * ```
 */
export interface AnalyticsBase {
  /** The name of its records (`algo` in them). */
  name: string;
  /** The tracked detection algorithm it reads. */
  on: string;
  /** Only detections of these classes (default: all). */
  classes?: string[];
  /** The point of the box that is followed (default `bottom-center`). */
  anchor?: Anchor;
  /** Runs the anchor must stay on its new side (or in/out of the zone) to count (default 2). */
  minFrames?: number;
  /** Seconds between `counts` records (default: only at the end). */
  report?: number;
  /**
   * Seconds after which a track not seen is forgotten (a pending crossing then counts; a zone
   * sees it leave). Default: the `maxAge` of the algorithm's tracker (1 s for the counters
   * used alone).
   */
  lostAfter?: number;
}

/**
 * A counting line: a polyline in the played frame's pixels. Crossing it from its left to its
 * right (seen walking from the first point to the last, on screen) is `in`, the other way
 * `out`.
 *
 * @example
 * ```ts
 * import type { LineOptions } from "@stream-infer/stream-infer";
 * const gate: LineOptions = { type: "line", name: "gate", on: "det", points: [[0, 300], [768, 300]] };
 * ```
 */
export interface LineOptions extends AnalyticsBase {
  /** `line`. */
  type: "line";
  /** Two or more points `[x, y]`. */
  points: [number, number][];
}

/**
 * A zone: a polygon in the played frame's pixels.
 *
 * @example
 * ```ts
 * import type { ZoneOptions } from "@stream-infer/stream-infer";
 * const dock: ZoneOptions = {
 *   type: "zone", name: "dock", on: "det", points: [[0, 0], [200, 0], [200, 200], [0, 200]],
 *   loiterSeconds: 30,
 * };
 * ```
 */
export interface ZoneOptions extends AnalyticsBase {
  /** `zone`. */
  type: "zone";
  /** Three or more points `[x, y]`. */
  points: [number, number][];
  /** A track inside longer than this gets one `loiter` event per visit (default: never). */
  loiterSeconds?: number;
}

/**
 * One `analytics:` entry.
 *
 * @example
 * ```ts
 * import type { AnalyticsOptions } from "@stream-infer/stream-infer";
 * const a: AnalyticsOptions = { type: "line", name: "gate", on: "det", points: [[0, 300], [768, 300]] };
 * ```
 */
export type AnalyticsOptions = LineOptions | ZoneOptions;

/**
 * The schema of one `analytics:` entry ({@link AnalyticsOptions}).
 *
 * @example
 * ```ts
 * import { analyticsEntrySchema } from "./config.ts";
 * const gate = analyticsEntrySchema().parse({
 *   type: "line", name: "gate", on: "det", points: [[0, 300], [768, 300]], anchor: "bottom-centre",
 * });
 * console.log(gate.anchor); // bottom-center
 * ```
 */
export function analyticsEntrySchema(): z.ZodType<AnalyticsOptions, unknown> {
  const base = {
    name: z.string().min(1),
    on: z.string().min(1),
    classes: z.array(className).optional(),
    anchor: anchor.optional(),
    minFrames: z.int().min(1).max(1000).optional(),
    report: z.number().positive().optional(),
    lostAfter: seconds.optional(),
  };
  return z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("line"), ...base, points: z.array(point).min(2) }),
    z.strictObject({
      type: z.literal("zone"),
      ...base,
      points: z.array(point).min(3),
      loiterSeconds: seconds.optional(),
    }),
  ], { error: "type must be line or zone" });
}

/**
 * The `analytics:` key: a list of entries with unique names.
 *
 * @example
 * ```ts
 * import { analyticsSchema } from "./config.ts";
 * console.log(analyticsSchema().safeParse([{ type: "circle" }]).success); // false
 * ```
 */
export function analyticsSchema(): z.ZodType<AnalyticsOptions[], unknown> {
  return z.array(analyticsEntrySchema()).superRefine((entries, ctx) => {
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      if (seen.has(entry.name)) {
        ctx.addIssue({
          code: "custom",
          path: [i, "name"],
          message: `'${entry.name}' is used twice`,
        });
      }
      seen.add(entry.name);
    });
  });
}
