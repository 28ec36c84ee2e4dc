/**
 * Reads the boxes out of algorithm results, by shape rather than by plugin: what the default
 * annotator draws.
 *
 * Understood shapes:
 * - an array of detections, or an object with a `detections`, `objects`, `tracks` or `boxes`
 *   array of them (the YOLO plugin returns an array; the motion plugin `{ score, boxes }`);
 * - a detection is `{ box: [x1, y1, x2, y2] }` (or `bbox`), with optional `name` (or `label`,
 *   or a string `class`), `score` (or `confidence`) and `track` (or `trackId`, `track_id`);
 * - a bare `[x1, y1, x2, y2]` in a `boxes` array, with optional `scores` and `names` (or
 *   `labels`) arrays beside it.
 *
 * @module
 */

/**
 * One box to draw, read from a result.
 *
 * @example
 * ```ts
 * import type { DrawnBox } from "@stream-infer/stream-infer";
 * const b: DrawnBox = { box: [10, 20, 110, 80], name: "car", score: 0.87, track: 4 };
 * ```
 */
export interface DrawnBox {
  /** Corners `[x1, y1, x2, y2]` in frame pixels. */
  box: [number, number, number, number];
  /** Class name, when the result has one. */
  name?: string;
  /** Confidence, when the result has one. */
  score?: number;
  /** Track id, when the result has one. */
  track?: string | number;
}

const LISTS = ["detections", "objects", "tracks", "boxes"] as const;

/**
 * The boxes in an algorithm result, in the result's order; `[]` for a result of no known shape.
 *
 * @example
 * ```ts
 * import { boxesOf } from "@stream-infer/stream-infer";
 * console.log(boxesOf({ score: 0.1, boxes: [{ box: [0, 0, 10, 10], area: 0.01 }] }));
 * // [{ box: [0, 0, 10, 10] }]
 * ```
 */
export function boxesOf(result: unknown): DrawnBox[] {
  if (Array.isArray(result)) return itemsOf(result, undefined);
  if (!isObject(result)) return [];
  for (const key of LISTS) {
    const list = result[key];
    if (Array.isArray(list)) return itemsOf(list, result);
  }
  return [];
}

function itemsOf(list: unknown[], parent: Record<string, unknown> | undefined): DrawnBox[] {
  const scores = parent && Array.isArray(parent.scores) ? parent.scores : undefined;
  const names = parent && Array.isArray(parent.names)
    ? parent.names
    : parent && Array.isArray(parent.labels)
    ? parent.labels
    : undefined;
  const out: DrawnBox[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const bare = asBox(item);
    if (bare) {
      const drawn: DrawnBox = { box: bare };
      const name = names?.[i];
      const score = scores?.[i];
      if (typeof name === "string") drawn.name = name;
      if (typeof score === "number" && Number.isFinite(score)) drawn.score = score;
      out.push(drawn);
      continue;
    }
    if (!isObject(item)) continue;
    const box = asBox(item.box) ?? asBox(item.bbox);
    if (!box) continue;
    const drawn: DrawnBox = { box };
    const name = firstOf(item, ["name", "label", "class"], "string");
    const score = firstOf(item, ["score", "confidence"], "number");
    const track = firstOf(item, ["track", "trackId", "track_id"], "id");
    if (name !== undefined) drawn.name = name as string;
    if (score !== undefined) drawn.score = score as number;
    if (track !== undefined) drawn.track = track as string | number;
    out.push(drawn);
  }
  return out;
}

function firstOf(
  item: Record<string, unknown>,
  keys: readonly string[],
  kind: "string" | "number" | "id",
): string | number | undefined {
  for (const key of keys) {
    const v = item[key];
    if (typeof v === "number" && Number.isFinite(v) && kind !== "string") return v;
    if (typeof v === "string" && v !== "" && kind !== "number") return v;
  }
  return undefined;
}

function asBox(value: unknown): [number, number, number, number] | undefined {
  if (!Array.isArray(value) || value.length !== 4) return undefined;
  if (!value.every((v) => typeof v === "number" && Number.isFinite(v))) return undefined;
  return [value[0], value[1], value[2], value[3]];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
