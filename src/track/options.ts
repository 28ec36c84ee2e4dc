/**
 * {@link TrackOptions}: how a detection algorithm's boxes are tracked, with defaults and
 * checks.
 *
 * @module
 */

/**
 * The `track:` key of a detection algorithm. Times are in seconds, not frames, because
 * realtime runs come at a varying cadence.
 *
 * @example
 * ```ts
 * import type { TrackOptions } from "@stream-infer/stream-infer";
 * const track: TrackOptions = { type: "bytetrack", maxAge: 2, minHits: 2, highScore: 0.5 };
 * ```
 */
export interface TrackOptions {
  /**
   * `bytetrack` (default): Kalman-predicted boxes matched first with the confident detections,
   * then with the weak ones (ByteTrack). `iou`: each track's last box matched with every
   * detection by IoU alone (cheaper; for slow objects and frequent runs).
   */
  type?: "bytetrack" | "iou";
  /** Seconds a track that is no longer seen is kept for a later match (default 1). */
  maxAge?: number;
  /** Matches in a row a new track needs before it gets an id (default 2). */
  minHits?: number;
  /** Detections below this score are ignored (default 0.1). */
  lowScore?: number;
  /**
   * ByteTrack: detections at or above this score are matched first and may start tracks;
   * the others (at or above `lowScore`) only continue tracks (default 0.5). The IoU tracker
   * starts tracks from any detection at or above `lowScore`.
   */
  highScore?: number;
  /** A detection starts a track only at or above this score (default `highScore + 0.1`). */
  newTrackScore?: number;
  /**
   * IoU a match needs. ByteTrack's first pass weighs it by the detection's score. Default 0.2
   * (ByteTrack), 0.3 (IoU tracker).
   */
  matchIou?: number;
  /** ByteTrack: IoU a match with a low-score detection needs (default 0.5). */
  lowMatchIou?: number;
  /**
   * Whether a track matches only detections of its own class (default true). With `false`, a
   * detector that names one object differently from frame to frame (car, truck, bus) keeps one
   * track, and of boxes of different classes on one object (IoU >= 0.7) only the best may start
   * a track.
   */
  sameClass?: boolean;
}

/** {@link TrackOptions} with every default filled in. */
export type ResolvedTrackOptions = Required<TrackOptions>;

/**
 * Fills in the defaults and checks the values; throws a `RangeError` naming the key.
 *
 * @example
 * ```ts
 * import { resolveTrackOptions } from "./options.ts";
 * console.log(resolveTrackOptions({ type: "iou" }).matchIou); // 0.3
 * ```
 */
export function resolveTrackOptions(options: TrackOptions = {}): ResolvedTrackOptions {
  const type = options.type ?? "bytetrack";
  if (type !== "bytetrack" && type !== "iou") {
    throw new RangeError(`track.type must be bytetrack or iou (got '${type}')`);
  }
  const highScore = options.highScore ?? 0.5;
  const resolved: ResolvedTrackOptions = {
    type,
    maxAge: options.maxAge ?? 1,
    minHits: options.minHits ?? 2,
    lowScore: options.lowScore ?? 0.1,
    highScore,
    newTrackScore: options.newTrackScore ?? Math.min(1, highScore + 0.1),
    matchIou: options.matchIou ?? (type === "iou" ? 0.3 : 0.2),
    lowMatchIou: options.lowMatchIou ?? 0.5,
    sameClass: options.sameClass ?? true,
  };
  if (!(resolved.maxAge >= 0) || !Number.isFinite(resolved.maxAge)) {
    throw new RangeError(`track.maxAge must be a number of seconds >= 0 (got ${resolved.maxAge})`);
  }
  if (!Number.isInteger(resolved.minHits) || resolved.minHits < 1) {
    throw new RangeError(`track.minHits must be an integer >= 1 (got ${resolved.minHits})`);
  }
  for (
    const key of ["lowScore", "highScore", "newTrackScore", "matchIou", "lowMatchIou"] as const
  ) {
    const v = resolved[key];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`track.${key} must be in [0, 1] (got ${v})`);
  }
  return resolved;
}
