/**
 * {@link LineCounter}: counts tracks crossing a line, per class and direction, without
 * counting flicker.
 *
 * @module
 */
import type { LineOptions } from "./config.ts";
import { type Anchor, anchorOf, crossing, type Point, sideOf } from "./geometry.ts";
import type { AnalyticsEvent, TrackedObject } from "./object.ts";

/** Per class: crossings `in` and `out`. */
export type LineCounts = Record<string, { in: number; out: number }>;

interface LineTrack {
  cls: string;
  last: Point;
  /** The side the track was last counted (or first seen) on. */
  confirmed: number;
  /** The side its last crossing led to, and the runs it has stayed there. */
  raw: number;
  runs: number;
  counted: Set<string>;
  lastSeen: number;
}

/**
 * Counts crossings of one line. A track's anchor crosses when its step from one run to the
 * next passes through the line (not around its ends); the crossing counts once it has stayed
 * on the new side for `minFrames` runs, so a one-run flicker across the line counts nothing,
 * and at most once per track and direction. The anchor alone decides, so objects cut by the
 * frame's edge count too. A track not seen for `lostAfter` seconds is forgotten; a crossing
 * it had not yet confirmed (it left the frame) then counts.
 *
 * @example
 * ```ts
 * import { LineCounter } from "./line.ts";
 * const line = new LineCounter({ type: "line", name: "gate", on: "det", points: [[0, 100], [200, 100]], minFrames: 1 });
 * line.update([{ track: 1, cls: "car", box: [40, 50, 60, 90] }], 0);
 * const events = line.update([{ track: 1, cls: "car", box: [40, 70, 60, 110] }], 0.1);
 * console.log(events[0].direction, line.counts()); // in { car: { in: 1, out: 0 } }
 * ```
 */
export class LineCounter {
  readonly #points: Point[];
  readonly #classes?: Set<string>;
  readonly #anchor: Anchor;
  readonly #minFrames: number;
  readonly #lostAfter: number;
  readonly #tracks = new Map<number, LineTrack>();
  readonly #counts: LineCounts = {};

  /** Creates the counter of one `line` entry. */
  constructor(options: LineOptions) {
    this.#points = options.points.map(([x, y]) => [x, y] as Point);
    this.#classes = options.classes ? new Set(options.classes) : undefined;
    this.#anchor = options.anchor ?? "bottom-center";
    this.#minFrames = options.minFrames ?? 2;
    this.#lostAfter = options.lostAfter ?? 1;
  }

  /** The running counts, per class and direction (a copy). */
  counts(): LineCounts {
    return structuredClone(this.#counts);
  }

  /** Reads one run's tracked objects at `time`; returns the crossings it confirms. */
  update(objects: readonly TrackedObject[], time: number): AnalyticsEvent[] {
    const events: AnalyticsEvent[] = [];
    for (const o of objects) {
      if (this.#classes && !this.#classes.has(o.cls)) continue;
      const p = anchorOf(o.box, this.#anchor);
      const t = this.#tracks.get(o.track);
      if (!t) {
        const side = sideOf(this.#points, p);
        this.#tracks.set(o.track, {
          cls: o.cls,
          last: p,
          confirmed: side,
          raw: side,
          runs: 1,
          counted: new Set(),
          lastSeen: time,
        });
        continue;
      }
      const crossed = crossing(this.#points, t.last, p);
      if (crossed !== 0) {
        t.raw = crossed;
        t.runs = 1;
      } else t.runs++;
      t.last = p;
      t.lastSeen = time;
      if (t.raw !== t.confirmed && t.runs >= this.#minFrames) this.#confirm(o.track, t, events);
    }
    for (const [id, t] of this.#tracks) {
      if (time - t.lastSeen > this.#lostAfter) this.#forget(id, t, events);
    }
    return events;
  }

  /** The source ended: confirms the crossings still pending, forgets every track. */
  finish(): AnalyticsEvent[] {
    const events: AnalyticsEvent[] = [];
    for (const [id, t] of this.#tracks) this.#forget(id, t, events);
    return events;
  }

  #forget(id: number, t: LineTrack, events: AnalyticsEvent[]): void {
    if (t.raw !== t.confirmed) this.#confirm(id, t, events);
    this.#tracks.delete(id);
  }

  #confirm(id: number, t: LineTrack, events: AnalyticsEvent[]): void {
    const from = t.confirmed;
    t.confirmed = t.raw;
    if (from === 0 || t.raw === 0) return; // first seen on the line: no side to come from
    const direction = t.raw > 0 ? "in" : "out";
    if (t.counted.has(direction)) return;
    t.counted.add(direction);
    const counts = this.#counts[t.cls] ??= { in: 0, out: 0 };
    counts[direction]++;
    events.push({ event: "cross", track: id, class: t.cls, direction, counts: this.counts() });
  }
}
