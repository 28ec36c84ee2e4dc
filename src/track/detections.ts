/**
 * Reading detections out of an algorithm's result: a list of `{ box, score, name }` objects
 * (the YOLO plugin's shape), bare or under `detections`.
 *
 * @module
 */

/**
 * A detection as tracking, analytics and crops read it: `box` is required; the class is
 * `name`, else `class`, else `label`, else `cls`; `score` defaults to 1.
 *
 * @example
 * ```ts
 * import type { DetectionLike } from "@stream-infer/stream-infer";
 * const d: DetectionLike = { cls: 2, name: "car", score: 0.87, box: [10, 20, 110, 80], track: 4 };
 * ```
 */
export interface DetectionLike {
  /** `[x1, y1, x2, y2]` in frame pixels. */
  box: readonly [number, number, number, number];
  /** Confidence (default 1). */
  score?: number;
  /** Class name. */
  name?: string;
  /** Class name (another spelling). */
  class?: string;
  /** Class name (another spelling). */
  label?: string;
  /** Class id. */
  cls?: number | string;
  /** Track id, once tracked. */
  track?: number;
  /** Anything else the detector gives. */
  [key: string]: unknown;
}

/**
 * The detections of a result (a list, or an object with a `detections` list), or
 * `undefined` when it holds none in that shape. Items without a valid box are skipped by
 * the readers but kept in the result.
 *
 * @example
 * ```ts
 * import { detectionsOf } from "./detections.ts";
 * console.log(detectionsOf({ detections: [{ box: [0, 0, 1, 1] }] })?.length); // 1
 * ```
 */
export function detectionsOf(result: unknown): unknown[] | undefined {
  if (Array.isArray(result)) return result;
  const inner = (result as { detections?: unknown } | null)?.detections;
  return Array.isArray(inner) ? inner : undefined;
}

/**
 * `result` with its detections replaced by `list` (same shape as it came).
 *
 * @example
 * ```ts
 * import { withDetections } from "./detections.ts";
 * console.log(withDetections({ n: 1, detections: [] }, [{ box: [0, 0, 1, 1] }]));
 * ```
 */
export function withDetections(result: unknown, list: unknown[]): unknown {
  return Array.isArray(result) ? list : { ...(result as object), detections: list };
}

/**
 * The item as a detection, or `undefined` when it has no `[x1, y1, x2, y2]` box of finite
 * numbers.
 *
 * @example
 * ```ts
 * import { asDetection } from "./detections.ts";
 * console.log(asDetection({ box: [0, 0, "a", 1] })); // undefined
 * ```
 */
export function asDetection(item: unknown): DetectionLike | undefined {
  const box = (item as { box?: unknown } | null)?.box;
  if (!Array.isArray(box) || box.length !== 4 || !box.every(Number.isFinite)) return undefined;
  return item as DetectionLike;
}

/**
 * A detection's class name: `name`, `class`, `label`, or `cls` as text ("" when none).
 *
 * @example
 * ```ts
 * import { classOf } from "./detections.ts";
 * console.log(classOf({ box: [0, 0, 1, 1], cls: 2 })); // "2"
 * ```
 */
export function classOf(d: DetectionLike): string {
  const name = d.name ?? d.class ?? d.label;
  if (typeof name === "string") return name;
  return d.cls === undefined ? "" : String(d.cls);
}

/**
 * A detection's score (1 when it has none).
 *
 * @example
 * ```ts
 * import { scoreOf } from "./detections.ts";
 * console.log(scoreOf({ box: [0, 0, 1, 1] })); // 1
 * ```
 */
export function scoreOf(d: DetectionLike): number {
  return typeof d.score === "number" && Number.isFinite(d.score) ? d.score : 1;
}
