/**
 * {@link ZoneCounter}: tracks entering and leaving a polygon, their dwell time, the occupancy
 * per class, and loitering.
 *
 * @module
 */
import type { ZoneOptions } from "./config.ts";
import { type Anchor, anchorOf, insidePolygon, type Point } from "./geometry.ts";
import type { AnalyticsEvent, TrackedObject } from "./object.ts";

/** Per class: tracks inside now, and entries and exits so far. */
export interface ZoneCounts {
  /** Tracks inside now, per class. */
  occupancy: Record<string, number>;
  /** Entries and exits so far, per class. */
  counts: Record<string, { enter: number; leave: number }>;
}

interface ZoneTrack {
  cls: string;
  /** Counted inside. */
  inside: boolean;
  /** Inside at the last run, since when, and for how many runs. */
  raw: boolean;
  rawSince: number;
  runs: number;
  enteredAt: number;
  loitered: boolean;
  lastSeen: number;
}

/**
 * Watches one zone. A track enters when its anchor has been inside for `minFrames` runs in a
 * row, and leaves when it has been outside as long (or is not seen for `lostAfter` seconds);
 * `leave` gives the dwell in seconds, from the first run inside to the first run outside (or
 * the last run seen). A track inside for more than `loiterSeconds` gets one `loiter` event
 * per visit.
 *
 * @example
 * ```ts
 * import { ZoneCounter } from "./zone.ts";
 * const zone = new ZoneCounter({
 *   type: "zone", name: "dock", on: "det", minFrames: 1, points: [[0, 0], [100, 0], [100, 100], [0, 100]],
 * });
 * const events = zone.update([{ track: 3, cls: "person", box: [40, 40, 60, 80] }], 0);
 * console.log(events[0].event, zone.counts().occupancy); // enter { person: 1 }
 * ```
 */
export class ZoneCounter {
  readonly #points: Point[];
  readonly #classes?: Set<string>;
  readonly #anchor: Anchor;
  readonly #minFrames: number;
  readonly #lostAfter: number;
  readonly #loiter: number;
  readonly #tracks = new Map<number, ZoneTrack>();
  readonly #counts: ZoneCounts = { occupancy: {}, counts: {} };

  /** Creates the counter of one `zone` entry. */
  constructor(options: ZoneOptions) {
    this.#points = options.points.map(([x, y]) => [x, y] as Point);
    this.#classes = options.classes ? new Set(options.classes) : undefined;
    this.#anchor = options.anchor ?? "bottom-center";
    this.#minFrames = options.minFrames ?? 2;
    this.#lostAfter = options.lostAfter ?? 1;
    this.#loiter = options.loiterSeconds ?? Infinity;
  }

  /** The occupancy and counts (a copy). */
  counts(): ZoneCounts {
    return structuredClone(this.#counts);
  }

  /** Reads one run's tracked objects at `time`; returns the events it gives. */
  update(objects: readonly TrackedObject[], time: number): AnalyticsEvent[] {
    const events: AnalyticsEvent[] = [];
    for (const o of objects) {
      if (this.#classes && !this.#classes.has(o.cls)) continue;
      const inside = insidePolygon(this.#points, anchorOf(o.box, this.#anchor));
      let t = this.#tracks.get(o.track);
      if (!t) {
        t = {
          cls: o.cls,
          inside: false,
          raw: inside,
          rawSince: time,
          runs: 0,
          enteredAt: 0,
          loitered: false,
          lastSeen: time,
        };
        this.#tracks.set(o.track, t);
      }
      if (inside !== t.raw) {
        t.raw = inside;
        t.rawSince = time;
        t.runs = 1;
      } else t.runs++;
      t.lastSeen = time;
      if (t.raw !== t.inside && t.runs >= this.#minFrames) {
        if (t.raw) this.#enter(o.track, t, events);
        else this.#leave(o.track, t, t.rawSince, events);
      }
      if (t.inside && !t.loitered && time - t.enteredAt > this.#loiter) {
        t.loitered = true;
        const dwell = round(time - t.enteredAt);
        events.push({ event: "loiter", track: o.track, class: t.cls, dwell });
      }
    }
    for (const [id, t] of this.#tracks) {
      if (time - t.lastSeen <= this.#lostAfter) continue;
      if (t.inside) this.#leave(id, t, t.lastSeen, events);
      this.#tracks.delete(id);
    }
    return events;
  }

  /** The source ended: forgets every track (no events: they did not leave). */
  finish(): AnalyticsEvent[] {
    this.#tracks.clear();
    return [];
  }

  #enter(id: number, t: ZoneTrack, events: AnalyticsEvent[]): void {
    t.inside = true;
    t.enteredAt = t.rawSince;
    t.loitered = false;
    this.#counts.occupancy[t.cls] = (this.#counts.occupancy[t.cls] ?? 0) + 1;
    (this.#counts.counts[t.cls] ??= { enter: 0, leave: 0 }).enter++;
    events.push({
      event: "enter",
      track: id,
      class: t.cls,
      occupancy: { ...this.#counts.occupancy },
    });
  }

  #leave(id: number, t: ZoneTrack, at: number, events: AnalyticsEvent[]): void {
    t.inside = false;
    this.#counts.occupancy[t.cls]--;
    (this.#counts.counts[t.cls] ??= { enter: 0, leave: 0 }).leave++;
    events.push({
      event: "leave",
      track: id,
      class: t.cls,
      dwell: round(at - t.enteredAt),
      occupancy: { ...this.#counts.occupancy },
    });
  }
}

/** Seconds to the millisecond. */
function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
