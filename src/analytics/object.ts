/**
 * What analytics read and give: tracked objects in, events out.
 *
 * @module
 */

/**
 * A tracked detection, as line and zone analytics read it.
 *
 * @example
 * ```ts
 * import type { TrackedObject } from "@stream-infer/stream-infer";
 * const o: TrackedObject = { track: 12, cls: "car", box: [10, 20, 110, 80] };
 * ```
 */
export interface TrackedObject {
  /** Its track id. */
  track: number;
  /** Its class name. */
  cls: string;
  /** `[x1, y1, x2, y2]` in frame pixels. */
  box: readonly [number, number, number, number];
}

/**
 * An analytics event: the `result` of an event record. `event` is `cross`, `enter`,
 * `leave`, `loiter` or `counts`.
 *
 * @example
 * ```ts
 * import type { AnalyticsEvent } from "@stream-infer/stream-infer";
 * const e: AnalyticsEvent = {
 *   event: "cross", track: 12, class: "car", direction: "in", counts: { car: { in: 1, out: 0 } },
 * };
 * ```
 */
export interface AnalyticsEvent {
  /** What happened. */
  event: "cross" | "enter" | "leave" | "loiter" | "counts";
  /** The track, for events about one. */
  track?: number;
  /** Its class. */
  class?: string;
  /** The rest: `direction` and `counts` (lines), `dwell` and `occupancy` (zones). */
  [key: string]: unknown;
}
