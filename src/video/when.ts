/**
 * {@link When}: a small predicate on records, shared by snapshots and event clips (and by
 * anything that wants "did this record show a person?").
 *
 * A record matches when it comes from `algo`, has no error, and:
 * - with `event`: its result is an event record whose `result.event` equals `event`;
 * - with `class`, `minScore` or `minCount`: at least `minCount` (default 1) of its detections
 *   have `name === class` (when given) and `score >= minScore` (when given). Detections are
 *   the result itself when it is an array, or the first array among the result's
 *   `detections`, `boxes`, `objects` or `tracks` (YOLO gives an array, the motion plugin
 *   `{ boxes }`);
 * - with none of these: any successful record of `algo` matches.
 *
 * @module
 */
import type { AlgoRecord } from "../record.ts";

/**
 * A predicate on records: every key optional but `algo`.
 *
 * @example
 * ```ts
 * import type { When } from "@stream-infer/stream-infer";
 * const person: When = { algo: "det", class: "person", minScore: 0.5, minCount: 1 };
 * const crossing: When = { algo: "line", event: "cross" };
 * ```
 */
export interface When {
  /** The algorithm (record `algo`) whose records are tested. */
  algo: string;
  /** A detection's `name` that must match. */
  class?: string;
  /** The lowest detection `score` that counts (detections without a score never count). */
  minScore?: number;
  /** How many matching detections the record needs (default 1). */
  minCount?: number;
  /** The event name (`result.event`) an event record must carry. */
  event?: string;
}

/** Keys of a result object that may hold its detections, in the order they are looked at. */
const LIST_KEYS = ["detections", "boxes", "objects", "tracks"] as const;

/**
 * The detections of a result: the result when it is an array, else the first array among
 * its `detections`, `boxes`, `objects` or `tracks`; `[]` otherwise.
 *
 * @example
 * ```ts
 * import { detectionsOf } from "@stream-infer/stream-infer";
 * console.log(detectionsOf({ score: 0.2, boxes: [{ box: [0, 0, 4, 4] }] }).length); // 1
 * ```
 */
export function detectionsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  if (result === null || typeof result !== "object") return [];
  for (const key of LIST_KEYS) {
    const list = (result as Record<string, unknown>)[key];
    if (Array.isArray(list)) return list;
  }
  return [];
}

/**
 * Whether a record matches a {@link When} predicate (see the module docs).
 *
 * @example
 * ```ts
 * import { matches } from "@stream-infer/stream-infer";
 * const record = {
 *   source: "gate", algo: "det", frame: 12, time: 0.48, position: 0,
 *   result: [{ name: "person", score: 0.8, box: [1, 2, 30, 40] }],
 * };
 * console.log(matches({ algo: "det", class: "person", minScore: 0.5 }, record)); // true
 * console.log(matches({ algo: "det", class: "car" }, record)); // false
 * ```
 */
export function matches(when: When, record: AlgoRecord): boolean {
  if (record.algo !== when.algo || record.error !== undefined) return false;
  const result = record.result;
  if (when.event !== undefined) {
    if (result === null || typeof result !== "object") return false;
    if ((result as Record<string, unknown>).event !== when.event) return false;
  }
  const counts = when.class !== undefined || when.minScore !== undefined ||
    when.minCount !== undefined;
  if (!counts) return true;
  const needed = when.minCount ?? 1;
  let found = 0;
  for (const item of detectionsOf(result)) {
    if (item === null || typeof item !== "object") continue;
    const d = item as Record<string, unknown>;
    if (when.class !== undefined && d.name !== when.class) continue;
    if (when.minScore !== undefined && !(typeof d.score === "number" && d.score >= when.minScore)) {
      continue;
    }
    if (++found >= needed) return true;
  }
  return found >= needed;
}
